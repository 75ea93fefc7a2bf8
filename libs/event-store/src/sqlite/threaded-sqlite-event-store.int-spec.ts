import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WrongExpectedRevisionError, type EventToAppend } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';
import { ThreadedSqliteEventStore } from './threaded-sqlite-event-store';

const directory = mkdtempSync(join(tmpdir(), 'rotor-threaded-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeEventStoreContract(
  'sqlite on a worker thread',
  () => new ThreadedSqliteEventStore(join(directory, 'contract.sqlite')),
);

const event = (n: number): EventToAppend => ({
  type: 'Counted',
  version: 1,
  data: { n },
  metadata: {
    actor: 'test',
    requestId: `r${n}`,
    occurredAt: '2026-12-01T00:00:00.000Z',
    prevHash: '0',
    hash: '1',
  },
});

/** Another connection holding the write lock, as another process would. */
function holdWriteLock(file: string): { release: () => void } {
  const other = new Database(file, { timeout: 5_000 });
  other.exec('BEGIN IMMEDIATE');
  return {
    release: () => {
      other.exec('COMMIT');
      other.close();
    },
  };
}

describe('the embedded store on a worker thread', () => {
  let file: string;
  let store: ThreadedSqliteEventStore;
  let cases = 0;

  beforeEach(async () => {
    file = join(directory, `case-${(cases += 1)}.sqlite`);
    store = new ThreadedSqliteEventStore(file);
    await store.ping(); // the file and its schema exist before a test takes the lock
  });
  afterEach(() => store.close());

  it('commits appends that arrive together in one group, and a conflicting one fails alone', async () => {
    await store.append('seeded', [event(0)], 'no_stream');
    const before = await store.groupCommitStats();
    const lock = holdWriteLock(file);
    // Every append below is queued while the first group waits for the lock.
    const writes = Array.from({ length: 50 }, (_, n) =>
      store.append(`stream-${n}`, [event(n), event(n + 1)], 'no_stream'),
    );
    const conflicting = store.append('seeded', [event(99)], 'no_stream');
    lock.release();

    const results = await Promise.allSettled([...writes, conflicting]);
    const after = await store.groupCommitStats();

    expect(results.slice(0, 50).every((r) => r.status === 'fulfilled')).toBe(true);
    const refused = results[50];
    expect(refused.status).toBe('rejected');
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    expect(after.appends - before.appends).toBe(51);
    // One fsync per group: 51 appends in at most a few transactions, not 51.
    expect(after.groups - before.groups).toBeLessThanOrEqual(3);

    const direct = new SqliteEventStore(file);
    try {
      for (let n = 0; n < 50; n += 1)
        expect((await direct.read(`stream-${n}`)).map((e) => e.data)).toEqual([
          { n },
          { n: n + 1 },
        ]);
      expect(await direct.read('seeded')).toHaveLength(1);
    } finally {
      await direct.close();
    }
  });

  it('keeps this thread running while a write waits for the disk', async () => {
    const lock = holdWriteLock(file);
    let landed = false;
    const write = store.append('waiting', [event(1)], 'no_stream').then(() => {
      landed = true;
    });
    // A synchronous store would hold the event loop here for the whole busy wait.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((next) => setImmediate(next));
    expect(landed).toBe(false);
    lock.release();
    await write;
    expect(landed).toBe(true);
    expect(await store.read('waiting')).toHaveLength(1);
  });

  it('refuses what cannot be stored as JSON before it crosses the thread', async () => {
    const bad = { ...event(1), data: { n: BigInt(1) } };
    await expect(store.append('bad', [bad], 'no_stream')).rejects.toThrow(TypeError);
    expect(await store.read('bad')).toEqual([]);
  });

  it('answers unavailable once closed', async () => {
    await store.close();
    await expect(store.read('anything')).rejects.toMatchObject({ code: 'event_store_unavailable' });
    await expect(store.ping()).resolves.toBe(false);
  });
});
