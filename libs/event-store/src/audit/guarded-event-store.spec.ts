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

const append = async (
  store: Pick<SqliteEventStore, 'read' | 'append'>,
  count: number,
  signedBy = signer,
) => {
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
    signedBy,
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

  describe('given events this process appended itself', () => {
    const counting = () => {
      const calls = { count: 0 };
      const verifier = verifierOf(signer);
      return {
        calls,
        policy: {
          verifier: {
            keyIds: verifier.keyIds,
            verify: (keyId: unknown, message: string, signature: unknown) => {
              calls.count += 1;
              return verifier.verify(keyId, message, signature);
            },
          },
        },
      };
    };

    it('when its feed delivers them, then their hashes are checked but not their signatures again', async () => {
      const { calls, policy: countingPolicy } = counting();
      const store = new GuardedEventStore(inner, countingPolicy, (r) => refusals.push(r));
      await append(store, 3);
      const delivered: number[] = [];
      for await (const event of store.readAll('0')) delivered.push(event.revision);
      expect(delivered).toEqual([0, 1, 2]);
      expect(calls.count).toBe(0);
      expect(refusals).toEqual([]);
    });

    it('when one of them is altered in the store after the append, then the feed refuses it', async () => {
      const store = guarded();
      await append(store, 2);
      const db = (inner as unknown as { db: { prepare(sql: string): { run(): void } } }).db;
      db.prepare(`UPDATE events SET data = '{"n":99}' WHERE revision = 1`).run();
      const delivered: number[] = [];
      for await (const event of store.readAll('0')) delivered.push(event.revision);
      expect(delivered).toEqual([0]);
      expect(refusals).toMatchObject([{ revision: 1, reason: 'altered' }]);
    });

    it('when they were signed with a key readers do not trust, then they are still refused', async () => {
      const stranger = createAuditSigner(generateAuditPrivateKey());
      const store = guarded();
      await append(store, 1, stranger);
      const delivered: number[] = [];
      for await (const event of store.readAll('0')) delivered.push(event.revision);
      expect(delivered).toEqual([]);
      expect(refusals).toMatchObject([{ revision: 0, reason: 'bad_signature' }]);
    });
  });

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
