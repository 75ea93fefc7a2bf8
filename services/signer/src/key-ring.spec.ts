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
import type { KeyRingView } from '@rotor/projections';
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
