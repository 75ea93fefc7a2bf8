import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys of the REST facade (DESIGN §5): tenant-bound, scoped, shown once, stored only as
 * a SHA-256 hash. The `rk_` prefix and fixed length let secret scanners spot a leaked key.
 */
export const API_KEY_PREFIX = 'rk_';
/** `rk_` + base64url of 32 random bytes (43 characters, no padding). */
export const API_KEY_PATTERN = /^rk_[A-Za-z0-9_-]{43}$/;
/** `ak_` + 16 lowercase hex: the key's public id, the actor of the commands it sends. */
export const API_KEY_ID_PATTERN = /^ak_[0-9a-f]{16}$/;

export const SCOPES = [
  'endpoints:read',
  'endpoints:write',
  'secrets:rotate',
  'signatures:create',
  'audit:read',
] as const;
export type Scope = (typeof SCOPES)[number];
/** Every scope: what a development key gets. */
export const ALL_SCOPES: readonly Scope[] = SCOPES;

export const isScope = (value: unknown): value is Scope =>
  typeof value === 'string' && (SCOPES as readonly string[]).includes(value);

/** What the store holds about a key: never the key itself. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
  readonly name: string;
  /** hex SHA-256 of the plaintext key. */
  readonly hashedKey: string;
  /** RFC 3339. */
  readonly createdAt: string;
  /** RFC 3339; set once the key was revoked. */
  readonly revokedAt?: string;
}

/**
 * Bucket `rotor_api_keys`, KV key = `hashedKey`: what the gateway looks a presented key up
 * by. Written by the projector, watched into memory by the gateway.
 */
export interface ApiKeyView {
  readonly id: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
  readonly name: string;
  readonly hashedKey: string;
  readonly revoked: boolean;
}

export const API_KEYS_BUCKET = 'rotor_api_keys';

export const generateApiKey = (): string =>
  `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

export const newApiKeyId = (): string => `ak_${randomBytes(8).toString('hex')}`;

export const isApiKeyFormat = (value: unknown): value is string =>
  typeof value === 'string' && API_KEY_PATTERN.test(value);

export const isApiKeyId = (value: unknown): value is string =>
  typeof value === 'string' && API_KEY_ID_PATTERN.test(value);

/** hex SHA-256. A key has 256 random bits, so a fast unsalted hash is enough (no dictionary). */
export const hashApiKey = (plaintext: string): string =>
  createHash('sha256').update(plaintext, 'utf8').digest('hex');

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * True when `presented` is the key `view` describes and the key is still valid. The hashes
 * are compared in constant time, so a lookup that found `view` by another route (or a
 * forged view) cannot be probed byte by byte.
 */
export const verifyPresentedKey = (presented: string, view: ApiKeyView | undefined): boolean => {
  if (!view || view.revoked || !isApiKeyFormat(presented) || !HASH_PATTERN.test(view.hashedKey))
    return false;
  const expected = Buffer.from(view.hashedKey, 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(actual, expected);
};

export const toApiKeyView = (record: ApiKeyRecord): ApiKeyView => ({
  id: record.id,
  tenantId: record.tenantId,
  scopes: [...record.scopes],
  name: record.name,
  hashedKey: record.hashedKey,
  revoked: record.revokedAt !== undefined,
});
