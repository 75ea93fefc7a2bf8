import type { EventStore } from './event-store.port';
import { EsdbEventStore, type EsdbEventStoreOptions } from './esdb/esdb-event-store';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
import { ThreadedSqliteEventStore } from './sqlite/threaded-sqlite-event-store';

export type EventStoreKind = 'sqlite' | 'esdb';

export interface EventStoreConfig {
  readonly kind: EventStoreKind;
  /** The embedded store's file; `:memory:` for a throw-away store. */
  readonly sqlitePath?: string;
  /** e.g. `esdb://admin:changeit@localhost:2113?tls=false`. */
  readonly esdbConnectionString?: string;
  readonly sqlite?: SqliteEventStoreOptions & {
    /**
     * Keep the connection on this thread (default false: a worker thread owns it, so the
     * event loop never waits on the disk and concurrent appends share one fsync). For
     * one-shot tools that do nothing else while they read, the direct connection is faster.
     */
    readonly onThisThread?: boolean;
  };
  readonly esdb?: EsdbEventStoreOptions;
}

/** The embedded default lives under `./data` (DESIGN §3). */
export const DEFAULT_SQLITE_PATH = 'data/rotor.sqlite';

/** The one place that picks an adapter: the entry points call this, nothing else does. */
export function createEventStore(config: EventStoreConfig): EventStore {
  switch (config.kind) {
    case 'sqlite': {
      const { onThisThread = false, ...options } = config.sqlite ?? {};
      const path = config.sqlitePath ?? DEFAULT_SQLITE_PATH;
      return onThisThread
        ? new SqliteEventStore(path, options)
        : new ThreadedSqliteEventStore(path, options);
    }
    case 'esdb':
      if (!config.esdbConnectionString)
        throw new RangeError('the esdb event store needs a connection string');
      return new EsdbEventStore(config.esdbConnectionString, config.esdb);
    default:
      throw new RangeError(
        `unknown event store kind: ${String((config as { kind: unknown }).kind)}`,
      );
  }
}
