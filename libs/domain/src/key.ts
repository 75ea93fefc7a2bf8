/**
 * How an endpoint's deliveries are signed (Standard Webhooks): `hmac-sha256` with a `whsec_`
 * secret shared with the receiver (`v1,` signatures), or `ed25519` with a `whsk_` private
 * key kept sealed and its `whpk_` public key given to receivers (`v1a,` signatures).
 */
export const SIGNING_SCHEMES = ['hmac-sha256', 'ed25519'] as const;
export type SigningScheme = (typeof SIGNING_SCHEMES)[number];
/** What an endpoint registered without a choice signs with (as before Ed25519 existed). */
export const DEFAULT_SIGNING_SCHEME: SigningScheme = 'hmac-sha256';

export const isSigningScheme = (value: unknown): value is SigningScheme =>
  (SIGNING_SCHEMES as readonly unknown[]).includes(value);

/** `whpk_` + canonical base64 of the 32 raw bytes of an Ed25519 public key. */
export const PUBLIC_KEY_PATTERN = /^whpk_[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * How far a receiver's clock may be from a signature's timestamp (Standard Webhooks'
 * default): a signature stays verifiable this long after it was made, so a key that stopped
 * signing is still worth publishing for this long.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export const isPublicKey = (value: unknown): value is string =>
  typeof value === 'string' && PUBLIC_KEY_PATTERN.test(value);

/** Where a key's material came from: made by Rotor, or brought by the caller. */
export const KEY_ORIGINS = ['generated', 'imported'] as const;
export type KeyOrigin = (typeof KEY_ORIGINS)[number];

/**
 * A signing key as the domain sees it: sealed. The plaintext secret (or private key) never
 * reaches the domain, an event, a view or a log; it is sealed at the edge before the command
 * is built.
 */
export interface SealedKey {
  readonly keyId: string;
  readonly algorithm: SigningScheme;
  /** base64 of AES-256-GCM(iv ‖ ciphertext ‖ tag) under the endpoint's data key. */
  readonly ciphertext: string;
  /** The key-encryption key that protected the endpoint's data key when this key was made. */
  readonly kekId: string;
  /**
   * `whsec_…` + the last 4 characters of the secret; for Ed25519, `whpk_…` + the last 4 of
   * the public key (nothing of a private key is ever shown): enough to tell keys apart.
   */
  readonly hint: string;
  /**
   * First 16 hex characters of SHA-256 of what the receiver holds: the secret, or for
   * Ed25519 the public key.
   */
  readonly fingerprint: string;
  /** RFC 3339. */
  readonly createdAt: string;
  /** Ed25519 only: the `whpk_` public key, public by nature. */
  readonly publicKey?: string;
  /**
   * v3: `generated` by Rotor, or `imported` (supplied by the caller, HMAC only), so an
   * auditor can tell them apart. Keys of older events are read as generated; absent means
   * generated too.
   */
  readonly origin?: KeyOrigin;
}
