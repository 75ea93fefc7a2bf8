/// <reference types="jest" />
// Jest globals are declared here too: the production build (types: node only) compiles this file.
import { randomUUID } from 'node:crypto';
import { waitFor } from '@rotor/testing';
import {
  EventStoreUnavailableError,
  StreamDeletedError,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type GlobalPosition,
  type RecordedEvent,
  type StreamFilter,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';

/**
 * The one contract every event store adapter passes (DESIGN §3). Each test builds its own
 * streams under a name unique to this run, so it also runs against a shared, long-lived
 * EventStoreDB. Tests wait for conditions (`waitFor`), never for time.
 *
 * `factory` is called once or more per test: every call must give a new instance over the
 * SAME store (for SQLite, the same file), so the suite can check that instances see each
 * other's writes.
 */
export type EventStoreFactory = () => EventStore | Promise<EventStore>;

export function describeEventStoreContract(name: string, factory: EventStoreFactory): void {
  describe(`${name}: event store contract`, () => {
    const run = randomUUID().replace(/-/g, '').slice(0, 12);
    let streams = 0;
    /** A stream name no other test (or earlier run) uses. */
    const newStream = (label: string) => `contract${run}-${label}-${(streams += 1)}`;
    /** A prefix of its own, for the tests that filter or read the global feed. */
    const newPrefix = (label: string) => `contract${run}${label}${(streams += 1)}-`;

    const opened: EventStore[] = [];
    const subscriptions: Subscription[] = [];
    let store: EventStore;
    const open = async () => {
      const instance = await factory();
      opened.push(instance);
      return instance;
    };

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
      await Promise.all(opened.splice(0).map((instance) => instance.close()));
    });

    const event = (n: number, writer = 'a'): EventToAppend => ({
      type: 'ContractChecked',
      version: 2,
      data: { n, writer, text: 'héllo ✓', nested: { list: [1, 'two', null], flag: true } },
      metadata: {
        actor: 'contract-suite',
        requestId: `${writer}-${n}`,
        idempotencyKey: `idem-${writer}-${n}`,
        occurredAt: '2025-01-01T00:00:00.000Z',
        prevHash: '0'.repeat(64),
        hash: 'f'.repeat(64),
        extra: { custom: 'kept as is' },
      },
    });
    const events = (count: number, writer = 'a', from = 0) =>
      Array.from({ length: count }, (_, index) => event(from + index, writer));

    const collect = async (feed: AsyncIterable<RecordedEvent>) => {
      const all: RecordedEvent[] = [];
      for await (const recorded of feed) all.push(recorded);
      return all;
    };
    const ids = (list: readonly RecordedEvent[]) =>
      list.map((recorded) => `${recorded.stream}@${recorded.revision}`);

    /** A position after everything written so far: where a test's own feed starts. */
    const checkpoint = async (): Promise<GlobalPosition> =>
      (await store.append(newStream('checkpoint'), [event(0)], 'no_stream')).position;

    const subscribe = (from: GlobalPosition, options: Partial<SubscribeOptions>) => {
      const received: RecordedEvent[] = [];
      const state = { caughtUp: false, error: undefined as Error | undefined };
      const subscription = store.subscribeAll(from, {
        filter: options.filter,
        onEvent: options.onEvent ?? ((recorded) => void received.push(recorded)),
        onCaughtUp: () => {
          state.caughtUp = true;
        },
        onError: (error) => {
          state.error = error;
        },
      });
      subscriptions.push(subscription);
      return { received, state, subscription };
    };

    describe('append and read', () => {
      it('round-trips events with their metadata, in revision order', async () => {
        const stream = newStream('roundtrip');
        const written = events(2);
        const result = await store.append(stream, written, 'no_stream');
        expect(result.nextExpectedRevision).toBe(1);
        expect(typeof result.position).toBe('string');

        const read = await store.read(stream);
        expect(read).toHaveLength(2);
        read.forEach((recorded, revision) => {
          expect(recorded).toMatchObject({
            stream,
            revision,
            type: 'ContractChecked',
            version: 2,
            data: written[revision].data,
          });
          expect(recorded.metadata).toEqual(written[revision].metadata);
          expect(Number.isNaN(Date.parse(recorded.recordedAt))).toBe(false);
          expect(recorded.position).toEqual(expect.any(String));
        });
      });

      it('reads a stream that does not exist as empty', async () => {
        await expect(store.read(newStream('missing'))).resolves.toEqual([]);
      });

      it('reads from a revision on: only the events at or after it', async () => {
        const stream = newStream('from');
        await store.append(stream, events(3), 'no_stream');
        await store.append(stream, events(2, 'a', 3), 2);

        const tail = await store.read(stream, { fromRevision: 3 });
        expect(ids(tail)).toEqual([`${stream}@3`, `${stream}@4`]);
        expect(tail.map((recorded) => recorded.data)).toEqual(
          events(2, 'a', 3).map((written) => written.data),
        );
        expect(tail[0].metadata).toEqual(event(3).metadata);
        expect(ids(await store.read(stream, { fromRevision: 0 }))).toEqual(
          ids(await store.read(stream)),
        );
        expect(ids(await store.read(stream, { fromRevision: 4 }))).toEqual([`${stream}@4`]);
        await expect(store.read(stream, { fromRevision: 5 })).resolves.toEqual([]);
        await expect(store.read(stream, { fromRevision: 1000 })).resolves.toEqual([]);
        await expect(store.read(newStream('from-missing'), { fromRevision: 2 })).resolves.toEqual(
          [],
        );
      });

      it('refuses a fromRevision that is not a non-negative integer', async () => {
        const stream = newStream('from-bad');
        await store.append(stream, events(1), 'no_stream');
        for (const fromRevision of [-1, 1.5, Number.NaN])
          await expect(store.read(stream, { fromRevision })).rejects.toThrow(RangeError);
      });

      it('refuses an empty batch', async () => {
        await expect(store.append(newStream('empty'), [], 'no_stream')).rejects.toThrow(RangeError);
      });

      it('makes an append visible to another instance of the same store', async () => {
        const stream = newStream('shared');
        await store.append(stream, events(1), 'no_stream');
        const other = await open();
        expect(ids(await other.read(stream))).toEqual([`${stream}@0`]);
      });
    });

    describe('expected revision, always checked', () => {
      it('creates a stream only when expecting no stream', async () => {
        const stream = newStream('create');
        const refused = store.append(stream, events(1), 0);
        await expect(refused).rejects.toThrow(WrongExpectedRevisionError);
        await expect(refused).rejects.toMatchObject({
          code: 'wrong_expected_revision',
          stream,
          expected: 0,
          actual: 'no_stream',
        });
        await expect(store.read(stream)).resolves.toEqual([]);
        await expect(store.append(stream, events(1), 'no_stream')).resolves.toMatchObject({
          nextExpectedRevision: 0,
        });
      });

      it('refuses to create a stream that exists', async () => {
        const stream = newStream('exists');
        await store.append(stream, events(1), 'no_stream');
        await expect(store.append(stream, events(1, 'b'), 'no_stream')).rejects.toMatchObject({
          code: 'wrong_expected_revision',
          expected: 'no_stream',
          actual: 0,
        });
      });

      it('refuses a stale or a future revision, and accepts the revision read', async () => {
        const stream = newStream('revision');
        await store.append(stream, events(2), 'no_stream');
        for (const wrong of [0, 2, 7])
          await expect(store.append(stream, events(1, 'b'), wrong)).rejects.toMatchObject({
            name: 'WrongExpectedRevisionError',
            expected: wrong,
            actual: 1,
          });
        const accepted = await store.append(stream, events(2, 'c'), 1);
        expect(accepted.nextExpectedRevision).toBe(3);
        const read = await store.read(stream);
        expect(read.map((recorded) => recorded.revision)).toEqual([0, 1, 2, 3]);
        expect(read.map((recorded) => recorded.metadata.requestId)).toEqual([
          'a-0',
          'a-1',
          'c-0',
          'c-1',
        ]);
      });

      it('lets exactly one of several concurrent writers at the same revision win', async () => {
        const stream = newStream('race');
        await store.append(stream, events(1), 'no_stream');
        const writers = await Promise.all(
          ['p', 'q', 'r', 's', 't'].map(async (w) => [w, await open()] as const),
        );
        const outcomes = await Promise.allSettled(
          writers.map(([writer, instance]) => instance.append(stream, events(3, writer), 0)),
        );

        const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const lost = outcomes.flatMap((outcome) =>
          outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
        );
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(4);
        for (const error of lost) expect(error).toBeInstanceOf(WrongExpectedRevisionError);

        const winner = writers[outcomes.findIndex((outcome) => outcome.status === 'fulfilled')][0];
        const read = await store.read(stream);
        expect(read.map((recorded) => recorded.metadata.requestId)).toEqual([
          'a-0',
          `${winner}-0`,
          `${winner}-1`,
          `${winner}-2`,
        ]);
      });
    });

    describe('global feed', () => {
      it('orders events across streams as they were appended', async () => {
        const prefix = newPrefix('order');
        const from = await checkpoint();
        const [a, b] = [`${prefix}a`, `${prefix}b`];
        await store.append(a, events(1), 'no_stream');
        await store.append(b, events(2), 'no_stream');
        await store.append(a, events(1, 'b'), 0);

        const expected = [`${a}@0`, `${b}@0`, `${b}@1`, `${a}@1`];
        expect(ids(await collect(store.readAll(from, { streamPrefixes: [prefix] })))).toEqual(
          expected,
        );
        const unfiltered = await collect(store.readAll(from));
        expect(ids(unfiltered.filter((recorded) => recorded.stream.startsWith(prefix)))).toEqual(
          expected,
        );
      });

      it('reads strictly after the position it is given', async () => {
        const prefix = newPrefix('after');
        const from = await checkpoint();
        await store.append(`${prefix}a`, events(3), 'no_stream');
        await store.append(`${prefix}b`, events(2), 'no_stream');
        const filter = { streamPrefixes: [prefix] };
        const all = await collect(store.readAll(from, filter));
        expect(all).toHaveLength(5);

        for (const index of [0, 2, 4])
          expect(ids(await collect(store.readAll(all[index].position, filter)))).toEqual(
            ids(all.slice(index + 1)),
          );
        expect(new Set(all.map((recorded) => recorded.position)).size).toBe(5);
      });

      it('gives a single-event append a position that later reads start strictly after', async () => {
        const stream = newStream('append-position');
        const { position } = await store.append(stream, events(1), 'no_stream');
        await store.append(stream, events(1, 'b'), 0);
        const later = await collect(store.readAll(position, { streamPrefixes: [stream] }));
        expect(ids(later)).toEqual([`${stream}@1`]);
      });

      it('filters by stream prefix', async () => {
        const prefix = newPrefix('filter');
        const from = await checkpoint();
        await store.append(`${prefix}x-1`, events(1), 'no_stream');
        await store.append(`${prefix}y-1`, events(1), 'no_stream');
        await store.append(`${prefix}x-2`, events(1), 'no_stream');
        const read = (filter: StreamFilter) => collect(store.readAll(from, filter));

        expect(ids(await read({ streamPrefixes: [`${prefix}x-`] }))).toEqual([
          `${prefix}x-1@0`,
          `${prefix}x-2@0`,
        ]);
        expect(ids(await read({ streamPrefixes: [`${prefix}y-`, `${prefix}x-`] }))).toEqual([
          `${prefix}x-1@0`,
          `${prefix}y-1@0`,
          `${prefix}x-2@0`,
        ]);
      });

      it('pages through more events than fit in one page, none skipped or repeated', async () => {
        const stream = newStream('pages');
        const from = await checkpoint();
        // Three appends, each under EventStoreDB's default 1 MB limit for one append.
        for (const batch of [0, 1, 2])
          await store.append(
            stream,
            events(800, 'a', batch * 800),
            batch === 0 ? 'no_stream' : batch * 800 - 1,
          );
        const read = await collect(store.readAll(from, { streamPrefixes: [stream] }));
        expect(read.map((recorded) => recorded.revision)).toEqual(
          Array.from({ length: 2400 }, (_, revision) => revision),
        );
      });

      it('refuses a position it did not make', async () => {
        await expect(collect(store.readAll('not-a-position'))).rejects.toThrow(RangeError);
      });
    });

    describe('catch-up subscription', () => {
      it('delivers every later event once, in order, then the live ones as they come', async () => {
        const prefix = newPrefix('live');
        const from = await checkpoint();
        await store.append(`${prefix}a`, events(2), 'no_stream');
        await store.append(`${prefix}b`, events(1), 'no_stream');

        const { received, state } = subscribe(from, { filter: { streamPrefixes: [prefix] } });
        await waitFor(() => state.caughtUp && received.length === 3, 'the catch-up');

        await store.append(`${prefix}a`, events(2, 'b'), 1);
        await store.append(`${prefix}c`, events(1), 'no_stream');
        await waitFor(() => received.length >= 6, 'the live events');

        const feed = await collect(store.readAll(from, { streamPrefixes: [prefix] }));
        expect(ids(received)).toEqual(ids(feed));
        expect(received.map((recorded) => recorded.position)).toEqual(
          feed.map((recorded) => recorded.position),
        );
        expect(state.error).toBeUndefined();
      });

      it('resumes strictly after a checkpoint', async () => {
        const prefix = newPrefix('resume');
        const from = await checkpoint();
        await store.append(`${prefix}a`, events(5), 'no_stream');
        const all = await collect(store.readAll(from, { streamPrefixes: [prefix] }));
        const { received, state } = subscribe(all[1].position, {
          filter: { streamPrefixes: [prefix] },
        });
        await waitFor(() => state.caughtUp, 'the catch-up');
        expect(ids(received)).toEqual(ids(all.slice(2)));
      });

      it('awaits each handler before delivering the next event', async () => {
        const prefix = newPrefix('serial');
        const from = await checkpoint();
        let running = 0;
        let mostAtOnce = 0;
        const handled: string[] = [];
        subscribe(from, {
          filter: { streamPrefixes: [prefix] },
          onEvent: async (recorded) => {
            running += 1;
            mostAtOnce = Math.max(mostAtOnce, running);
            for (let tick = 0; tick < 5; tick += 1) await new Promise(setImmediate);
            handled.push(`${recorded.stream}@${recorded.revision}`);
            running -= 1;
          },
        });
        for (let n = 0; n < 4; n += 1)
          await store.append(`${prefix}s`, [event(n)], n === 0 ? 'no_stream' : n - 1);
        await waitFor(() => handled.length === 4, 'four handled events');
        expect(mostAtOnce).toBe(1);
        expect(handled).toEqual([0, 1, 2, 3].map((revision) => `${prefix}s@${revision}`));
      });

      it('sees events appended through another instance of the store', async () => {
        const prefix = newPrefix('cross');
        const from = await checkpoint();
        const { received, state } = subscribe(from, { filter: { streamPrefixes: [prefix] } });
        await waitFor(() => state.caughtUp, 'the catch-up');
        const other = await open();
        await other.append(`${prefix}a`, events(2), 'no_stream');
        await waitFor(() => received.length === 2, 'the events of the other instance');
        expect(ids(received)).toEqual([`${prefix}a@0`, `${prefix}a@1`]);
      });

      it('delivers only the streams its filter names', async () => {
        const prefix = newPrefix('subfilter');
        const from = await checkpoint();
        await store.append(`${prefix}out-1`, events(1), 'no_stream');
        await store.append(`${prefix}in-1`, events(1), 'no_stream');
        const { received, state } = subscribe(from, {
          filter: { streamPrefixes: [`${prefix}in-`] },
        });
        await waitFor(() => state.caughtUp && received.length === 1, 'the catch-up');
        // The excluded event comes first: had it been delivered, it would be seen first.
        await store.append(`${prefix}out-2`, events(1), 'no_stream');
        await store.append(`${prefix}in-2`, events(1), 'no_stream');
        await waitFor(() => received.length === 2, 'the live event');
        expect(ids(received)).toEqual([`${prefix}in-1@0`, `${prefix}in-2@0`]);
      });

      it('stops, and reports, when a handler fails', async () => {
        const prefix = newPrefix('failing');
        const from = await checkpoint();
        await store.append(`${prefix}a`, events(3), 'no_stream');
        const calls: number[] = [];
        const failure = new Error('projection failed');
        const { state } = subscribe(from, {
          filter: { streamPrefixes: [prefix] },
          onEvent: (recorded) => {
            calls.push(recorded.revision);
            if (recorded.revision === 1) throw failure;
          },
        });
        await waitFor(() => state.error, 'the error report');
        expect(state.error).toBe(failure);
        expect(calls).toEqual([0, 1]);
      });

      it('delivers nothing once closed', async () => {
        const prefix = newPrefix('closed');
        const from = await checkpoint();
        const { received, state, subscription } = subscribe(from, {
          filter: { streamPrefixes: [prefix] },
        });
        await store.append(`${prefix}a`, events(1), 'no_stream');
        await waitFor(() => state.caughtUp && received.length === 1, 'the first event');
        await subscription.close();
        await store.append(`${prefix}a`, events(1, 'b'), 0);
        await expect(store.read(`${prefix}a`)).resolves.toHaveLength(2);
        expect(received).toHaveLength(1);
      });
    });

    describe('deleteStream', () => {
      it('removes one stream for good and leaves the others as they were', async () => {
        const [doomed, kept] = [newStream('doomed'), newStream('kept')];
        await store.append(doomed, events(2), 'no_stream');
        await store.append(kept, events(2), 'no_stream');
        const keptBefore = await store.read(kept);

        await store.deleteStream(doomed);

        await expect(store.read(doomed)).resolves.toEqual([]);
        await expect(store.read(kept)).resolves.toEqual(keptBefore);
        await expect(store.append(doomed, events(1), 'no_stream')).rejects.toThrow(
          StreamDeletedError,
        );
        await expect(store.deleteStream(doomed)).resolves.toBeUndefined();
        await expect(store.deleteStream(newStream('never-was'))).resolves.toBeUndefined();
      });
    });

    describe('atomic batches', () => {
      it('writes nothing of a new stream when one event of the batch cannot be stored', async () => {
        const stream = newStream('atomic-new');
        const batch = [event(0), { ...event(1), data: { n: 1n } }, event(2)];
        await expect(store.append(stream, batch, 'no_stream')).rejects.toThrow(TypeError);
        await expect(store.read(stream)).resolves.toEqual([]);
        await expect(store.append(stream, events(1), 'no_stream')).resolves.toMatchObject({
          nextExpectedRevision: 0,
        });
      });

      it('leaves an existing stream untouched when a batch fails half-way', async () => {
        const stream = newStream('atomic-existing');
        await store.append(stream, events(1), 'no_stream');
        const circular: Record<string, unknown> = { n: 2 };
        circular.self = circular;
        const batch = [event(1), event(2), { ...event(3), data: circular }, event(4)];
        await expect(store.append(stream, batch, 0)).rejects.toThrow(TypeError);
        await expect(store.read(stream)).resolves.toHaveLength(1);
        await expect(store.append(stream, events(2, 'b'), 0)).resolves.toMatchObject({
          nextExpectedRevision: 2,
        });
      });
    });

    describe('health and lifecycle', () => {
      it('answers a ping while open, and refuses work once closed', async () => {
        await expect(store.ping()).resolves.toBe(true);
        const other = await open();
        await other.close();
        await other.close();
        await expect(other.ping()).resolves.toBe(false);
        await expect(other.read(newStream('after-close'))).rejects.toThrow(
          EventStoreUnavailableError,
        );
      });
    });
  });
}
