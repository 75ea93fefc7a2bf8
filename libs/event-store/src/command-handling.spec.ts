import {
  decide,
  DomainError,
  EVENT_VERSIONS,
  evolve,
  initialState,
  isDomainError,
  upcast,
  type EndpointCommand,
  type EndpointEvent,
  type EndpointState,
  type SealedKey,
} from '@rotor/domain';
import { GENESIS_HASH } from './audit/hash-chain';
import { verifyStream } from './audit/verify-stream';
import {
  ConcurrencyConflictError,
  handleCommand,
  type CommandHandled,
  type CommandReplayed,
} from './command-handling';
import {
  EventStoreUnavailableError,
  WrongExpectedRevisionError,
  type EventStore,
} from './event-store.port';
import { IDEMPOTENCY_WINDOW_MS, isIdempotencyKeyReused } from './idempotency';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { StreamFoldCache } from './stream-fold';

const ENDPOINT = 'we_0123456789abcdef0123456789abcdef';
const STREAM = `webhookEndpoint-${ENDPOINT}`;
const NOW = new Date('2025-03-01T12:00:00.000Z');

const key = (n: number): SealedKey => ({
  keyId: `key_01J${String(n).padStart(23, '0')}`,
  algorithm: 'hmac-sha256',
  ciphertext: `sealed-${n}`,
  kekId: 'kek-2025',
  hint: `whsec_…000${n}`,
  fingerprint: '0123456789abcdef',
  createdAt: NOW.toISOString(),
});

const register: EndpointCommand = {
  type: 'RegisterEndpoint',
  data: { endpointId: ENDPOINT, tenantId: 'acme', url: 'https://example.com/hook', key: key(1) },
  now: NOW,
};
const rotate = (n: number, force = false): EndpointCommand => ({
  type: 'RotateSecret',
  data: { endpointId: ENDPOINT, key: key(n), expireCurrentIn: 3600, force },
  now: NOW,
});

interface HandleOptions {
  readonly maxAttempts?: number;
  readonly actor?: string;
  readonly requestId?: string;
  readonly idempotencyKey?: string;
  /** What the key stands for; by default the command without its fresh key material. */
  readonly request?: unknown;
  readonly now?: Date;
  readonly cache?: StreamFoldCache<EndpointState, EndpointEvent>;
}

/** A command's request as a client would send it: no key material, no time. */
const requestOf = (command: EndpointCommand) => {
  const { key: _fresh, ...rest } = command.data as { key?: unknown };
  return { type: command.type, ...rest };
};

/** The endpoint decider, as the command service drives it. */
const handle = (store: EventStore, command: EndpointCommand, options: HandleOptions = {}) =>
  handleCommand({
    store,
    stream: STREAM,
    decide: (state) => decide(command, state),
    evolve,
    initialState,
    upcast,
    toStored: (event) => ({
      type: event.type,
      version: EVENT_VERSIONS[event.type],
      data: event.data,
    }),
    metadata: {
      actor: options.actor ?? 'key_tester',
      requestId: options.requestId ?? 'req-1',
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    },
    request: options.request ?? requestOf(command),
    now: () => options.now ?? NOW,
    maxAttempts: options.maxAttempts,
    cache: options.cache,
  });

type Outcome = Awaited<ReturnType<typeof handle>>;

const handled = (result: Outcome): CommandHandled<EndpointState, EndpointEvent> => {
  if (isDomainError(result)) throw new Error(`unexpected rejection: ${result.code}`);
  if (isIdempotencyKeyReused(result)) throw new Error('unexpected idempotency_key_reused');
  if (result.replayed) throw new Error('unexpected replay');
  return result;
};

const replayed = (result: Outcome): CommandReplayed<EndpointState, EndpointEvent> => {
  if (isDomainError(result) || isIdempotencyKeyReused(result) || !result.replayed)
    throw new Error(`expected a replay, got ${JSON.stringify(result)}`);
  return result;
};

const types = async (store: EventStore) => (await store.read(STREAM)).map((event) => event.type);

/** The real store with some calls replaced: to stage a race, an outage or a lost reply. */
const wrap = (store: EventStore, overrides: Partial<EventStore>): EventStore => ({
  append: (stream, events, expected) => store.append(stream, events, expected),
  read: (stream, options) => store.read(stream, options),
  readAll: (from, filter) => store.readAll(from, filter),
  subscribeAll: (from, options) => store.subscribeAll(from, options),
  deleteStream: (stream) => store.deleteStream(stream),
  ping: () => store.ping(),
  close: () => store.close(),
  ...overrides,
});

/** The real store, with `append` replaced: to stage a race or an outage. */
const withAppend = (store: EventStore, append: EventStore['append']): EventStore =>
  wrap(store, { append });

describe('handleCommand', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = new SqliteEventStore(':memory:');
  });
  afterEach(() => store.close());

  it('given a new endpoint, when registered, then one chained event is appended expecting no stream', async () => {
    const result = handled(await handle(store, register, { idempotencyKey: 'idem-1' }));

    expect(result.events.map((event) => event.type)).toEqual(['EndpointRegistered']);
    expect(result.state).toMatchObject({ status: 'active', endpointId: ENDPOINT });
    expect(result.nextExpectedRevision).toBe(0);
    expect(result.position).toEqual(expect.any(String));
    const [recorded] = await store.read(STREAM);
    expect(recorded).toMatchObject({
      type: 'EndpointRegistered',
      version: EVENT_VERSIONS.EndpointRegistered,
    });
    expect(recorded.metadata).toEqual({
      actor: 'key_tester',
      requestId: 'req-1',
      idempotencyKey: 'idem-1',
      requestDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      occurredAt: NOW.toISOString(),
      prevHash: GENESIS_HASH,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('given an endpoint, when rotated, then the events extend the hash chain', async () => {
    await handle(store, register);
    const result = handled(await handle(store, rotate(2)));

    expect(result.nextExpectedRevision).toBe(1);
    const events = await store.read(STREAM);
    expect(events[1].metadata.prevHash).toBe(events[0].metadata.hash);
    expect(verifyStream(events)).toMatchObject({ ok: true, count: 2 });
  });

  it('given a refused command, then the DomainError is returned and nothing is appended', async () => {
    await expect(handle(store, rotate(2))).resolves.toMatchObject({
      kind: 'DomainError',
      code: 'endpoint_not_found',
    });
    await expect(store.read(STREAM)).resolves.toEqual([]);

    await handle(store, register);
    const again = await handle(store, register);
    expect(again).toBeInstanceOf(DomainError);
    await expect(store.read(STREAM)).resolves.toHaveLength(1);
  });

  it('given a decision with no events, then nothing is appended', async () => {
    await handle(store, register);
    const revoke: EndpointCommand = {
      type: 'RevokePreviousSecret',
      data: { endpointId: ENDPOINT },
      now: NOW,
    };
    const appends = jest.spyOn(store, 'append');
    const result = handled(await handle(store, revoke));
    expect(result).toMatchObject({ events: [], nextExpectedRevision: 0 });
    expect(result.position).toBeUndefined();
    expect(appends).not.toHaveBeenCalled();
  });

  describe('given a concurrent writer that appends between our read and our append', () => {
    /** The first append is preceded by another rotation (key 9), as if from another process. */
    const racedStore = () => {
      let raced = false;
      return withAppend(store, async (stream, events, expected) => {
        if (!raced) {
          raced = true;
          handled(await handle(store, rotate(9)));
        }
        return store.append(stream, events, expected);
      });
    };

    it('then the command is decided again on fresh state, and may now be refused', async () => {
      await handle(store, register);
      const result = await handle(racedStore(), rotate(2));

      // The first decision saw no overlap; the fresh one sees key 9's grace period.
      expect(result).toMatchObject({ kind: 'DomainError', code: 'rotation_in_progress' });
      const events = await store.read(STREAM);
      expect(events.map((event) => event.type)).toEqual(['EndpointRegistered', 'SecretRotated']);
    });

    it('then the retry appends after the other writer, on its chain', async () => {
      await handle(store, register);
      const result = handled(await handle(racedStore(), rotate(2, true)));

      expect(result.events.map((event) => event.type)).toEqual([
        'PreviousSecretExpired',
        'SecretRotated',
      ]);
      expect(result.nextExpectedRevision).toBe(3);
      const events = await store.read(STREAM);
      expect(events.map((event) => event.type)).toEqual([
        'EndpointRegistered',
        'SecretRotated',
        'PreviousSecretExpired',
        'SecretRotated',
      ]);
      expect(verifyStream(events)).toMatchObject({ ok: true, count: 4 });
      expect(result.state).toMatchObject({ current: { keyId: key(2).keyId } });
    });
  });

  it('given a stream that changes on every attempt, then ConcurrencyConflictError after maxAttempts', async () => {
    await handle(store, register);
    let attempts = 0;
    const alwaysStale = withAppend(store, async (stream, _events, expected) => {
      attempts += 1;
      throw new WrongExpectedRevisionError(stream, expected, 99);
    });

    const outcome = handle(alwaysStale, rotate(2), { maxAttempts: 3 });
    await expect(outcome).rejects.toThrow(ConcurrencyConflictError);
    await expect(outcome).rejects.toMatchObject({
      code: 'concurrency_conflict',
      stream: STREAM,
      attempts: 3,
    });
    expect(attempts).toBe(3);
    await expect(store.read(STREAM)).resolves.toHaveLength(1);
  });

  it('retries five times by default', async () => {
    let attempts = 0;
    const alwaysStale = withAppend(store, async (stream, _events, expected) => {
      attempts += 1;
      throw new WrongExpectedRevisionError(stream, expected, 0);
    });
    await expect(handle(alwaysStale, register)).rejects.toThrow(ConcurrencyConflictError);
    expect(attempts).toBe(5);
  });

  it('given an unavailable store, then its error is thrown at once, not retried', async () => {
    let attempts = 0;
    const down = withAppend(store, async () => {
      attempts += 1;
      throw new EventStoreUnavailableError('down for maintenance');
    });
    await expect(handle(down, register)).rejects.toThrow(EventStoreUnavailableError);
    expect(attempts).toBe(1);
  });

  describe('idempotency: a key executes once per actor within 24 h', () => {
    const K = 'idem-K';
    const later = (ms: number) => new Date(NOW.getTime() + ms);

    it('given an execution with key K, when the same request is sent again, then it is replayed and nothing is appended', async () => {
      await handle(store, register);
      const first = handled(await handle(store, rotate(2), { idempotencyKey: K }));
      const appends = jest.spyOn(store, 'append');

      // A retry generates fresh key material: it must not matter.
      const again = replayed(
        await handle(store, rotate(3), { idempotencyKey: K, requestId: 'req-2', now: later(1) }),
      );
      expect(again.events).toEqual(first.events);
      expect(again.execution.events.map((e) => e.revision)).toEqual([1]);
      expect(again.execution).toMatchObject({ actor: 'key_tester', idempotencyKey: K });
      expect(again.nextExpectedRevision).toBe(1);
      expect(appends).not.toHaveBeenCalled();
      expect(await types(store)).toEqual(['EndpointRegistered', 'SecretRotated']);
    });

    it('replays every event of a multi-event execution, and only those', async () => {
      await handle(store, register);
      handled(await handle(store, rotate(2)));
      const first = handled(await handle(store, rotate(3, true), { idempotencyKey: K }));
      handled(await handle(store, rotate(4, true), { idempotencyKey: 'other' }));

      const again = replayed(await handle(store, rotate(5, true), { idempotencyKey: K }));
      expect(first.events.map((e) => e.type)).toEqual(['PreviousSecretExpired', 'SecretRotated']);
      expect(again.events).toEqual(first.events);
      expect(again.execution.events.map((e) => e.revision)).toEqual([2, 3]);
    });

    it('given an execution with key K, when another request uses K, then idempotency_key_reused and nothing is appended', async () => {
      await handle(store, register);
      handled(await handle(store, rotate(2), { idempotencyKey: K }));

      const reused = await handle(store, rotate(3, true), { idempotencyKey: K });
      expect(isIdempotencyKeyReused(reused)).toBe(true);
      expect(reused).toMatchObject({ code: 'idempotency_key_reused' });
      expect(await types(store)).toEqual(['EndpointRegistered', 'SecretRotated']);
    });

    it('given an execution older than 24 h, when K is sent again, then it executes', async () => {
      await handle(store, register);
      handled(await handle(store, rotate(2, true), { idempotencyKey: K }));

      const justBefore = await handle(store, rotate(3, true), {
        idempotencyKey: K,
        now: later(IDEMPOTENCY_WINDOW_MS - 1),
      });
      expect(replayed(justBefore).replayed).toBe(true);
      const after = handled(
        await handle(store, rotate(3, true), {
          idempotencyKey: K,
          now: later(IDEMPOTENCY_WINDOW_MS),
        }),
      );
      expect(after.events.map((e) => e.type)).toContain('SecretRotated');
      // And the new execution is the one a retry now finds.
      const retried = replayed(
        await handle(store, rotate(4, true), {
          idempotencyKey: K,
          now: later(IDEMPOTENCY_WINDOW_MS + 1),
        }),
      );
      expect(retried.events).toEqual(after.events);
    });

    it('given an execution with key K by one actor, when another actor uses K, then it executes on its own', async () => {
      await handle(store, register);
      handled(await handle(store, rotate(2, true), { idempotencyKey: K, actor: 'key_alice' }));
      const bob = handled(
        await handle(store, rotate(3, true), { idempotencyKey: K, actor: 'key_bob' }),
      );
      expect(bob.events.map((e) => e.type)).toEqual(['PreviousSecretExpired', 'SecretRotated']);
      expect(
        replayed(await handle(store, rotate(4, true), { idempotencyKey: K, actor: 'key_alice' }))
          .events,
      ).toHaveLength(1);
    });

    it('given a refused command with K, when K is sent again, then it is decided again (a refusal appends nothing to replay)', async () => {
      const refused = await handle(store, rotate(2), { idempotencyKey: K });
      expect(refused).toMatchObject({ code: 'endpoint_not_found' });
      await handle(store, register);
      handled(await handle(store, rotate(2), { idempotencyKey: K }));
    });

    it('given two concurrent executions of K, then exactly one appends and the other replays it', async () => {
      await handle(store, register);
      // Both reads are held until both have read: each decides on the same revision.
      let waiting: (() => void)[] = [];
      let held = 0;
      const interleaved = wrap(store, {
        read: async (stream, options) => {
          const events = await store.read(stream, options);
          if (held < 2) {
            held += 1;
            await new Promise<void>((resolve) => {
              waiting.push(resolve);
              if (waiting.length === 2) {
                waiting.forEach((release) => release());
                waiting = [];
              }
            });
          }
          return events;
        },
      });
      const [a, b] = await Promise.all([
        handle(interleaved, rotate(2, true), { idempotencyKey: K, requestId: 'req-a' }),
        handle(interleaved, rotate(3, true), { idempotencyKey: K, requestId: 'req-b' }),
      ]);

      const outcomes = [a, b].map((r) =>
        isDomainError(r) || isIdempotencyKeyReused(r) ? r : r.replayed,
      );
      expect(outcomes.sort()).toEqual([false, true]);
      const winner = handled([a, b].find((r) => !(r as { replayed: boolean }).replayed)!);
      const loser = replayed([a, b].find((r) => (r as { replayed: boolean }).replayed)!);
      expect(loser.events).toEqual(winner.events);
      expect(await types(store)).toEqual(['EndpointRegistered', 'SecretRotated']);
    });

    it('given an append that landed but whose answer was lost, when K is retried, then it replays: the conflicting write never duplicates', async () => {
      await handle(store, register);
      const lostReply = withAppend(store, async (stream, events, expected) => {
        await store.append(stream, events, expected);
        throw new EventStoreUnavailableError('connection lost after the commit');
      });
      await expect(handle(lostReply, rotate(2), { idempotencyKey: K })).rejects.toThrow(
        EventStoreUnavailableError,
      );
      const retried = replayed(await handle(store, rotate(3), { idempotencyKey: K }));
      expect(retried.events).toHaveLength(1);
      expect(retried.events[0]).toMatchObject({ data: { key: { keyId: key(2).keyId } } });
      expect(await types(store)).toEqual(['EndpointRegistered', 'SecretRotated']);
    });

    it('given another writer executing K between our read and our append, then our append conflicts and we replay theirs', async () => {
      await handle(store, register);
      let raced = false;
      const racing = withAppend(store, async (stream, events, expected) => {
        if (!raced) {
          raced = true;
          handled(await handle(store, rotate(9), { idempotencyKey: K }));
        }
        return store.append(stream, events, expected);
      });
      const result = replayed(await handle(racing, rotate(2), { idempotencyKey: K }));
      expect(result.events[0]).toMatchObject({ data: { key: { keyId: key(9).keyId } } });
      expect(await types(store)).toEqual(['EndpointRegistered', 'SecretRotated']);
    });

    it('refuses a key without the request it stands for', async () => {
      await expect(
        handleCommand({
          store,
          stream: STREAM,
          decide: (state) => decide(register, state),
          evolve,
          initialState,
          upcast,
          toStored: (event) => ({ type: event.type, version: 1, data: event.data }),
          metadata: { actor: 'a', requestId: 'r', idempotencyKey: K },
          now: () => NOW,
        }),
      ).rejects.toThrow(TypeError);
    });
  });

  describe('with a fold cache', () => {
    const readsOf = (target: EventStore) => {
      const reads: (number | undefined)[] = [];
      const counted = wrap(target, {
        read: (stream, options) => {
          reads.push(options?.fromRevision);
          return target.read(stream, options);
        },
      });
      return { counted, reads };
    };

    it('decides on the cached fold without reading the stream, and decides as without it', async () => {
      const cache = new StreamFoldCache<EndpointState, EndpointEvent>();
      const { counted, reads } = readsOf(store);
      await handle(counted, register, { cache });
      for (let n = 2; n <= 6; n += 1) handled(await handle(counted, rotate(n, true), { cache }));

      // One full read for the first command; the appends that followed proved the fold current.
      expect(reads).toStrictEqual([undefined]);
      const cached = cache.get(STREAM)!;
      const fresh = (await store.read(STREAM)).map(upcast).reduce(evolve, initialState());
      expect(cached.state).toEqual(fresh);
      expect(cached.head?.revision).toBe(9);
      expect(verifyStream(await store.read(STREAM))).toMatchObject({ ok: true, count: 10 });
    });

    it('sees what another writer appended since, and replays an execution that writer made', async () => {
      const cache = new StreamFoldCache<EndpointState, EndpointEvent>();
      await handle(store, register, { cache });
      handled(await handle(store, rotate(2), { idempotencyKey: 'elsewhere' })); // not cached
      const again = replayed(
        await handle(store, rotate(3), { idempotencyKey: 'elsewhere', cache }),
      );
      expect(again.events[0]).toMatchObject({ data: { key: { keyId: key(2).keyId } } });
      const refused = await handle(store, rotate(4), { cache });
      expect(refused).toMatchObject({ code: 'rotation_in_progress' });
    });

    it('reloads the whole stream after a conflict', async () => {
      const cache = new StreamFoldCache<EndpointState, EndpointEvent>();
      await handle(store, register, { cache });
      let raced = false;
      const { counted, reads } = readsOf(
        withAppend(store, async (stream, events, expected) => {
          if (!raced) {
            raced = true;
            handled(await handle(store, rotate(9)));
          }
          return store.append(stream, events, expected);
        }),
      );
      const result = handled(await handle(counted, rotate(2, true), { cache }));
      expect(reads).toStrictEqual([undefined]);
      expect(result.nextExpectedRevision).toBe(3);
      expect(cache.get(STREAM)?.head?.revision).toBe(3);
    });

    it('drops a stream whose tail does not continue the cached fold, and reads it whole', async () => {
      const cache = new StreamFoldCache<EndpointState, EndpointEvent>();
      await handle(store, register, { cache });
      handled(await handle(store, rotate(2, true), { cache }));
      // A cached fold claiming a later revision than the store has: the tail is empty but
      // the append expecting it conflicts, and the reload repairs it.
      const stale = cache.get(STREAM)!;
      cache.set(STREAM, { ...stale, head: { ...stale.head!, revision: 7 } });
      const result = handled(await handle(store, rotate(3, true), { cache }));
      expect(result.nextExpectedRevision).toBe(3);
    });

    it('given a tail that does not chain to the cached head, then it reads the stream whole', async () => {
      const cache = new StreamFoldCache<EndpointState, EndpointEvent>();
      await handle(store, register, { cache });
      handled(await handle(store, rotate(2, true), { cache }));
      // Same revision, another hash: what the cache holds is not what the tail follows
      // (the stream was rewritten under us), so the tail alone cannot be trusted.
      const stale = cache.get(STREAM)!;
      cache.set(STREAM, {
        ...stale,
        head: { ...stale.head!, metadata: { ...stale.head!.metadata, hash: 'f'.repeat(64) } },
      });
      handled(await handle(store, rotate(3, true)));
      const { counted, reads } = readsOf(store);
      // Refused on the cached fold (an overlap is running): read again before answering.
      const refused = await handle(counted, rotate(4), { cache });
      expect(refused).toMatchObject({ code: 'rotation_in_progress' });
      expect(reads).toStrictEqual([2, undefined]);
      expect(cache.get(STREAM)?.head?.revision).toBe((await store.read(STREAM)).length - 1);
    });

    it('given a cached fold that refuses, when the stream moved on and allows it, then it appends', async () => {
      const cache = new StreamFoldCache<EndpointState, EndpointEvent>();
      await handle(store, register, { cache });
      handled(await handle(store, rotate(2), { cache })); // an overlap begins: cached
      // Another writer ends the overlap; the cache does not know.
      const revoke: EndpointCommand = {
        type: 'RevokePreviousSecret',
        data: { endpointId: ENDPOINT },
        now: NOW,
      };
      handled(await handle(store, revoke));
      const result = handled(await handle(store, rotate(3), { cache }));
      expect(result.events[0]).toMatchObject({ type: 'SecretRotated' });
    });

    it('evicts the least recently used stream beyond its capacity', () => {
      const cache = new StreamFoldCache<string, string>(2);
      const fold = { state: 's', executions: new Map(), head: undefined };
      cache.set('a', fold);
      cache.set('b', fold);
      cache.get('a');
      cache.set('c', fold);
      expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([fold, undefined, fold]);
      expect(() => new StreamFoldCache(0)).toThrow(RangeError);
    });
  });
});
