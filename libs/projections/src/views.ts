/**
 * The read models the projector maintains (DESIGN §4). They mirror `EndpointView`,
 * `KeyView` and `KeyRingView` of proto/rotor/v1/views.proto, the wire contract the signer
 * and query service read them by.
 */
export type KeyStatus = 'current' | 'previous' | 'expired';

export interface KeyView {
  keyId: string;
  status: KeyStatus;
  createdAt: string;
  /** When a previous key stops signing (set by the rotation that demoted it). */
  expiresAt?: string;
  /** When it actually stopped (set by `PreviousSecretExpired`). */
  expiredAt?: string;
  expiryReason?: string;
  hint: string;
  fingerprint: string;
}

export interface EndpointView {
  id: string;
  tenantId: string;
  url?: string;
  description?: string;
  status: 'active' | 'deleted';
  createdAt: string;
  updatedAt: string;
  /** Newest first. */
  keys: KeyView[];
  /** Revision of the last endpoint event applied: makes replays idempotent. */
  version: number;
}

export interface KeyRingKey {
  keyId: string;
  ciphertext: string;
  createdAt: string;
  expiresAt?: string;
}

export interface KeyRingView {
  endpointId: string;
  tenantId: string;
  dataKey: { kekId: string; wrappedKey: string };
  /** Keys that no event has expired yet, newest first. The signer still checks `expiresAt`. */
  keys: KeyRingKey[];
  revision: number;
}
