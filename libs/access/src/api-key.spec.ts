import {
  API_KEY_ID_PATTERN,
  API_KEY_PATTERN,
  generateApiKey,
  hashApiKey,
  newApiKeyId,
  verifyPresentedKey,
  type ApiKeyView,
} from './api-key';

const viewOf = (plaintext: string, overrides: Partial<ApiKeyView> = {}): ApiKeyView => ({
  id: newApiKeyId(),
  tenantId: 'acme',
  scopes: ['endpoints:read'],
  name: 'ci',
  hashedKey: hashApiKey(plaintext),
  revoked: false,
  ...overrides,
});

describe('API keys', () => {
  it('are rk_ + 43 base64url characters of 32 random bytes, each one new', () => {
    const keys = Array.from({ length: 50 }, generateApiKey);
    for (const key of keys) {
      expect(key).toMatch(API_KEY_PATTERN);
      expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('have ids ak_ + 16 hex', () => {
    expect(newApiKeyId()).toMatch(API_KEY_ID_PATTERN);
  });

  it('are stored as the hex SHA-256 of the key', () => {
    expect(hashApiKey('rk_abc')).toBe(
      'd888437ae7defd1edf8501ce171480b52ddd4182bc83555b103bd3eab5ff8b4b',
    );
    expect(hashApiKey('rk_abc')).not.toBe(hashApiKey('rk_abd'));
  });
});

describe('verifyPresentedKey', () => {
  const key = generateApiKey();

  it('accepts the key its view was made from', () => {
    expect(verifyPresentedKey(key, viewOf(key))).toBe(true);
  });

  it('refuses another key, a revoked key, a missing view and a malformed key', () => {
    expect(verifyPresentedKey(generateApiKey(), viewOf(key))).toBe(false);
    expect(verifyPresentedKey(key, viewOf(key, { revoked: true }))).toBe(false);
    expect(verifyPresentedKey(key, undefined)).toBe(false);
    expect(verifyPresentedKey(`${key}x`, viewOf(`${key}x`))).toBe(false);
    expect(verifyPresentedKey(key, viewOf(key, { hashedKey: 'not-hex' }))).toBe(false);
  });
});
