import { randomBytes } from 'node:crypto';
import {
  EventStoreUnavailableError,
  GENESIS_HASH,
  StreamDeletedError,
  verifyStream,
  type EventStore,
} from '@rotor/event-store';
import { DATA_KEY_STREAM_PREFIX, dataKeyStreamName } from './data-key-events';
import { DataKeyVault } from './data-key-vault';
import { DecryptionError } from './envelope';
import { createKekRing, UnknownKekError, type KekRing } from './kek-ring';
import { openSecret, sealSecret } from './key-sealing';
import { generateSecret } from './secrets';
import { InMemoryEventStore } from './testing/in-memory-event-store';

const ENDPOINT = 'we_550e8400e29b41d4a716446655440000';
const KEY_ID = 'key_01JAAAAAAAAAAAAAAAAAAAAAAA';
const NOW = new Date('2026-01-01T00:00:00.000Z');
const kek2024 = randomBytes(32);
const kek2025 = randomBytes(32);
const ring2024: KekRing = createKekRing('kek-2024', { 'kek-2024': kek2024 });
const ring2025: KekRing = createKekRing('kek-2025', { 'kek-2025': kek2025, 'kek-2024': kek2024 });
const ring2025Only: KekRing = createKekRing('kek-2025', { 'kek-2025': kek2025 });

const vaultOf = (store: EventStore, ring: KekRing) =>
  new DataKeyVault(store, ring, { clock: () => NOW });

/** The store with some methods replaced: to stage races, crashes and concurrent deletes. */
const storeWith = (store: InMemoryEventStore, overrides: Partial<EventStore>): EventStore => ({
  append: (stream, events, expected) => store.append(stream, events, expected),
  read: (stream) => store.read(stream),
  readAll: (from, filter) => store.readAll(from, filter),
  subscribeAll: (from, options) => store.subscribeAll(from, options),
  deleteStream: (stream) => store.deleteStream(stream),
  ping: () => store.ping(),
  close: () => store.close(),
  ...overrides,
});

/** A store whose reads all wait until `count` of them are in flight: forces a race. */
const racingReads = (store: InMemoryEventStore, count: number): EventStore => {
  let waiting = 0;
  let release!: () => void;
  const allIn = new Promise<void>((resolve) => (release = resolve));
  return storeWith(store, {
    read: async (stream) => {
      const events = await store.read(stream);
      if (++waiting >= count) release();
      await allIn;
      return events;
    },
  });
};

/** Given an endpoint with a data key and one sealed secret. */
const givenEndpointWithSecret = async (store: InMemoryEventStore, ring: KekRing) => {
  const vault = vaultOf(store, ring);
  const wrapped = await vault.ensure(ENDPOINT);
  const secret = generateSecret();
  const sealed = sealSecret({
    endpointId: ENDPOINT,
    keyId: KEY_ID,
    secret,
    dataKey: vault.unwrap(wrapped),
    kekId: wrapped.kekId,
    createdAt: NOW,
  });
  return { vault, wrapped, secret, sealed };
};

/** Opens a sealed secret the way a fresh process would: nothing cached. */
const openAfresh = async (
  store: EventStore,
  ring: KekRing,
  sealed: Parameters<typeof openSecret>[1],
) => {
  const vault = vaultOf(store, ring);
  const wrapped = await vault.get(ENDPOINT);
  if (!wrapped) throw new Error('no data key');
  return openSecret(ENDPOINT, sealed, vault.unwrap(wrapped));
};

describe('DataKeyVault.ensure', () => {
  it('given no data key, when ensured, then one DataKeyCreated is appended under the primary KEK', async () => {
    const store = new InMemoryEventStore();

    const wrapped = await vaultOf(store, ring2024).ensure(ENDPOINT, {
      actor: 'ak_1',
      requestId: 'req-1',
    });

    const events = await store.read(`${DATA_KEY_STREAM_PREFIX}${ENDPOINT}`);
    expect(wrapped).toEqual({
      endpointId: ENDPOINT,
      kekId: 'kek-2024',
      wrappedKey: expect.any(String),
      revision: 0,
    });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'DataKeyCreated',
        version: 1,
        data: { endpointId: ENDPOINT, kekId: 'kek-2024', wrappedKey: wrapped.wrappedKey },
        metadata: expect.objectContaining({
          actor: 'ak_1',
          requestId: 'req-1',
          occurredAt: NOW.toISOString(),
          prevHash: GENESIS_HASH,
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
      }),
    ]);
    expect(verifyStream(events).ok).toBe(true);
  });

  it('given a new data key, when stored, then the store never sees it unwrapped', async () => {
    const store = new InMemoryEventStore();
    const vault = vaultOf(store, ring2024);

    const dataKey = vault.unwrap(await vault.ensure(ENDPOINT));

    expect(store.dump()).not.toContain(dataKey.toString('base64'));
    expect(store.dump()).not.toContain(dataKey.toString('hex'));
  });

  it('given a data key, when ensured again, then the same key comes back and nothing is appended', async () => {
    const store = new InMemoryEventStore();
    const first = await vaultOf(store, ring2024).ensure(ENDPOINT);

    const second = await vaultOf(store, ring2024).ensure(ENDPOINT);

    expect(second).toEqual(first);
    expect(await store.read(dataKeyStreamName(ENDPOINT))).toHaveLength(1);
  });

  it('given two writers racing, when both ensure, then one key is created and both get it', async () => {
    const store = new InMemoryEventStore();
    const racing = racingReads(store, 2);

    const [a, b] = await Promise.all([
      vaultOf(racing, ring2024).ensure(ENDPOINT),
      vaultOf(racing, ring2024).ensure(ENDPOINT),
    ]);

    expect(a).toEqual(b);
    expect(await store.read(dataKeyStreamName(ENDPOINT))).toHaveLength(1);
    expect(vaultOf(store, ring2024).unwrap(a)).toEqual(vaultOf(store, ring2024).unwrap(b));
  });
});

describe('DataKeyVault.unwrap', () => {
  it('given a wrapped key, when unwrapped by another process, then gives the same 32-byte key', async () => {
    const store = new InMemoryEventStore();
    const { vault, wrapped } = await givenEndpointWithSecret(store, ring2024);

    const dataKey = vaultOf(store, ring2024).unwrap(wrapped);

    expect(dataKey).toHaveLength(32);
    expect(dataKey).toEqual(vault.unwrap(wrapped));
  });

  it('given a wrapped key moved to another endpoint, when unwrapped, then throws DecryptionError', async () => {
    const store = new InMemoryEventStore();
    const { wrapped } = await givenEndpointWithSecret(store, ring2024);

    const moved = { ...wrapped, endpointId: 'we_00000000000000000000000000000000' };

    expect(() => vaultOf(store, ring2024).unwrap(moved)).toThrow(DecryptionError);
  });

  it('given a cached key, when the caller overwrites it, then the next unwrap is intact', async () => {
    const store = new InMemoryEventStore();
    const { vault, wrapped } = await givenEndpointWithSecret(store, ring2024);
    const expected = vaultOf(store, ring2024).unwrap(wrapped);

    vault.unwrap(wrapped).fill(0);

    expect(vault.unwrap(wrapped)).toEqual(expected);
  });
});

describe('DataKeyVault.shred', () => {
  it('given a sealed secret, when the endpoint is shredded, then the secret can never be opened again', async () => {
    const store = new InMemoryEventStore();
    const { vault, wrapped, secret, sealed } = await givenEndpointWithSecret(store, ring2024);
    expect(await openAfresh(store, ring2024, sealed)).toBe(secret);

    await vault.shred(ENDPOINT);

    expect(await vault.get(ENDPOINT)).toBeUndefined();
    expect(store.dump()).not.toContain(wrapped.wrappedKey);
    expect(await vault.rewrap(ENDPOINT)).toBe('shredded');
    // The name is tombstoned: no new data key can ever be made for a deleted endpoint.
    await expect(vault.ensure(ENDPOINT)).rejects.toThrow(StreamDeletedError);
  });
});

describe('DataKeyVault.rewrap', () => {
  it('given a key under an old KEK, when re-wrapped, then it moves to the new primary, chained to the last event', async () => {
    const store = new InMemoryEventStore();
    const { wrapped } = await givenEndpointWithSecret(store, ring2024);

    const outcome = await vaultOf(store, ring2025).rewrap(ENDPOINT);

    const events = await store.read(dataKeyStreamName(ENDPOINT));
    const rewrapped = await vaultOf(store, ring2025).get(ENDPOINT);
    expect(outcome).toBe('rewrapped');
    expect(rewrapped).toEqual(expect.objectContaining({ kekId: 'kek-2025', revision: 1 }));
    expect(events[1]).toEqual(
      expect.objectContaining({
        type: 'DataKeyRewrapped',
        version: 1,
        data: {
          endpointId: ENDPOINT,
          kekId: 'kek-2025',
          previousKekId: 'kek-2024',
          wrappedKey: rewrapped?.wrappedKey,
        },
        metadata: expect.objectContaining({ prevHash: events[0].metadata.hash }),
      }),
    );
    expect(rewrapped?.wrappedKey).not.toBe(wrapped.wrappedKey);
    expect(verifyStream(events)).toEqual(expect.objectContaining({ ok: true, count: 2 }));
  });

  it('given a re-wrapped key, when re-wrapped again, then nothing changes (resumable runs)', async () => {
    const store = new InMemoryEventStore();
    await givenEndpointWithSecret(store, ring2024);
    await vaultOf(store, ring2025).rewrap(ENDPOINT);

    expect(await vaultOf(store, ring2025).rewrap(ENDPOINT)).toBe('already_primary');
    expect(await store.read(dataKeyStreamName(ENDPOINT))).toHaveLength(2);
  });

  it('given a re-wrap, when the old KEK is removed from the ring, then old secrets still open', async () => {
    const store = new InMemoryEventStore();
    const { secret, sealed } = await givenEndpointWithSecret(store, ring2024);
    expect(await openAfresh(store, ring2025, sealed)).toBe(secret);

    await vaultOf(store, ring2025).rewrap(ENDPOINT);

    expect(await openAfresh(store, ring2025Only, sealed)).toBe(secret);
  });

  it('given no re-wrap, when the old KEK is removed from the ring, then unwrapping names the missing KEK', async () => {
    const store = new InMemoryEventStore();
    const { sealed } = await givenEndpointWithSecret(store, ring2024);

    await expect(openAfresh(store, ring2025Only, sealed)).rejects.toThrow(UnknownKekError);
  });

  it('given a shred during a re-wrap, when the re-wrap appends, then it reports shredded', async () => {
    const store = new InMemoryEventStore();
    await givenEndpointWithSecret(store, ring2024);
    const shredding = storeWith(store, {
      read: async (stream) => {
        const events = await store.read(stream);
        await store.deleteStream(stream);
        return events;
      },
    });

    expect(await vaultOf(shredding, ring2025).rewrap(ENDPOINT)).toBe('shredded');
  });

  it('given a re-wrap whose append failed, when run again, then it completes', async () => {
    const store = new InMemoryEventStore();
    const { secret, sealed } = await givenEndpointWithSecret(store, ring2024);
    const crashing = storeWith(store, {
      append: async () => {
        throw new EventStoreUnavailableError('store went away');
      },
    });
    await expect(vaultOf(crashing, ring2025).rewrap(ENDPOINT)).rejects.toThrow('store went away');

    expect(await vaultOf(store, ring2025).rewrap(ENDPOINT)).toBe('rewrapped');
    expect(await openAfresh(store, ring2025Only, sealed)).toBe(secret);
  });

  it('given two re-wraps racing, when both run, then one re-wraps and the other finds it done', async () => {
    const store = new InMemoryEventStore();
    await givenEndpointWithSecret(store, ring2024);
    const racing = racingReads(store, 2);

    const outcomes = await Promise.all([
      vaultOf(racing, ring2025).rewrap(ENDPOINT),
      vaultOf(racing, ring2025).rewrap(ENDPOINT),
    ]);

    expect(outcomes.sort()).toEqual(['already_primary', 'rewrapped']);
    expect(await store.read(dataKeyStreamName(ENDPOINT))).toHaveLength(2);
  });
});
