import type Database from 'better-sqlite3';

/**
 * The embedded store's schema, versioned. A migration is appended to `MIGRATIONS`, never
 * edited: `schema_version` records the ones a file has.
 *
 * - `global_position` is `AUTOINCREMENT`, not a plain rowid alias, so a position is never
 *   reused, even after the newest stream is deleted: a checkpoint never skips an event.
 * - SQLite has one writer at a time, and a position is assigned inside the writing
 *   transaction, so positions become visible in increasing order, without the holes that
 *   would make "everything after my checkpoint" unsafe (as with sequences in PostgreSQL).
 * - `UNIQUE (stream, revision)` is the index behind `read` and the revision check, and a
 *   last line of defence: two events can never claim the same revision.
 * - `deleted_streams` keeps tombstones, so a deleted stream cannot be recreated.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     global_position INTEGER PRIMARY KEY AUTOINCREMENT,
     stream TEXT NOT NULL,
     revision INTEGER NOT NULL,
     type TEXT NOT NULL,
     version INTEGER NOT NULL,
     data TEXT NOT NULL,
     metadata TEXT NOT NULL,
     recorded_at TEXT NOT NULL,
     UNIQUE (stream, revision)
   );
   CREATE TABLE deleted_streams (
     stream TEXT PRIMARY KEY,
     deleted_at TEXT NOT NULL
   );`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** For a read-only connection: the file must already have a schema this build knows. */
export function checkSchemaVersion(db: Database.Database): void {
  const { version } = db
    .prepare('SELECT COALESCE(MAX(version), 0) AS version FROM schema_version')
    .get() as { version: number };
  if (version < 1 || version > SCHEMA_VERSION)
    throw new Error(
      `the event store file has schema v${version}; this build reads v1 to v${SCHEMA_VERSION}`,
    );
}

export function prepareDatabase(db: Database.Database): void {
  // WAL: readers never block the writer, and several processes can share the file.
  db.pragma('journal_mode = WAL');
  // FULL, not NORMAL: in WAL mode NORMAL can lose the last commits on power loss, and an
  // acknowledged append must survive (DESIGN §3: a real ACID store). Costs one fsync per
  // append transaction, which is why batches are appended in one transaction.
  db.pragma('synchronous = FULL');
  // Deleted rows are overwritten with zeros, not just unlinked: crypto-shredding a data-key
  // stream must leave no copy of the wrapped key in free pages (see deleteStream).
  db.pragma('secure_delete = ON');
  // IMMEDIATE: when several processes open a new file at once, exactly one migrates.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { version } = db
      .prepare('SELECT COALESCE(MAX(version), 0) AS version FROM schema_version')
      .get() as { version: number };
    if (version > SCHEMA_VERSION)
      throw new Error(
        `the event store file has schema v${version}; this build knows up to v${SCHEMA_VERSION}`,
      );
    for (let next = version + 1; next <= SCHEMA_VERSION; next += 1) {
      db.exec(MIGRATIONS[next - 1]);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(next);
    }
  }).immediate();
}
