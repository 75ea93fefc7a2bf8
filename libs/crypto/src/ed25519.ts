import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { InvalidSecretError } from './secrets';

/**
 * Ed25519 keys in the Standard Webhooks asymmetric format: the private key is `whsk_` +
 * base64 of 64 bytes (the 32-byte seed followed by the 32-byte public key, as libsodium
 * and the reference libraries hold it); the public key is `whpk_` + base64 of the 32 raw
 * bytes. Receivers verify `v1a` signatures with the public key alone.
 */
export const PRIVATE_KEY_PREFIX = 'whsk_';
export const PUBLIC_KEY_PREFIX = 'whpk_';
const HALF_BYTES = 32;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface Ed25519KeyPair {
  /** `whsk_…`: sealed at once, never shown to anyone. */
  readonly privateKey: string;
  /** `whpk_…`: what receivers verify with. */
  readonly publicKey: string;
}

const jwkOf = (key: KeyObject) => key.export({ format: 'jwk' }) as { d?: string; x: string };

export const generateEd25519Key = (): Ed25519KeyPair => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { d, x } = jwkOf(privateKey);
  const seed = Buffer.from(d!, 'base64url');
  const pub = Buffer.from(x, 'base64url');
  return {
    privateKey: PRIVATE_KEY_PREFIX + Buffer.concat([seed, pub]).toString('base64'),
    publicKey: PUBLIC_KEY_PREFIX + pub.toString('base64'),
  };
};

const decode = (value: string, prefix: string, bytes: number, what: string): Buffer => {
  const body = value.startsWith(prefix) ? value.slice(prefix.length) : '';
  const decoded = BASE64.test(body) ? Buffer.from(body, 'base64') : Buffer.alloc(0);
  if (decoded.length !== bytes)
    throw new InvalidSecretError(
      `malformed ${what}: expected ${prefix} + base64 of ${bytes} bytes`,
    );
  return decoded;
};

/**
 * The signing key of a `whsk_` private key. Its public half must be the one the seed
 * derives (Node 20's node:crypto does not check), so a corrupted key fails here, not at a
 * receiver.
 * The message never repeats the key.
 */
export const ed25519PrivateKey = (privateKey: string): KeyObject => {
  const bytes = decode(privateKey, PRIVATE_KEY_PREFIX, 2 * HALF_BYTES, 'Ed25519 private key');
  const mismatch = () =>
    new InvalidSecretError('malformed Ed25519 private key: its public half does not match');
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: bytes.subarray(0, HALF_BYTES).toString('base64url'),
        x: bytes.subarray(HALF_BYTES).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    // Node 22+ checks the pair itself ("Invalid JWK OKP key"); Node 20 does not (below).
    throw mismatch();
  }
  const derived = Buffer.from(jwkOf(createPublicKey(key)).x, 'base64url');
  if (!derived.equals(bytes.subarray(HALF_BYTES))) throw mismatch();
  return key;
};

/** The `whpk_` public key of a `whsk_` private key. */
export const ed25519PublicKeyOf = (privateKey: string): string => {
  ed25519PrivateKey(privateKey);
  const bytes = decode(privateKey, PRIVATE_KEY_PREFIX, 2 * HALF_BYTES, 'Ed25519 private key');
  return PUBLIC_KEY_PREFIX + bytes.subarray(HALF_BYTES).toString('base64');
};

/** What a receiver does with a `whpk_` key: a node:crypto public key to verify `v1a` with. */
export const ed25519PublicKey = (publicKey: string): KeyObject =>
  createPublicKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      x: decode(publicKey, PUBLIC_KEY_PREFIX, HALF_BYTES, 'Ed25519 public key').toString(
        'base64url',
      ),
    },
    format: 'jwk',
  });
