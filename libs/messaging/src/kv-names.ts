/**
 * The names JetStream KV accepts, checked the same way by every adapter so that a key the
 * in-memory bucket takes is never refused later by NATS.
 */
const VALID_KEY = /^[-/=.\w]+$/;
const VALID_BUCKET = /^[-\w]+$/;

export function assertValidKey(key: string): void {
  if (!VALID_KEY.test(key) || key.startsWith('.') || key.endsWith('.'))
    throw new Error(
      `invalid key: ${JSON.stringify(key)} (allowed: [-/=.\\w]+, no leading or trailing dot)`,
    );
}

export function assertValidBucketName(name: string): void {
  if (!VALID_BUCKET.test(name))
    throw new Error(`invalid bucket name: ${JSON.stringify(name)} (allowed: [-\\w]+)`);
}

export function assertValidTtl(ttlSeconds: number | undefined): void {
  if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0))
    throw new Error(`invalid ttlSeconds: ${ttlSeconds} (a positive number)`);
}
