import type { KeyOrigin, SealedKey, SigningScheme } from '@rotor/domain';
import { ed25519PrivateKey, ed25519PublicKeyOf } from './ed25519';
import { open, seal } from './envelope';
import { fingerprintOf, hintOf, secretBytes } from './secrets';
import type { SigningKey } from './signing';

/**
 * Seals a signing secret for an event (DESIGN §1, §2): the secret under the endpoint's data
 * key, bound by AAD to `<endpointId>:<keyId>` so a ciphertext moved to another key or
 * endpoint does not open.
 */
export const secretAad = (endpointId: string, keyId: string): string => `${endpointId}:${keyId}`;

export interface SealSecretInput {
  readonly endpointId: string;
  readonly keyId: string;
  /** The `whsec_` secret (HMAC) or the `whsk_` private key (Ed25519). */
  readonly secret: string;
  /** Default `hmac-sha256`. */
  readonly algorithm?: SigningScheme;
  /** The endpoint's plaintext data key (`DataKeyVault.unwrap`). */
  readonly dataKey: Buffer;
  /** The KEK the data key is wrapped under, recorded for operators. */
  readonly kekId: string;
  readonly createdAt: Date;
  /** Default `generated`; `imported` for a secret the caller supplied (HMAC only). */
  readonly origin?: KeyOrigin;
}

export const sealSecret = (input: SealSecretInput): SealedKey => {
  const { endpointId, keyId, secret, dataKey, kekId, createdAt } = input;
  const algorithm = input.algorithm ?? 'hmac-sha256';
  // Refuse to seal what could never sign: a malformed key fails here, not at delivery.
  signingKeyOf(algorithm, secret);
  // An Ed25519 key is named by its public half (what the receiver holds); nothing of the
  // private key leaves the seal, not even in a hint.
  const publicKey = algorithm === 'ed25519' ? ed25519PublicKeyOf(secret) : undefined;
  const named = publicKey ?? secret;
  return {
    keyId,
    algorithm,
    ciphertext: seal(dataKey, Buffer.from(secret, 'utf8'), secretAad(endpointId, keyId)),
    kekId,
    hint: hintOf(named),
    fingerprint: fingerprintOf(named),
    createdAt: createdAt.toISOString(),
    ...(publicKey === undefined ? {} : { publicKey }),
    origin: input.origin ?? 'generated',
  };
};

/** The plaintext of a sealed key made ready to sign, by its scheme. Throws InvalidSecretError. */
export const signingKeyOf = (algorithm: SigningScheme, plaintext: string): SigningKey => {
  switch (algorithm) {
    case 'hmac-sha256':
      return secretBytes(plaintext);
    case 'ed25519':
      return ed25519PrivateKey(plaintext);
    default:
      throw new TypeError(`unknown signing scheme ${String(algorithm satisfies never)}`);
  }
};

/** The plaintext (`whsec_` or `whsk_`) of a sealed key. Throws `DecryptionError`. */
export const openSecret = (endpointId: string, sealedKey: SealedKey, dataKey: Buffer): string =>
  open(dataKey, sealedKey.ciphertext, secretAad(endpointId, sealedKey.keyId)).toString('utf8');
