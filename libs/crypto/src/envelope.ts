import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelopes (DESIGN §2). The AAD binds a ciphertext to its context (which
 * endpoint, which key), so a sealed value copied into another event does not open there.
 * Format: base64(iv(12) ‖ ciphertext ‖ tag(16)), one string that fits in a JSON event.
 */
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The one error `open` throws. GCM cannot tell which input was wrong, and saying more
 * would help an attacker; the message never includes plaintext or key bytes.
 */
export class DecryptionError extends Error {
  readonly code = 'decryption_failed';
  override readonly name = 'DecryptionError';
  constructor() {
    super('cannot decrypt: wrong key, wrong context (AAD) or tampered ciphertext');
  }
}

const checkKey = (key: Buffer): void => {
  // A wrong length is a programming error, not a bad ciphertext: fail loudly, key unseen.
  if (key.length !== KEY_BYTES)
    throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length} bytes`);
};

export const seal = (key: Buffer, plaintext: Buffer, aad: string): string => {
  checkKey(key);
  // A random 96-bit IV per seal: we seal few values per key, far below the 2^32 limit.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
};

export const open = (key: Buffer, sealed: string, aad: string): Buffer => {
  checkKey(key);
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new DecryptionError();
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  try {
    // authTagLength pins the tag size, so a truncated tag can never be accepted.
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new DecryptionError();
  }
};
