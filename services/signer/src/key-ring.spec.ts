import {
  DataKeyVault,
  generateEd25519Key,
  generateKekRingText,
  generateSecret,
  parseKekRing,
  sealSecret,
  secretBytes,
  signatureHeaders,
} from '@rotor/crypto';
import { SqliteEventStore } from '@rotor/event-store';
import type { KeyRingKey, KeyRingView } from '@rotor/projections';
import { v1aVerifies } from '@rotor/testing';
import { KeyRing } from './key-ring';

const ENDPOINT = 'we_550e8400e29b41d4a716446655440000';

describe('the signer key ring', () => {
  let store: SqliteEventStore;
  let vault: DataKeyVault;
  let draft: KeyRingView;
  const oldSecret = generateSecret();
  const newSecret = generateSecret();

  beforeAll(async () => {
    store = new SqliteEventStore(':memory:');
    vault = new DataKeyVault(store, parseKekRing(generateKekRingText()));
    const wrapped = await vault.ensure(ENDPOINT);
    const dataKey = vault.unwrap(wrapped);
    const seal = (keyId: string, secret: string) =>
      sealSecret({
        endpointId: ENDPOINT,
        keyId,
        secret,
        dataKey,
        kekId: wrapped.kekId,
        createdAt: new Date(0),
      });
    draft = {
      endpointId: ENDPOINT,
      tenantId: 'acme',
      keys: [
        {
          keyId: 'key_01J00000000000000000000002',
          ciphertext: seal('key_01J00000000000000000000002', newSecret).ciphertext,
          createdAt: '1970-01-01T00:00:00.000Z',
        },
        {
          keyId: 'key_01J00000000000000000000001',
          ciphertext: seal('key_01J00000000000000000000001', oldSecret).ciphertext,
          createdAt: '1970-01-01T00:00:00.000Z',
          expiresAt: '2026-01-01T00:00:10.000Z',
        },
      ],
      revision: 1,
      deleted: false,
    };
  });
  afterAll(() => store.close());

  it('signs with both keys, newest first, until the previous key expires, whatever the events say', async () => {
    const ring = new KeyRing(vault);
    ring.update(ENDPOINT, draft);
    const before = (await ring.signingKeys(ENDPOINT, Date.parse('2026-01-01T00:00:09.999Z')))!;
    expect(before).toEqual([secretBytes(newSecret), secretBytes(oldSecret)]);
    // No PreviousSecretExpired has arrived, yet the old key stops at its expiry time.
    expect(await ring.signingKeys(ENDPOINT, Date.parse('2026-01-01T00:00:10.000Z'))).toEqual([
      secretBytes(newSecret),
    ]);
  });

  it('opens an Ed25519 key (the ring names its scheme) to a private key that signs v1a', async () => {
    const { privateKey, publicKey } = generateEd25519Key();
    const wrapped = await vault.ensure(ENDPOINT);
    const keyId = 'key_01J00000000000000000000003';
    const sealedKey = sealSecret({
      endpointId: ENDPOINT,
      keyId,
      secret: privateKey,
      algorithm: 'ed25519',
      dataKey: vault.unwrap(wrapped),
      kekId: wrapped.kekId,
      createdAt: new Date(0),
    });
    const ring = new KeyRing(vault);
    ring.update(ENDPOINT, {
      ...draft,
      keys: [
        {
          keyId,
          ciphertext: sealedKey.ciphertext,
          createdAt: sealedKey.createdAt,
          algorithm: 'ed25519',
        },
        draft.keys[0],
      ],
      revision: 5,
    });

    const keys = (await ring.signingKeys(ENDPOINT, 0))!;
    const headers = signatureHeaders({ msgId: 'msg_1', timestamp: 1, payload: 'p', secrets: keys });

    expect(keys[1]).toEqual(secretBytes(newSecret));
    expect(headers['webhook-signature']).toMatch(/^v1a,\S+ v1,\S+$/);
    expect(v1aVerifies(publicKey, headers, 'p')).toBe(true);
  });

  it('forgets a deleted endpoint, its data key included, and ignores a stale draft', async () => {
    const ring = new KeyRing(vault);
    const forget = jest.spyOn(vault, 'forget');
    ring.update(ENDPOINT, draft);
    ring.update(ENDPOINT, { ...draft, keys: draft.keys.slice(0, 1), revision: 0 });
    expect(await ring.signingKeys(ENDPOINT, 0)).toHaveLength(2);
    ring.update(ENDPOINT, { ...draft, keys: [], deleted: true, revision: 2 });
    expect(forget).toHaveBeenCalledWith(ENDPOINT);
    expect(await ring.signingKeys(ENDPOINT, 0)).toBeUndefined();
    expect(ring.has(ENDPOINT)).toBe(false);
  });

  it('gets the data key from the store, not from the view, and signs nothing once it is shredded', async () => {
    const other = 'we_550e8400e29b41d4a716446655440001';
    const ring = new KeyRing(vault);
    ring.update(other, { ...draft, endpointId: other });
    expect(await ring.signingKeys(other, 0)).toBeUndefined(); // no data key in the store
  });
});

describe('the signer key ring while it changes', () => {
  const DATA_KEY = Buffer.alloc(32, 9);
  const secrets = [generateSecret(), generateSecret()];
  const key = (i: number) => ({
    keyId: `key_${i}`,
    ciphertext: sealSecret({
      endpointId: ENDPOINT,
      keyId: `key_${i}`,
      secret: secrets[i],
      dataKey: DATA_KEY,
      kekId: 'kek',
      createdAt: new Date(0),
    }).ciphertext,
    createdAt: '1970-01-01T00:00:00.000Z',
  });
  const view = (revision: number, keys: KeyRingView['keys']): KeyRingView => ({
    endpointId: ENDPOINT,
    tenantId: 'acme',
    keys,
    revision,
    deleted: false,
  });

  it('opens a key once, and keeps it opened through updates that keep the key', async () => {
    const dataKeyOf = jest.fn(() => Promise.resolve(Buffer.from(DATA_KEY)));
    const ring = new KeyRing({ dataKeyOf, forget: () => undefined });
    ring.update(ENDPOINT, view(1, [key(0)]));
    expect(await ring.signingKeys(ENDPOINT, 0)).toEqual([secretBytes(secrets[0])]);
    ring.update(ENDPOINT, view(2, [key(1), { ...key(0), expiresAt: '1970-01-01T00:01:00Z' }]));
    expect(await ring.signingKeys(ENDPOINT, 0)).toEqual([
      secretBytes(secrets[1]),
      secretBytes(secrets[0]),
    ]);
    ring.update(ENDPOINT, view(3, [key(1)]));
    expect(await ring.signingKeys(ENDPOINT, 0)).toEqual([secretBytes(secrets[1])]);
    // Once for key 0, once for key 1: the update that kept key 0 did not reopen it.
    expect(dataKeyOf).toHaveBeenCalledTimes(2);
  });

  it('signs nothing when the endpoint changes while its data key is being read', async () => {
    let release!: (dataKey: Buffer) => void;
    const ring = new KeyRing({
      dataKeyOf: () => new Promise((resolve) => (release = resolve)),
      forget: () => undefined,
    });
    ring.update(ENDPOINT, view(1, [key(0)]));
    const pending = ring.signingKeys(ENDPOINT, 0);
    ring.update(ENDPOINT, view(2, [key(1)]));
    const dataKey = Buffer.from(DATA_KEY);
    release(dataKey);
    expect(await pending).toBeUndefined();
    expect(dataKey.equals(Buffer.alloc(32))).toBe(true); // wiped all the same
  });

  it('wipes the opened HMAC secrets of a deleted endpoint', async () => {
    const ring = new KeyRing({
      dataKeyOf: () => Promise.resolve(Buffer.from(DATA_KEY)),
      forget: () => undefined,
    });
    ring.update(ENDPOINT, view(1, [key(0)]));
    const [opened] = (await ring.signingKeys(ENDPOINT, 0))!;
    ring.update(ENDPOINT, undefined);
    expect((opened as Buffer).equals(Buffer.alloc((opened as Buffer).length))).toBe(true);
    expect(ring.size).toBe(0);
  });

  it('drops a draft it cannot pack instead of throwing inside the watch', () => {
    const ring = new KeyRing({
      dataKeyOf: () => Promise.resolve(undefined),
      forget: () => undefined,
    });
    const malformed: unknown[] = [
      { ...key(0), ciphertext: 42 },
      { ...key(0), keyId: undefined },
      { ...key(0), expiresAt: null },
      { ...key(0), algorithm: 7 },
      null,
    ];
    for (const bad of malformed) {
      ring.update(ENDPOINT, view(1, [key(1)]));
      expect(() => ring.update(ENDPOINT, view(2, [bad as KeyRingKey]))).not.toThrow();
      expect(ring.has(ENDPOINT)).toBe(false);
    }
    ring.update(ENDPOINT, { ...view(3, [key(0)]), keys: undefined as unknown as KeyRingKey[] });
    expect(ring.has(ENDPOINT)).toBe(false);
  });
});
