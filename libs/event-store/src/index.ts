// The contract suite (testing/event-store.contract.ts) is not exported: tests import it by
// path, so production bundles never pull in jest globals.
export * from './event-store.port';
export * from './audit/audit-key';
export * from './audit/canonical-json';
export * from './audit/guarded-event-store';
export * from './audit/trusted-history';
export * from './audit/anchor';
export * from './audit/hash-chain';
export * from './audit/verify-stream';
export * from './command-handling';
export * from './idempotency';
export * from './stream-fold';
export * from './create-event-store';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
export { ThreadedSqliteEventStore } from './sqlite/threaded-sqlite-event-store';
export { EsdbEventStore, type EsdbEventStoreOptions } from './esdb/esdb-event-store';
