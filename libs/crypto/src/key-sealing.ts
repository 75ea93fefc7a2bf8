import type { SealedKey } from '@rotor/domain';
import { open, seal } from './envelope';
import { fingerprintOf, hintOf, secretBytes } from './secrets';

/**
 * Seals a signing secret for an event (DESIGN §1, §2): the secret under the endpoint's data
 * key, bound by AAD to `<endpointId>:<keyId>` so a ciphertext moved to another key or
 * endpoint does not open.
 */
export const secretAad = (endpointId: string, keyId: string): string => `${endpointId}:${keyId}`;

export interface SealSecretInput {
  readonly endpointId: string;
  readonly keyId: string;
  /** The `whsec_` secret. */
  readonly secret: string;
  /** The endpoint's plaintext data key (`DataKeyVault.unwrap`). */
  readonly dataKey: Buffer;
  /** The KEK the data key is wrapped under, recorded for operators. */
  readonly kekId: string;
  readonly createdAt: Date;
}

export const sealSecret = (input: SealSecretInput): SealedKey => {
  const { endpointId, keyId, secret, dataKey, kekId, createdAt } = input;
  // Refuse to seal what could never sign: a malformed secret fails here, not at delivery.
  secretBytes(secret);
  return {
    keyId,
    algorithm: 'hmac-sha256',
    ciphertext: seal(dataKey, Buffer.from(secret, 'utf8'), secretAad(endpointId, keyId)),
    kekId,
    hint: hintOf(secret),
    fingerprint: fingerprintOf(secret),
    createdAt: createdAt.toISOString(),
  };
};

/** The `whsec_` secret of a sealed key. Throws `DecryptionError`. */
export const openSecret = (endpointId: string, sealedKey: SealedKey, dataKey: Buffer): string =>
  open(dataKey, sealedKey.ciphertext, secretAad(endpointId, sealedKey.keyId)).toString('utf8');
