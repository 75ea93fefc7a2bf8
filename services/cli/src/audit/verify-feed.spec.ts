import {
  chainEvents,
  createAuditSigner,
  generateAuditPrivateKey,
  GENESIS_HASH,
  SqliteEventStore,
  verifierOf,
  type EventStore,
} from '@rotor/event-store';
import { verifyFeed } from './verify-feed';

const signer = createAuditSigner(generateAuditPrivateKey());
const policy = { verifier: verifierOf(signer) };
const anchorFile = '/nonexistent/rotor-anchors/anchors.jsonl';

const unchained = (n: number) => ({
  type: 'Noted',
  version: 1,
  data: { n },
  metadata: { actor: 'test', requestId: `r${n}`, occurredAt: '2026-01-01T00:00:00.000Z' },
});

/** The same store seen through the port without `readAllByStream`, as EventStoreDB is. */
const globalFeedOnly = (store: EventStore): EventStore => ({
  append: store.append.bind(store),
  read: store.read.bind(store),
  readAll: store.readAll.bind(store),
  subscribeAll: store.subscribeAll.bind(store),
  deleteStream: store.deleteStream.bind(store),
  ping: store.ping.bind(store),
  close: store.close.bind(store),
});

describe('verifyFeed', () => {
  let store: SqliteEventStore;
  beforeEach(async () => {
    store = new SqliteEventStore(':memory:');
    // Interleaved in the feed: b, a, b, c.
    await store.append(
      'b-1',
      chainEvents('b-1', 0, GENESIS_HASH, [unchained(1)], signer),
      'no_stream',
    );
    await store.append(
      'a-1',
      chainEvents('a-1', 0, GENESIS_HASH, [unchained(2), unchained(3)], signer),
      'no_stream',
    );
    const [b0] = await store.read('b-1');
    await store.append('b-1', chainEvents('b-1', 1, b0.metadata.hash, [unchained(4)], signer), 0);
    await store.append(
      'c-1',
      chainEvents('c-1', 0, GENESIS_HASH, [unchained(5)], signer),
      'no_stream',
    );
  });
  afterEach(() => store.close());

  it('given an intact signed store, then stream by stream and over the global feed say the same: ok', async () => {
    const byStream = await verifyFeed(store, { policy, anchorFile });
    const global = await verifyFeed(globalFeedOnly(store), { policy, anchorFile });
    expect(byStream).toMatchObject({ ok: true, events: 5, streams: 3, broken: [] });
    expect(global).toEqual(byStream);
  });

  it('given an unsigned event after signed ones and a broken link, then both orders name the same findings', async () => {
    const [a0, a1] = await store.read('a-1');
    // Written without the audit key: its chain is intact, its signature missing.
    await store.append('a-1', chainEvents('a-1', 2, a1.metadata.hash, [unchained(6)]), 1);
    // Linked to the wrong event.
    await store.append('c-1', chainEvents('c-1', 1, a0.metadata.hash, [unchained(7)], signer), 0);
    const byStream = await verifyFeed(store, { policy, anchorFile });
    const global = await verifyFeed(globalFeedOnly(store), { policy, anchorFile });
    expect(byStream.ok).toBe(false);
    expect(
      byStream.broken.map(({ stream, revision, reason }) => [stream, revision, reason]).sort(),
    ).toEqual([
      ['a-1', 2, 'inserted'],
      // A wrong prevHash names the event before it: it is the one that may have been rewritten.
      ['c-1', 0, 'altered'],
    ]);
    const sorted = (report: typeof byStream) => ({
      ...report,
      broken: [...report.broken].sort((x, y) => (x.stream < y.stream ? -1 : 1)),
    });
    expect(sorted(global)).toEqual(sorted(byStream));
  });
});
