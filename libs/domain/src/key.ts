/**
 * A signing key as the domain sees it: sealed. The plaintext secret never reaches the
 * domain, an event, a view or a log; it is sealed at the edge before the command is built.
 */
export interface SealedKey {
  readonly keyId: string;
  readonly algorithm: 'hmac-sha256';
  /** base64 of AES-256-GCM(iv ‖ ciphertext ‖ tag) under the endpoint's data key. */
  readonly ciphertext: string;
  /** The key-encryption key that protected the endpoint's data key when this key was made. */
  readonly kekId: string;
  /** `whsec_…` + the last 4 characters: enough for a human to tell keys apart. */
  readonly hint: string;
  /** First 16 hex characters of SHA-256(secret): lets a receiver confirm which secret it holds. */
  readonly fingerprint: string;
  /** RFC 3339. */
  readonly createdAt: string;
}
