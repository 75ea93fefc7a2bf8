import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { RecordedEvent } from '@rotor/event-store';
import { removeDir, tempDir } from './processes';
import { percentile } from './stats';

/**
 * The disk's floor under a rotation (issue 13): one raw better-sqlite3 append of the same
 * rows, in one transaction, WAL and synchronous=FULL (one fsync'd commit), into a bare
 * table with no index but its rowid: no store, no check, no JSON. Measured in the case's
 * own run, so a target can be a ratio to it.
 */
export interface RawAppend {
  /** Median latency of one append (its rows in one fsync'd transaction), ms. */
  readonly medianMs: number;
  /** Rows per second, one append per transaction, back to back. */
  readonly rowsPerSecond: number;
  /** Rows per second with `groupSize` appends per transaction: what group commit can reach. */
  readonly groupedRowsPerSecond: number;
}

/** The bytes of each row as the sqlite store writes it (its text columns). */
export const rowBytesOf = (events: readonly RecordedEvent[]): number[] =>
  events.map(
    (e) =>
      Buffer.byteLength(e.stream) +
      Buffer.byteLength(e.type) +
      Buffer.byteLength(JSON.stringify(e.data)) +
      Buffer.byteLength(JSON.stringify(e.metadata)) +
      Buffer.byteLength(e.recordedAt),
  );

export const measureRawAppend = (options: {
  /** One append: a row of each of these sizes. */
  readonly rowBytes: readonly number[];
  readonly appends: number;
  readonly groupSize: number;
}): RawAppend => {
  const { rowBytes, appends, groupSize } = options;
  const dir = tempDir('raw-append');
  const db = new Database(join(dir, 'raw.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO log (body) VALUES (?)');
    const bodies = rowBytes.map((bytes) => 'x'.repeat(bytes));
    const append = db.transaction((count: number) => {
      for (let i = 0; i < count; i++) for (const body of bodies) insert.run(body);
    });
    for (let i = 0; i < 20; i++) append(1); // warm-up: the file and the WAL exist

    const samples: number[] = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < appends; i++) {
      const t = process.hrtime.bigint();
      append(1);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;

    const groups = Math.max(5, Math.ceil(appends / groupSize));
    const groupedStart = process.hrtime.bigint();
    for (let i = 0; i < groups; i++) append(groupSize);
    const groupedSeconds = Number(process.hrtime.bigint() - groupedStart) / 1e9;

    return {
      medianMs: percentile(
        samples.sort((a, b) => a - b),
        50,
      ),
      rowsPerSecond: (appends * rowBytes.length) / seconds,
      groupedRowsPerSecond: (groups * groupSize * rowBytes.length) / groupedSeconds,
    };
  } finally {
    db.close();
    removeDir(dir);
  }
};
