import type { RecordedEvent } from '../event-store.port';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import type { StreamHead } from './anchor';
import { createAuditSigner, generateAuditPrivateKey, verifierOf } from './audit-key';
import { GuardedEventStore } from './guarded-event-store';
import { chainEvents, GENESIS_HASH } from './hash-chain';
import type { Refusal } from './trusted-history';

/**
 * The guard as the services use it: signatures checked on whole and partial reads, and
 * streams cut short of their anchored head refused, on read and when a feed catches up.
 */
const STREAM = 'rotorApiKey-ak_0123456789abcdef';
const headOf = (event: RecordedEvent): StreamHead => ({
  stream: event.stream,
  revision: event.revision,
  hash: event.metadata.hash,
});
const signer = createAuditSigner(generateAuditPrivateKey());
const policy = { verifier: verifierOf(signer) };

const append = async (store: SqliteEventStore, count: number) => {
  const existing = await store.read(STREAM);
  const last = existing.at(-1);
  const events = chainEvents(
    STREAM,
    existing.length,
    last ? last.metadata.hash : GENESIS_HASH,
    Array.from({ length: count }, (_, n) => ({
      type: 'ApiKeyCreated',
      version: 1,
      data: { n: existing.length + n },
      metadata: { actor: 'cli:test', requestId: `r${n}`, occurredAt: '2026-01-01T00:00:00Z' },
    })),
    signer,
  );
  await store.append(STREAM, events, last ? last.revision : 'no_stream');
};

describe('GuardedEventStore', () => {
  let inner: SqliteEventStore;
  const refusals: Refusal[] = [];
  const guarded = (anchored: RecordedEvent[] = []) =>
    new GuardedEventStore(
      inner,
      policy,
      (refused) => refusals.push(refused),
      new Map(anchored.map((event) => [event.stream, headOf(event)])),
    );

  beforeEach(() => {
    inner = new SqliteEventStore(':memory:');
    refusals.length = 0;
  });
  afterEach(() => inner.close());

  it('given a signed stream, when its tail alone is read, then the tail is checked and returned', async () => {
    await append(inner, 3);
    const tail = await guarded().read(STREAM, { fromRevision: 1 });
    expect(tail.map((event) => event.revision)).toEqual([1, 2]);
    expect(refusals).toEqual([]);
  });

  it('given a stream cut short of its anchored head, when read twice, then it is refused each time and reported once, as truncated', async () => {
    await append(inner, 3);
    const anchored = await inner.read(STREAM);
    const cut = new SqliteEventStore(':memory:');
    try {
      // The same signed events, the last one missing: a valid chain, shorter than anchored.
      await cut.append(STREAM, anchored.slice(0, 2), 'no_stream');
      const store = new GuardedEventStore(
        cut,
        policy,
        (refused) => refusals.push(refused),
        new Map([[STREAM, headOf(anchored[2])]]),
      );
      await expect(store.read(STREAM)).rejects.toMatchObject({ code: 'stream_tampered' });
      // Read again (a retried command): refused again, reported once.
      await expect(store.read(STREAM)).rejects.toMatchObject({ code: 'stream_tampered' });
      expect(refusals).toEqual([
        expect.objectContaining({ stream: STREAM, revision: 2, reason: 'truncated' }),
      ]);
      expect(store.refused).toBe(1);
    } finally {
      await cut.close();
    }
  });

  it('given a stream grown past its anchored head, when read, then it is trusted', async () => {
    await append(inner, 2);
    const anchored = await inner.read(STREAM);
    await append(inner, 2);
    expect(await guarded([anchored[1]]).read(STREAM)).toHaveLength(4);
    expect(refusals).toEqual([]);
  });

  it('given a feed over a stream cut short of its anchored head, then the stream is refused before caught-up', async () => {
    await append(inner, 3);
    const anchored = await inner.read(STREAM);
    const cut = new SqliteEventStore(':memory:');
    const delivered: string[] = [];
    try {
      await cut.append(STREAM, anchored.slice(0, 2), 'no_stream');
      const store = new GuardedEventStore(
        cut,
        policy,
        (refused) => refusals.push(refused),
        new Map([[STREAM, headOf(anchored[2])]]),
      );
      await new Promise<void>((resolve, reject) => {
        const subscription = store.subscribeAll('0', {
          onEvent: (event) => void delivered.push(`event ${event.revision}`),
          onRefused: (refused) => void delivered.push(`refused ${refused.revision}`),
          onCaughtUp: () => {
            delivered.push('caught up');
            void subscription.close().then(resolve);
          },
          onError: reject,
        });
      });
      expect(delivered).toEqual(['event 0', 'event 1', 'refused 2', 'caught up']);
    } finally {
      await cut.close();
    }
  });
});
