import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  EventStoreUnavailableError,
  START,
  StreamDeletedError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  fromRevisionOf,
  type GlobalPosition,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamFilter,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';
import {
  assertAppendable,
  assertFilter,
  serializeEvents,
  type SerializedEvent,
} from '../store-input';
import { acquireNotifier, type AppendNotifier } from './append-notifier';
import { PollingSubscriptions, readPolledFeed, type FeedPage } from './polling-subscription';
import { checkSchemaVersion, prepareDatabase } from './schema';

export interface SqliteEventStoreOptions {
  /** How often a live subscription looks for events appended by other processes. */
  readonly pollIntervalMs?: number;
  /** How long a write waits for another process's write lock before giving up. */
  readonly busyTimeoutMs?: number;
  /** Events per page when reading the global feed: bounds memory on any store size. */
  readonly pageSize?: number;
  /**
   * Opens an existing file for reading only (auditors, the fault tests' checks): no
   * migration, and every write is refused by SQLite itself, so a checker can never change
   * the store it checks.
   */
  readonly readOnly?: boolean;
}

/** One append of a group (`appendGroup`), its events already rows (`serializeEvents`). */
export interface AppendRequest {
  readonly stream: string;
  readonly events: readonly SerializedEvent[];
  readonly expected: ExpectedRevision;
}

interface EventRow {
  readonly global_position: number;
  readonly stream: string;
  readonly revision: number;
  readonly type: string;
  readonly version: number;
  readonly data: string;
  readonly metadata: string;
  readonly recorded_at: string;
}

const COLUMNS = 'global_position, stream, revision, type, version, data, metadata, recorded_at';

/** An EventRow as an array, in COLUMNS order (a statement in raw mode). */
type RawEventRow = readonly [number, string, number, string, number, string, string, string];

/**
 * The embedded event store (DESIGN §3): one SQLite file, shared by the processes of one
 * host. better-sqlite3 is synchronous, so each call holds the event loop for its duration;
 * a write waiting for another process's lock holds it up to `busyTimeoutMs`.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly notifier: AppendNotifier;
  private readonly releaseNotifier: () => void;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  /** Positions looked at per scan: bounds the work of a filtered scan over foreign events. */
  private readonly scanWindow: number;
  private readonly subscriptions: PollingSubscriptions;
  private readonly filteredPages = new Map<number, Database.Statement>();
  /** `readAllByStream`'s statements, by number of stream prefixes. */
  private readonly streamOrderPages = new Map<number, Database.Statement>();
  private readonly statements: ReturnType<SqliteEventStore['prepareStatements']>;
  private readonly appendInTransaction: Database.Transaction<
    (stream: string, events: readonly SerializedEvent[], expected: ExpectedRevision) => AppendResult
  >;
  private readonly appendGroupInTransaction: Database.Transaction<
    (requests: readonly AppendRequest[]) => Array<AppendResult | Error>
  >;
  private readonly deleteInTransaction: Database.Transaction<(stream: string) => void>;
  private readonly writeProbe: Database.Transaction<() => void>;
  private closed = false;

  constructor(
    readonly path: string,
    options: SqliteEventStoreOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.pageSize = options.pageSize ?? 1000;
    this.scanWindow = this.pageSize * 10;
    const inMemory = path === ':memory:' || path === '';
    const file = inMemory ? undefined : resolve(path);
    if (file) mkdirSync(dirname(file), { recursive: true });

    const readOnly = options.readOnly === true && file !== undefined;
    this.db = new Database(file ?? ':memory:', {
      timeout: options.busyTimeoutMs ?? 5000,
      ...(readOnly ? { readonly: true, fileMustExist: true } : {}),
    });
    try {
      if (readOnly) checkSchemaVersion(this.db);
      else prepareDatabase(this.db);
    } catch (error) {
      this.db.close();
      throw toStoreError(error);
    }
    this.statements = this.prepareStatements();
    this.appendInTransaction = this.db.transaction(this.appendRows.bind(this));
    // Called inside the group's transaction, `appendInTransaction` runs in a savepoint of
    // its own: an append that fails its check rolls back alone, its neighbours still commit.
    this.appendGroupInTransaction = this.db.transaction((requests: readonly AppendRequest[]) =>
      requests.map(({ stream, events, expected }) => {
        try {
          assertAppendable(stream, events, expected);
          return this.appendInTransaction(stream, events, expected);
        } catch (error) {
          return toStoreError(error) as Error;
        }
      }),
    );
    this.deleteInTransaction = this.db.transaction((stream: string) => {
      this.statements.deleteEvents.run(stream);
      this.statements.tombstone.run(stream, new Date().toISOString());
    });
    this.writeProbe = this.db.transaction(() => {
      this.statements.insert.run(
        '$write-probe',
        0,
        'probe',
        1,
        '"'.padEnd(16_383, 'x') + '"',
        '{}',
        '',
      );
      throw new WriteProbeDone();
    });
    ({ notifier: this.notifier, release: this.releaseNotifier } = acquireNotifier(file));
    this.subscriptions = new PollingSubscriptions({
      scan: this.scan.bind(this),
      notifier: this.notifier,
      pollIntervalMs: this.pollIntervalMs,
    });
  }

  async append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    assertAppendable(stream, events, expected);
    // IMMEDIATE takes the write lock before reading the current revision, so the check
    // and the insert are one step: of two writers at the same revision (two processes
    // included), the second sees the first's events and fails the check.
    const rows = serializeEvents(stream, events);
    const result = this.guard(() => this.appendInTransaction.immediate(stream, rows, expected));
    this.notifier.notify();
    return result;
  }

  /**
   * Group commit: several appends in ONE transaction, so one fsync for all of them. Each
   * keeps its own expected-revision check; one that fails gets its error in its slot and
   * the others still land. Only when the commit itself fails (a full disk) does the whole
   * call throw, and then none of them was written. Synchronous: for the store's worker
   * thread (threaded-sqlite-event-store.ts), which collects the appends that arrive while
   * the previous group is being written.
   */
  appendGroup(requests: readonly AppendRequest[]): Array<AppendResult | Error> {
    if (requests.length === 0) return [];
    const results = this.guard(() => this.appendGroupInTransaction.immediate(requests));
    if (results.some((result) => !(result instanceof Error))) this.notifier.notify();
    return results;
  }

  /** One bounded page of the global feed strictly after `after` (see `scan`). */
  readFeedPage(after: GlobalPosition, filter?: StreamFilter): FeedPage {
    assertFilter(filter);
    return this.scan(parsePosition(after), filter);
  }

  async read(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const from = fromRevisionOf(options);
    return this.guard(() =>
      (this.statements.readStream.all(stream, from) as EventRow[]).map(toRecordedEvent),
    );
  }

  async *readAll(from: GlobalPosition, filter?: StreamFilter): AsyncIterable<RecordedEvent> {
    assertFilter(filter);
    yield* readPolledFeed(this.subscriptions.feed, parsePosition(from), filter);
  }

  /**
   * Every event up to the head at the time of the call, stream after stream (streams by
   * name, each one's events together and in revision order), a bounded page at a time. For
   * the passes that only ever need one stream at a time (`audit verify`, `projections
   * rebuild`): they keep one stream's state instead of every stream's. Events appended
   * during the read are left out, so a stream is never seen half-way and then again.
   */
  async *readAllByStream(filter?: StreamFilter): AsyncIterable<RecordedEvent> {
    assertFilter(filter);
    const { head } = this.guard(() => this.statements.head.get() as { head: number });
    let after = { stream: '', revision: -1 };
    for (;;) {
      const rows = this.guard(
        () =>
          this.streamOrderPage(filter?.streamPrefixes.length ?? 0).all(
            head,
            after.stream,
            after.revision,
            ...(filter?.streamPrefixes ?? []),
            this.pageSize,
          ) as RawEventRow[],
      );
      for (const row of rows) yield fromRawRow(row);
      if (rows.length < this.pageSize) return;
      const last = rows[rows.length - 1];
      after = { stream: last[1], revision: last[2] };
    }
  }

  subscribeAll(from: GlobalPosition, options: SubscribeOptions): Subscription {
    assertFilter(options.filter);
    const after = parsePosition(from);
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
    return this.subscriptions.open(after, options);
  }

  async deleteStream(stream: string): Promise<void> {
    this.guard(() => this.deleteInTransaction.immediate(stream));
    this.shredWal();
  }

  /**
   * Crypto-shredding must not leave the deleted rows in the WAL, where every version of a
   * page stays until a checkpoint: TRUNCATE copies the (zeroed, `secure_delete`) pages into
   * the main file and empties the WAL. A reader of another process can hold it up; a few
   * bounded tries, then the next deletion or the close does it (the README says so).
   */
  private shredWal(): void {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const [result] = this.guard(
        () => this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[],
      );
      if (!result || result.busy === 0) return;
    }
  }

  async ping(): Promise<boolean> {
    try {
      return this.guard(() => this.statements.ping.get() !== undefined);
    } catch {
      return false;
    }
  }

  /**
   * Takes the write lock without waiting (a health probe must not hold the event loop for
   * `busyTimeoutMs`), inserts a row large enough to need new pages (so a full or
   * read-only file refuses it, as it would an append), and rolls back: nothing is written.
   */
  async checkWritable(): Promise<void> {
    this.guard(() => {
      const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
      this.db.pragma('busy_timeout = 0');
      try {
        this.writeProbe.immediate();
      } catch (error) {
        if (!(error instanceof WriteProbeDone)) throw error;
      } finally {
        this.db.pragma(`busy_timeout = ${timeout}`);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Subscriptions first: each finishes the handler it is running, then stops reading.
    await this.subscriptions.closeAll();
    this.closed = true;
    this.releaseNotifier();
    this.db.close();
  }

  private appendRows(
    stream: string,
    events: readonly SerializedEvent[],
    expected: ExpectedRevision,
  ): AppendResult {
    if (this.statements.isDeleted.get(stream)) throw new StreamDeletedError(stream);
    const { revision: current } = this.statements.currentRevision.get(stream) as {
      revision: number | null;
    };
    const actual: ExpectedRevision = current ?? 'no_stream';
    if (actual !== expected) throw new WrongExpectedRevisionError(stream, expected, actual);

    const recordedAt = new Date().toISOString();
    let revision = current ?? -1;
    let position = 0;
    for (const event of events) {
      revision += 1;
      const inserted = this.statements.insert.run(
        stream,
        revision,
        event.type,
        event.version,
        event.data,
        event.metadata,
        recordedAt,
      );
      position = Number(inserted.lastInsertRowid);
    }
    return { nextExpectedRevision: revision, position: String(position) };
  }

  /**
   * One bounded step of the global feed after `after`: at most `pageSize` events, looking
   * at no more than `scanWindow` positions, never past the head read at the start (all
   * positions up to a committed one are committed, see schema.ts).
   */
  private scan(after: number, filter: StreamFilter | undefined): FeedPage {
    return this.guard(() => {
      const { head } = this.statements.head.get() as { head: number };
      const upTo = Math.min(head, after + this.scanWindow);
      if (upTo <= after) return { events: [], scannedTo: after, atEnd: true };
      const rows = (
        filter
          ? this.filteredPage(filter.streamPrefixes.length).all(
              after,
              upTo,
              ...filter.streamPrefixes,
              this.pageSize,
            )
          : this.statements.page.all(after, upTo, this.pageSize)
      ) as EventRow[];
      const full = rows.length === this.pageSize;
      const scannedTo = full ? rows[rows.length - 1].global_position : upTo;
      return { events: rows.map(toRecordedEvent), scannedTo, atEnd: !full && upTo === head };
    });
  }

  /** A page in (stream, revision) order after a given one: the UNIQUE index walked in order. */
  private streamOrderPage(prefixCount: number): Database.Statement {
    let statement = this.streamOrderPages.get(prefixCount);
    if (!statement) {
      const anyPrefix = Array.from({ length: prefixCount }, () => 'instr(stream, ?) = 1').join(
        ' OR ',
      );
      statement = this.db.prepare(
        `SELECT ${COLUMNS} FROM events
         WHERE global_position <= ? AND (stream, revision) > (?, ?)
         ${prefixCount > 0 ? `AND (${anyPrefix})` : ''}
         ORDER BY stream, revision LIMIT ?`,
      );
      // Rows as arrays: a whole-store pass reads millions, and skipping the row objects
      // saves a quarter of the read's cost.
      statement.raw(true);
      this.streamOrderPages.set(prefixCount, statement);
    }
    return statement;
  }

  private filteredPage(prefixCount: number): Database.Statement {
    let statement = this.filteredPages.get(prefixCount);
    if (!statement) {
      // instr(...) = 1 is a case-sensitive "starts with" (LIKE is case-insensitive and
      // treats % and _ as wildcards).
      const anyPrefix = Array.from({ length: prefixCount }, () => 'instr(stream, ?) = 1').join(
        ' OR ',
      );
      statement = this.db.prepare(
        `SELECT ${COLUMNS} FROM events
         WHERE global_position > ? AND global_position <= ? AND (${anyPrefix})
         ORDER BY global_position LIMIT ?`,
      );
      this.filteredPages.set(prefixCount, statement);
    }
    return statement;
  }

  private prepareStatements() {
    const db = this.db;
    return {
      currentRevision: db.prepare('SELECT MAX(revision) AS revision FROM events WHERE stream = ?'),
      isDeleted: db.prepare('SELECT 1 FROM deleted_streams WHERE stream = ?'),
      insert: db.prepare(
        `INSERT INTO events (stream, revision, type, version, data, metadata, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      readStream: db.prepare(
        `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision`,
      ),
      head: db.prepare('SELECT COALESCE(MAX(global_position), 0) AS head FROM events'),
      page: db.prepare(
        `SELECT ${COLUMNS} FROM events
         WHERE global_position > ? AND global_position <= ?
         ORDER BY global_position LIMIT ?`,
      ),
      deleteEvents: db.prepare('DELETE FROM events WHERE stream = ?'),
      tombstone: db.prepare(
        'INSERT OR IGNORE INTO deleted_streams (stream, deleted_at) VALUES (?, ?)',
      ),
      ping: db.prepare('SELECT 1 AS ok'),
    };
  }

  private guard<T>(work: () => T): T {
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
    try {
      return work();
    } catch (error) {
      throw toStoreError(error);
    }
  }
}

/** Thrown by the write probe to roll its transaction back. */
class WriteProbeDone extends Error {}

/**
 * Faults of the file, not of the request, are "try again later" (a typed 503, never a 500
 * with internals): lock contention that outlasted `busy_timeout`, a full disk, a file or
 * file system that turned read-only, an I/O error. SQLite rolls the failed transaction back
 * and the connection stays usable, so the next write after the fault clears succeeds.
 */
const STORE_FAULTS = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL)/;

function toStoreError(error: unknown): unknown {
  // By name and code, not `instanceof`: the native addon is loaded once per process and keeps
  // the SqliteError class of the first module registry (jest makes one, with its own Error,
  // per test file).
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'SqliteError' && typeof code === 'string' && STORE_FAULTS.test(code)) {
    const what = /^SQLITE_(BUSY|LOCKED)/.test(code) ? 'busy' : 'not writable';
    return new EventStoreUnavailableError(
      `the event store is ${what}: ${(error as { message?: unknown }).message}`,
      {
        cause: error,
      },
    );
  }
  return error;
}

/** A position of the embedded store's feed as its number (START is 0); the one parser of it. */
export function parsePosition(position: GlobalPosition): number {
  if (position === START) return 0;
  if (!/^\d{1,15}$/.test(position))
    throw new RangeError(`not a position of the embedded event store: ${position}`);
  return Number(position);
}

const fromRawRow = ([
  position,
  stream,
  revision,
  type,
  version,
  data,
  metadata,
  recordedAt,
]: RawEventRow): RecordedEvent => ({
  stream,
  revision,
  position: String(position),
  type,
  version,
  data: JSON.parse(data) as unknown,
  metadata: JSON.parse(metadata) as RecordedEvent['metadata'],
  recordedAt,
});

const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  stream: row.stream,
  revision: row.revision,
  position: String(row.global_position),
  type: row.type,
  version: row.version,
  data: JSON.parse(row.data) as unknown,
  metadata: JSON.parse(row.metadata) as RecordedEvent['metadata'],
  recordedAt: row.recorded_at,
});
