import { createHash, randomBytes } from 'node:crypto';

/**
 * Signing secrets in the Standard Webhooks format (DESIGN §1): `whsec_` + base64 of the
 * raw key bytes. The string form is what a receiver pastes into its config, so it is also
 * what we seal, hint and fingerprint; only HMAC needs the decoded bytes.
 */
export const SECRET_PREFIX = 'whsec_';
export const SECRET_BYTES = 32;
/** The range Standard Webhooks libraries accept when verifying. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

// Canonical base64 only: Buffer.from(..., 'base64') silently skips stray characters, so a
// mangled secret would otherwise decode to a different key and fail far from the cause.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The secret is malformed. The message never repeats the secret. */
export class InvalidSecretError extends Error {
  readonly code = 'invalid_secret';
  override readonly name = 'InvalidSecretError';
}

export const generateSecret = (): string =>
  SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');

/**
 * The HMAC key bytes of a secret. The `whsec_` prefix is optional, as in the reference
 * libraries, because receivers often store the bare base64.
 */
export const secretBytes = (secret: string): Buffer => {
  const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (body.length === 0 || !BASE64.test(body))
    throw new InvalidSecretError('malformed secret: expected whsec_ followed by base64');
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES)
    throw new InvalidSecretError(
      `malformed secret: ${bytes.length} bytes, expected ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES}`,
    );
  return bytes;
};

/**
 * Enough for a human to tell two keys apart, far too little to guess one: the prefix
 * (`whsec_`, or `whpk_` for an Ed25519 key, named by its public half) and the last 4.
 */
export const hintOf = (secret: string): string =>
  `${secret.slice(0, secret.indexOf('_') + 1) || SECRET_PREFIX}…${secret.slice(-4)}`;

/**
 * Lets a receiver check which secret it holds without anyone showing the secret. Hashes the
 * string form (what the receiver has), not the decoded bytes.
 */
export const fingerprintOf = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
