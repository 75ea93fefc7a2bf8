import type { EventStore } from './event-store.port';
import { EsdbEventStore, type EsdbEventStoreOptions } from './esdb/esdb-event-store';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';

export type EventStoreKind = 'sqlite' | 'esdb';

export interface EventStoreConfig {
  readonly kind: EventStoreKind;
  /** The embedded store's file; `:memory:` for a throw-away store. */
  readonly sqlitePath?: string;
  /** e.g. `esdb://admin:changeit@localhost:2113?tls=false`. */
  readonly esdbConnectionString?: string;
  readonly sqlite?: SqliteEventStoreOptions;
  readonly esdb?: EsdbEventStoreOptions;
}

/** The embedded default lives under `./data` (DESIGN §3). */
export const DEFAULT_SQLITE_PATH = 'data/rotor.sqlite';

/** The one place that picks an adapter: the entry points call this, nothing else does. */
export function createEventStore(config: EventStoreConfig): EventStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteEventStore(config.sqlitePath ?? DEFAULT_SQLITE_PATH, config.sqlite);
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
