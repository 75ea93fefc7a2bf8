import { createEventStore } from './create-event-store';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { ThreadedSqliteEventStore } from './sqlite/threaded-sqlite-event-store';

describe('createEventStore', () => {
  it('builds the embedded store with its connection on a worker thread by default', async () => {
    const store = createEventStore({ kind: 'sqlite', sqlitePath: ':memory:' });
    expect(store).toBeInstanceOf(ThreadedSqliteEventStore);
    await expect(store.ping()).resolves.toBe(true);
    await store.close();
  });

  it('builds the embedded store on this thread when asked to', async () => {
    const store = createEventStore({
      kind: 'sqlite',
      sqlitePath: ':memory:',
      sqlite: { onThisThread: true },
    });
    expect(store).toBeInstanceOf(SqliteEventStore);
    await expect(store.ping()).resolves.toBe(true);
    await store.close();
  });

  it('builds the EventStoreDB store without connecting until first used', async () => {
    const store = createEventStore({
      kind: 'esdb',
      esdbConnectionString: 'esdb://localhost:2113?tls=false',
    });
    expect(store).toBeInstanceOf(EsdbEventStore);
    await store.close();
  });

  it('refuses EventStoreDB without a connection string, and unknown kinds', () => {
    expect(() => createEventStore({ kind: 'esdb' })).toThrow(RangeError);
    expect(() => createEventStore({ kind: 'postgres' as 'sqlite' })).toThrow(RangeError);
  });
});
