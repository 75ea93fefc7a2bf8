import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreUnavailableError, START, type EventToAppend } from '../event-store.port';
import { SqliteEventStore } from './sqlite-event-store';

const event = (n: number, size = 100): EventToAppend => ({
  type: 'Tested',
  version: 1,
  data: { n, padding: 'x'.repeat(size) },
  metadata: {
    actor: 'test',
    requestId: `r-${n}`,
    occurredAt: new Date().toISOString(),
    prevHash: '',
    hash: '',
  },
});

/**
 * Store faults, simulated without privileges: a full file (`max_page_count`), a read-only
 * connection (`query_only`), another process's exclusive lock. A failed write is a typed
 * "try again later" and leaves nothing behind: no open transaction, no half batch, and the
 * first write after the fault clears succeeds. The write probe sees each fault too.
 */
describe('sqlite event store: faults and recovery', () => {
  let dir: string;
  let store: SqliteEventStore;
  /** The store's own connection: the pragmas below are per connection. */
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-faults-'));
    store = new SqliteEventStore(join(dir, 'store.sqlite'), { busyTimeoutMs: 200 });
    db = (store as unknown as { db: Database.Database }).db;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a full database, a write fails as unavailable, nothing is half written, and the next write after space is freed succeeds', async () => {
    await store.append('s-1', [event(0)], 'no_stream');
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 1}`);
    let revision = 0;
    let failure: unknown;
    for (let n = 1; n <= 50 && failure === undefined; n += 1)
      await store.append('s-1', [event(n, 3_000), event(n, 3_000)], revision).then(
        (result) => (revision = result.nextExpectedRevision),
        (error: unknown) => (failure = error),
      );
    expect(failure).toBeInstanceOf(EventStoreUnavailableError);
    expect((failure as Error).message).toMatch(/not writable: database or disk is full/);
    expect(db.inTransaction).toBe(false);
    await expect(store.checkWritable()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    // Every batch is whole: revisions 0..revision and no stray event of the failed batch.
    expect((await store.read('s-1')).map((e) => e.revision)).toEqual(
      Array.from({ length: revision + 1 }, (_, i) => i),
    );

    db.pragma('max_page_count = 1073741823');
    await expect(store.checkWritable()).resolves.toBeUndefined();
    await expect(store.append('s-1', [event(99)], revision)).resolves.toMatchObject({
      nextExpectedRevision: revision + 1,
    });
  });

  it('given a read-only connection, a write fails as unavailable and succeeds once writable again', async () => {
    db.pragma('query_only = 1');
    await expect(store.append('s-2', [event(1)], 'no_stream')).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
    await expect(store.checkWritable()).rejects.toThrow(/not writable/);
    db.pragma('query_only = 0');
    await expect(store.append('s-2', [event(1)], 'no_stream')).resolves.toMatchObject({
      nextExpectedRevision: 0,
    });
  });

  it('given another process holding the write lock, the probe answers at once, reads go on, and writes resume after it lets go', async () => {
    await store.append('s-3', [event(1)], 'no_stream');
    const other = new Database(store.path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const started = Date.now();
      await expect(store.checkWritable()).rejects.toThrow(/busy/);
      expect(Date.now() - started).toBeLessThan(150);
      await expect(store.append('s-3', [event(2)], 0)).rejects.toBeInstanceOf(
        EventStoreUnavailableError,
      );
      expect(await store.read('s-3')).toHaveLength(1);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(store.checkWritable()).resolves.toBeUndefined();
    await store.append('s-3', [event(2)], 0);
    const all = [];
    for await (const e of store.readAll(START)) all.push(e.stream);
    expect(all).toEqual(['s-3', 's-3']);
  });

  it('leaves no trace of its write probes', async () => {
    for (let i = 0; i < 3; i += 1) await store.checkWritable();
    const all = [];
    for await (const e of store.readAll(START)) all.push(e);
    expect(all).toEqual([]);
  });
});
