import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/**
 * The audit key (DESIGN §6): an Ed25519 key pair. The private half lives with the KEK ring
 * and only the writers hold it (command service, all-in-one, CLI); every reader verifies
 * with the public half, so a verifier can check the history but never forge it. A shared
 * HMAC key would let every verifier rewrite what it verifies.
 *
 * Both halves travel as base64 of their 32 raw bytes (the private half is the RFC 8032
 * seed). No error message or serialisation here ever contains key material.
 */
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
// DER wrappers of a raw Ed25519 key (RFC 8410): node:crypto imports keys as DER.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const BASE64 = /^[A-Za-z0-9+/]{43}=$/;

export class AuditKeyError extends Error {
  readonly code = 'invalid_audit_key';
  override readonly name = 'AuditKeyError';
}

/** What the writers sign with. */
export interface AuditSigner {
  /** `audit-` + 16 hex of SHA-256 of the public key: recorded with every signature. */
  readonly keyId: string;
  /** base64 of the raw public key, for ROTOR_AUDIT_PUBLIC_KEY. */
  readonly publicKey: string;
  /** base64 Ed25519 signature of `message`. */
  sign(message: string): string;
}

/** What every reader checks with: one or more public keys (an old one stays during a change). */
export interface AuditVerifier {
  readonly keyIds: readonly string[];
  /** False for an unknown key id, a malformed signature, or one that does not verify. */
  verify(keyId: unknown, message: string, signature: unknown): boolean;
  /**
   * The same check on libuv's thread pool, so that a pass with many signatures to check
   * (audit verify: one per stream) uses the other cores while it goes on hashing. Optional:
   * where absent, `verify`.
   */
  verifyAsync?(keyId: unknown, message: string, signature: unknown): Promise<boolean>;
}

const keyIdOf = (rawPublicKey: Buffer): string =>
  `audit-${createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16)}`;

const decodeKey = (text: unknown, what: string): Buffer => {
  if (typeof text !== 'string' || !BASE64.test(text))
    throw new AuditKeyError(`${what} must be base64 of ${KEY_BYTES} bytes`);
  return Buffer.from(text, 'base64');
};

/** A signer from the private half (base64 of the 32-byte seed). */
export function createAuditSigner(privateKeyBase64: unknown): AuditSigner {
  const seed = decodeKey(privateKeyBase64, 'the audit private key');
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
  } catch {
    throw new AuditKeyError('the audit private key is not an Ed25519 seed');
  } finally {
    seed.fill(0);
  }
  const raw = createPublicKey(key)
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_PREFIX.length);
  const keyId = keyIdOf(raw);
  const publicKey = raw.toString('base64');
  return {
    keyId,
    publicKey,
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), key).toString('base64'),
  };
}

/** A verifier from public halves: base64 of 32 raw bytes each. */
export function createAuditVerifier(publicKeysBase64: readonly string[]): AuditVerifier {
  if (publicKeysBase64.length === 0) throw new AuditKeyError('no audit public key');
  const keys = new Map<string, KeyObject>();
  publicKeysBase64.forEach((text, index) => {
    const raw = decodeKey(text, `audit public key #${index + 1}`);
    try {
      keys.set(
        keyIdOf(raw),
        createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }),
      );
    } catch {
      throw new AuditKeyError(`audit public key #${index + 1} is not an Ed25519 public key`);
    }
  });
  /** The key and the signature's bytes, or undefined when they cannot verify anything. */
  const checkable = (keyId: unknown, signature: unknown) => {
    const key = typeof keyId === 'string' ? keys.get(keyId) : undefined;
    if (!key || typeof signature !== 'string') return undefined;
    const bytes = Buffer.from(signature, 'base64');
    return bytes.length === SIGNATURE_BYTES ? { key, bytes } : undefined;
  };
  return {
    keyIds: [...keys.keys()],
    verify(keyId, message, signature) {
      const parts = checkable(keyId, signature);
      return (
        parts !== undefined && verify(null, Buffer.from(message, 'utf8'), parts.key, parts.bytes)
      );
    },
    verifyAsync(keyId, message, signature) {
      const parts = checkable(keyId, signature);
      if (!parts) return Promise.resolve(false);
      return new Promise((resolve, reject) =>
        verify(null, Buffer.from(message, 'utf8'), parts.key, parts.bytes, (error, ok) =>
          error ? reject(error) : resolve(ok),
        ),
      );
    },
  };
}

/** ROTOR_AUDIT_PUBLIC_KEY: one key, or several separated by commas; each checked. */
export const parseAuditPublicKeys = (text: string): string[] => {
  const keys = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  createAuditVerifier(keys); // throws AuditKeyError on a malformed one
  return keys;
};

/** A fresh private half (base64 seed): for the development ring and tests. */
export const generateAuditPrivateKey = (): string => randomBytes(KEY_BYTES).toString('base64');

/** The verifier of a signer's own public key. */
export const verifierOf = (signer: AuditSigner): AuditVerifier =>
  createAuditVerifier([signer.publicKey]);

/** A verifier that also remembers signatures it need not check again (`rememberingVerifier`). */
export interface RememberingVerifier extends AuditVerifier {
  /**
   * Records a signature this process made itself (an event it just appended): a read of it
   * back then costs its hash alone. Only for signatures made with this process's own key.
   */
  remember(keyId: string, message: string, signature: string): void;
}

/**
 * `verifier`, remembering the last `capacity` signatures that verified, and those this
 * process made: a stream read again (each command reads its endpoint's data-key stream)
 * and a feed of this process's own appends (the anchor writer, the all-in-one projector)
 * are then checked by their hashes alone. Sound because a remembered signature is of the
 * very hash the reader recomputes from the content; only successes are remembered, so a bad
 * signature is checked every time.
 */
export function rememberingVerifier(
  verifier: AuditVerifier,
  capacity = 10_000,
): RememberingVerifier {
  const verified = new Set<string>();
  const add = (entry: string): void => {
    // Oldest first out: a Set iterates in insertion order.
    if (verified.size >= capacity) verified.delete(verified.values().next().value as string);
    verified.add(entry);
  };
  return {
    keyIds: verifier.keyIds,
    verify(keyId, message, signature) {
      if (typeof keyId !== 'string' || typeof signature !== 'string') return false;
      const entry = `${keyId}\n${signature}\n${message}`;
      if (verified.has(entry)) return true;
      if (!verifier.verify(keyId, message, signature)) return false;
      add(entry);
      return true;
    },
    remember(keyId, message, signature) {
      // A key this verifier does not trust stays untrusted, whoever signed with it.
      if (verifier.keyIds.includes(keyId)) add(`${keyId}\n${signature}\n${message}`);
    },
  };
}
