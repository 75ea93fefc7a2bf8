import type { KeyView } from './views';
import { PUBLIC_KEYS_MAX_AGE_SECONDS, publicKeysAt } from './public-keys';
import type { EndpointView } from './views';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const pk = (n: number) => `whpk_${Buffer.alloc(32, n).toString('base64')}`;
const edKey = (n: number, extra: Partial<KeyView> = {}): KeyView => ({
  keyId: `key_01J${String(n).padStart(23, '0')}`,
  status: 'current',
  createdAt: iso(0),
  hint: 'h',
  fingerprint: 'f',
  signing: 'ed25519',
  publicKey: pk(n),
  ...extra,
});
const hmacKey = (n: number, extra: Partial<KeyView> = {}): KeyView => {
  const { publicKey: _none, ...key } = edKey(n, extra);
  return { ...key, signing: 'hmac-sha256' };
};
const view = (keys: KeyView[], status: EndpointView['status'] = 'active'): EndpointView => ({
  id: 'we_550e8400e29b41d4a716446655440000',
  tenantId: 'acme',
  status,
  createdAt: iso(0),
  updatedAt: iso(0),
  keys,
  version: 1,
});

describe('publicKeysAt', () => {
  it('given one Ed25519 key, then it is listed, cacheable for the full max age', () => {
    expect(publicKeysAt(view([edKey(1)]), at(10))).toEqual({
      keys: [{ keyId: edKey(1).keyId, publicKey: pk(1), status: 'current', createdAt: iso(0) }],
      maxAgeSeconds: PUBLIC_KEYS_MAX_AGE_SECONDS,
    });
  });

  it('given an overlap ending in 30 s, then both keys, newest first, and the cache lives until the old key leaves the list', () => {
    const keys = [edKey(2), edKey(1, { status: 'previous', expiresAt: iso(100) })];

    const during = publicKeysAt(view(keys), at(70));
    expect(during.keys.map((k) => [k.publicKey, k.status])).toEqual([
      [pk(2), 'current'],
      [pk(1), 'previous'],
    ]);
    // The old key stops at 100 s and its signatures verify until 100 + 300 s.
    expect(during.maxAgeSeconds).toBe(PUBLIC_KEYS_MAX_AGE_SECONDS);
    expect(publicKeysAt(view(keys), at(370)).maxAgeSeconds).toBe(30);
  });

  it('given a key that stopped signing, then it is listed as expired for the signature tolerance only', () => {
    const keys = [
      edKey(2),
      edKey(1, { status: 'expired', expiresAt: iso(3600), expiredAt: iso(100) }),
    ];

    expect(publicKeysAt(view(keys), at(399)).keys.map((k) => k.status)).toEqual([
      'current',
      'expired',
    ]);
    expect(publicKeysAt(view(keys), at(399)).keys[1].expiresAt).toBe(iso(100));
    expect(publicKeysAt(view(keys), at(400)).keys.map((k) => k.publicKey)).toEqual([pk(2)]);
  });

  it('given a previous key past its end not yet recorded as expired, then it shows expired', () => {
    const keys = [edKey(2), edKey(1, { status: 'previous', expiresAt: iso(100) })];
    expect(publicKeysAt(view(keys), at(150)).keys[1].status).toBe('expired');
  });

  it('given HMAC keys only, or a deleted endpoint, then nothing is published', () => {
    expect(publicKeysAt(view([hmacKey(1)]), at(0)).keys).toEqual([]);
    expect(publicKeysAt(view([edKey(1)], 'deleted'), at(0)).keys).toEqual([]);
  });

  it('given a switch from HMAC, then only the Ed25519 key is published', () => {
    const keys = [edKey(2), hmacKey(1, { status: 'previous', expiresAt: iso(100) })];
    expect(publicKeysAt(view(keys), at(0)).keys.map((k) => k.publicKey)).toEqual([pk(2)]);
  });
});
