import { SIGNATURE_TOLERANCE_SECONDS } from '@rotor/domain';
import { effectiveKeyStatus } from './endpoint-view';
import type { EndpointView, KeyView, PublicKeyView } from './views';

/** The longest a receiver may cache an endpoint's public keys, in seconds. */
export const PUBLIC_KEYS_MAX_AGE_SECONDS = 60;

export interface PublicKeySet {
  /** Newest first. */
  readonly keys: PublicKeyView[];
  readonly maxAgeSeconds: number;
}

/** When a key stopped (or will stop) signing: undefined while it is current. */
const stopsSigningAt = (key: KeyView): number | undefined => {
  const at = key.expiredAt ?? key.expiresAt;
  return at === undefined ? undefined : Date.parse(at);
};

/**
 * What a receiver may verify with at `now`: every Ed25519 key that signs, and those that
 * stopped less than the signature tolerance ago (a delivery signed just before the end may
 * still be checked that long after). The cache lifetime never runs past the moment a listed
 * key leaves the list, so a cached list never outlives a key it names by more than the
 * tolerance. A deleted endpoint publishes nothing: its keys were shredded.
 */
export const publicKeysAt = (view: EndpointView, now: Date): PublicKeySet => {
  const nowMs = now.getTime();
  const toleranceMs = SIGNATURE_TOLERANCE_SECONDS * 1000;
  let maxAgeMs = PUBLIC_KEYS_MAX_AGE_SECONDS * 1000;
  const keys: PublicKeyView[] = [];
  if (view.status === 'deleted') return { keys, maxAgeSeconds: 0 };
  for (const key of view.keys) {
    if (key.signing !== 'ed25519' || key.publicKey === undefined) continue;
    const stops = stopsSigningAt(key);
    if (stops !== undefined) {
      const leaves = stops + toleranceMs;
      if (nowMs >= leaves) continue;
      maxAgeMs = Math.min(maxAgeMs, leaves - nowMs);
    }
    const expiresAt = key.expiredAt ?? key.expiresAt;
    keys.push({
      keyId: key.keyId,
      publicKey: key.publicKey,
      status: effectiveKeyStatus(key, now),
      createdAt: key.createdAt,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
  }
  return { keys, maxAgeSeconds: Math.floor(maxAgeMs / 1000) };
};
