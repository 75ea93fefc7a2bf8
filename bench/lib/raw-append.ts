import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { RecordedEvent } from '@rotor/event-store';
import { removeDir, tempDir } from './processes';

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

/**
 * The disk's floor under a rotation (issue 13): one raw better-sqlite3 append of the same
 * rows, in one transaction, WAL and synchronous=FULL (one fsync'd commit), into a bare
 * table with no index but its rowid: no store, no check, no JSON; its WAL in steady state.
 * A case measures it in its own run, in chunks between its own (a shared disk's latency
 * drifts by the minute), so a target can be a ratio to it.
 */
export class RawAppend {
  private readonly append: (count: number) => void;

  private constructor(
    private readonly dir: string,
    private readonly db: Database.Database,
    /** One append: a row of each of these sizes. */
    readonly rowBytes: readonly number[],
  ) {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO log (body) VALUES (?)');
    const bodies = rowBytes.map((bytes) => 'x'.repeat(bytes));
    this.append = db.transaction((count: number) => {
      for (let i = 0; i < count; i++) for (const body of bodies) insert.run(body);
    });
    // Steady state, as in a store that has run for a while: past its first checkpoints the
    // WAL is rewritten in place. While it still grows, each fsync also commits the file's
    // new size, and the median is 2 to 8 times higher and swings between runs.
    db.pragma('synchronous = OFF');
    for (let i = 0; i < 2_000; i++) this.append(1);
    db.pragma('synchronous = FULL');
  }

  static open(rowBytes: readonly number[]): RawAppend {
    const dir = tempDir('raw-append');
    return new RawAppend(dir, new Database(join(dir, 'raw.sqlite')), rowBytes);
  }

  /** Latencies of `count` appends back to back, one transaction each, ms, as measured. */
  appends(count: number): number[] {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = process.hrtime.bigint();
      this.append(1);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return samples;
  }

  /** Rows per second with `groupSize` appends per transaction: what group commit can reach. */
  groupedRowsPerSecond(groupSize: number, transactions: number): number {
    const start = process.hrtime.bigint();
    for (let i = 0; i < transactions; i++) this.append(groupSize);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return (transactions * groupSize * this.rowBytes.length) / seconds;
  }

  close(): void {
    this.db.close();
    removeDir(this.dir);
  }
}

/** Rows per second of back-to-back appends whose latencies these are. */
export const rowsPerSecondOf = (raw: RawAppend, samplesMs: readonly number[]): number =>
  (samplesMs.length * raw.rowBytes.length) / (samplesMs.reduce((a, b) => a + b, 0) / 1e3);
