import {
  decide,
  DomainError,
  EVENT_VERSIONS,
  evolve,
  initialState,
  isDomainError,
  upcast,
  type EndpointCommand,
  type SealedKey,
} from '@rotor/domain';
import { GENESIS_HASH } from './audit/hash-chain';
import { verifyStream } from './audit/verify-stream';
import { ConcurrencyConflictError, handleCommand } from './command-handling';
import {
  EventStoreUnavailableError,
  WrongExpectedRevisionError,
  type EventStore,
} from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

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

/** The endpoint decider, as the command service drives it. */
const handle = (
  store: EventStore,
  command: EndpointCommand,
  options: { maxAttempts?: number } = {},
) =>
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
    metadata: { actor: 'key_tester', requestId: 'req-1', idempotencyKey: 'idem-1' },
    now: () => NOW,
    maxAttempts: options.maxAttempts,
  });

const handled = <T>(result: T | DomainError): T => {
  if (isDomainError(result)) throw new Error(`unexpected rejection: ${result.code}`);
  return result;
};

/** The real store, with `append` replaced: to stage a race or an outage. */
const withAppend = (store: EventStore, append: EventStore['append']): EventStore => ({
  append,
  read: (stream) => store.read(stream),
  readAll: (from, filter) => store.readAll(from, filter),
  subscribeAll: (from, options) => store.subscribeAll(from, options),
  deleteStream: (stream) => store.deleteStream(stream),
  ping: () => store.ping(),
  close: () => store.close(),
});

describe('handleCommand', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = new SqliteEventStore(':memory:');
  });
  afterEach(() => store.close());

  it('given a new endpoint, when registered, then one chained event is appended expecting no stream', async () => {
    const result = handled(await handle(store, register));

    expect(result.events.map((event) => event.type)).toEqual(['EndpointRegistered']);
    expect(result.state).toMatchObject({ status: 'active', endpointId: ENDPOINT });
    expect(result.nextExpectedRevision).toBe(0);
    expect(result.position).toEqual(expect.any(String));
    const [recorded] = await store.read(STREAM);
    expect(recorded).toMatchObject({ type: 'EndpointRegistered', version: 1 });
    expect(recorded.metadata).toEqual({
      actor: 'key_tester',
      requestId: 'req-1',
      idempotencyKey: 'idem-1',
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
});
