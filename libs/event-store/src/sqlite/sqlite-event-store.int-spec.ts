import Database from 'better-sqlite3';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from '@rotor/testing';
import { START, type RecordedEvent } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import type { WriterCommand, WriterReport } from '../testing/sqlite-writer-process';
import { SqliteEventStore } from './sqlite-event-store';

const REPO_ROOT = resolve(__dirname, '../../../..');
const WRITER_SCRIPT = join(__dirname, '../testing/sqlite-writer-process.ts');

const directory = mkdtempSync(join(tmpdir(), 'rotor-sqlite-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const contractFile = join(directory, 'contract', 'events.sqlite');
describeEventStoreContract('sqlite', () => new SqliteEventStore(contractFile));

/** A writer in its own process, talking over IPC. */
class Writer {
  private readonly reports: WriterReport[] = [];
  private readonly waiting = new Set<() => void>();
  readonly exited: Promise<NodeJS.Signals | number | null>;

  constructor(readonly child: ChildProcess) {
    child.on('message', (report: WriterReport) => {
      this.reports.push(report);
      for (const wake of [...this.waiting]) wake();
    });
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => resolveExit(signal ?? code)),
    );
  }

  send(command: WriterCommand): void {
    this.child.send(command);
  }

  /** The first report (not yet taken) that matches, as soon as it arrives. */
  next<K extends WriterReport['kind']>(
    accept: (report: WriterReport) => report is Extract<WriterReport, { kind: K }>,
  ): Promise<Extract<WriterReport, { kind: K }>> {
    return new Promise((resolveReport, reject) => {
      const look = () => {
        const index = this.reports.findIndex(accept);
        if (index !== -1) {
          this.waiting.delete(look);
          resolveReport(this.reports.splice(index, 1)[0] as Extract<WriterReport, { kind: K }>);
          return;
        }
        const failed = this.reports.find((report) => report.kind === 'failed');
        if (failed) {
          this.waiting.delete(look);
          reject(new Error(`writer failed: ${failed.kind === 'failed' && failed.message}`));
        }
      };
      this.waiting.add(look);
      look();
    });
  }
}

const writers: Writer[] = [];
const forkWriter = async (file: string): Promise<Writer> => {
  const child = fork(WRITER_SCRIPT, [file], {
    cwd: REPO_ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const writer = new Writer(child);
  writers.push(writer);
  await writer.next((report): report is { kind: 'ready' } => report.kind === 'ready');
  return writer;
};

afterEach(async () => {
  for (const writer of writers.splice(0)) {
    if (writer.child.exitCode === null && writer.child.signalCode === null)
      writer.child.kill('SIGKILL');
    await writer.exited;
  }
});

describe('sqlite: several processes on one file', () => {
  it('lets exactly one of two processes appending at the same revision win, every round', async () => {
    const file = join(directory, 'race.sqlite');
    const store = new SqliteEventStore(file);
    const stream = 'race-1';
    await store.append(stream, [marker(0)], 'no_stream');
    const [left, right] = await Promise.all([forkWriter(file), forkWriter(file)]);

    let revision = 0;
    for (let round = 0; round < 20; round += 1) {
      for (const [writer, name] of [
        [left, 'left'],
        [right, 'right'],
      ] as const)
        writer.send({ kind: 'append', stream, expected: revision, count: 10, writer: name });
      const outcomes = await Promise.all([left.next(isOutcome), right.next(isOutcome)]);

      const won = outcomes.filter((outcome) => outcome.kind === 'appended');
      expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['appended', 'conflict']);
      revision = (won[0] as { nextExpectedRevision: number }).nextExpectedRevision;
      expect(revision).toBe(10 * (round + 1));
    }

    // 20 whole batches of 10, each from one writer.
    const read = await store.read(stream);
    expect(read).toHaveLength(201);
    for (let batch = 0; batch < 20; batch += 1) {
      const writersOfBatch = new Set(
        read.slice(1 + batch * 10, 11 + batch * 10).map((event) => event.metadata.actor),
      );
      expect(writersOfBatch.size).toBe(1);
    }
    await store.close();
  });

  it('leaves no partial batch when a process is killed in the middle of a large append', async () => {
    const file = join(directory, 'killed.sqlite');
    const stream = 'killed-1';
    const batchSize = 50_000;
    const writer = await forkWriter(file);
    writer.send({ kind: 'append-batches', stream, batchSize });
    await writer.next(isCommitted(1));
    await writer.next(isStarting(2));
    // Batch 2 is being written (its transaction takes far longer than this message).
    writer.child.kill('SIGKILL');
    expect(await writer.exited).toBe('SIGKILL');

    const store = new SqliteEventStore(file);
    const db = new Database(file, { readonly: true });
    try {
      const { count, lowest, highest } = db
        .prepare(
          'SELECT COUNT(*) AS count, MIN(revision) AS lowest, MAX(revision) AS highest FROM events WHERE stream = ?',
        )
        .get(stream) as { count: number; lowest: number; highest: number };
      expect(count % batchSize).toBe(0);
      expect(count).toBeGreaterThanOrEqual(batchSize);
      expect([lowest, highest]).toEqual([0, count - 1]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');

      // The lock died with the process: the next writer goes straight on.
      await expect(store.append(stream, [marker(1)], count - 1)).resolves.toMatchObject({
        nextExpectedRevision: count,
      });
    } finally {
      db.close();
      await store.close();
    }
  });

  it('delivers to a subscription the events another process appends', async () => {
    const file = join(directory, 'feed.sqlite');
    const store = new SqliteEventStore(file, { pollIntervalMs: 20 });
    const received: RecordedEvent[] = [];
    let caughtUp = false;
    const subscription = store.subscribeAll(START, {
      filter: { streamPrefixes: ['feed-'] },
      onEvent: (event) => void received.push(event),
      onCaughtUp: () => {
        caughtUp = true;
      },
    });
    try {
      await waitFor(() => caughtUp, 'the catch-up of an empty store');
      const writer = await forkWriter(file);
      let expected: number | 'no_stream' = 'no_stream';
      for (let batch = 0; batch < 3; batch += 1) {
        writer.send({ kind: 'append', stream: 'feed-1', expected, count: 5, writer: 'other' });
        const outcome = await writer.next(isOutcome);
        expected = (outcome as { nextExpectedRevision: number }).nextExpectedRevision;
      }
      await waitFor(() => received.length === 15, 'the events of the other process');
      expect(received.map((event) => event.revision)).toEqual(
        Array.from({ length: 15 }, (_, revision) => revision),
      );
      expect(received.every((event) => event.metadata.actor === 'other')).toBe(true);
    } finally {
      await subscription.close();
      await store.close();
    }
  });
});

const isOutcome = (
  report: WriterReport,
): report is Extract<WriterReport, { kind: 'appended' | 'conflict' }> =>
  report.kind === 'appended' || report.kind === 'conflict';
const isCommitted =
  (batch: number) =>
  (report: WriterReport): report is Extract<WriterReport, { kind: 'batch-committed' }> =>
    report.kind === 'batch-committed' && report.batch === batch;
const isStarting =
  (batch: number) =>
  (report: WriterReport): report is Extract<WriterReport, { kind: 'batch-starting' }> =>
    report.kind === 'batch-starting' && report.batch === batch;

function marker(n: number) {
  return {
    type: 'Marker',
    version: 1,
    data: { n },
    metadata: {
      actor: 'test',
      requestId: `marker-${n}`,
      occurredAt: new Date().toISOString(),
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    },
  };
}

describe('sqlite: read-only', () => {
  const meta = { actor: 'test', requestId: 'r1', occurredAt: '2026-01-01T00:00:00Z' };
  const event = {
    type: 'Noted',
    version: 1,
    data: {},
    metadata: { ...meta, prevHash: '', hash: '' },
  };

  it('reads what a writer appended and refuses to write, on a file another process keeps open', async () => {
    const file = join(directory, 'read-only.sqlite');
    const writer = new SqliteEventStore(file);
    const reader = new SqliteEventStore(file, { readOnly: true });
    try {
      await writer.append('note-1', [event, event], 'no_stream');
      expect((await reader.read('note-1')).map((e) => e.revision)).toEqual([0, 1]);
      await expect(reader.append('note-1', [event], 1)).rejects.toThrow(/readonly/i);
      expect(await writer.read('note-1')).toHaveLength(2);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('refuses a file that does not exist instead of creating it', () => {
    expect(
      () => new SqliteEventStore(join(directory, 'absent.sqlite'), { readOnly: true }),
    ).toThrow();
  });
});

describe('sqlite: readAllByStream', () => {
  const noted = (n: number) => ({
    type: 'Noted',
    version: 1,
    data: { n },
    metadata: {
      actor: 'test',
      requestId: `r${n}`,
      occurredAt: '2026-01-01T00:00:00Z',
      prevHash: '',
      hash: '',
    },
  });
  const collect = async (events: AsyncIterable<RecordedEvent>) => {
    const seen: string[] = [];
    for await (const event of events) seen.push(`${event.stream}@${event.revision}`);
    return seen;
  };

  it('gives every stream whole and in revision order, across pages, with the filter applied', async () => {
    // A page of 2 events: streams of 3 events straddle the pages.
    const store = new SqliteEventStore(':memory:', { pageSize: 2 });
    try {
      // Interleaved in the global feed: b, a, c, b, a, b.
      await store.append('b-1', [noted(1)], 'no_stream');
      await store.append('a-1', [noted(2)], 'no_stream');
      await store.append('c-1', [noted(3)], 'no_stream');
      await store.append('b-1', [noted(4)], 0);
      await store.append('a-1', [noted(5)], 0);
      await store.append('b-1', [noted(6)], 1);
      expect(await collect(store.readAllByStream())).toEqual([
        'a-1@0',
        'a-1@1',
        'b-1@0',
        'b-1@1',
        'b-1@2',
        'c-1@0',
      ]);
      expect(await collect(store.readAllByStream({ streamPrefixes: ['b-', 'c-'] }))).toEqual([
        'b-1@0',
        'b-1@1',
        'b-1@2',
        'c-1@0',
      ]);
    } finally {
      await store.close();
    }
  });

  it('leaves out what is appended while it reads', async () => {
    const store = new SqliteEventStore(':memory:', { pageSize: 1 });
    try {
      await store.append('a-1', [noted(1)], 'no_stream');
      await store.append('b-1', [noted(2)], 'no_stream');
      const seen: string[] = [];
      for await (const event of store.readAllByStream()) {
        seen.push(`${event.stream}@${event.revision}`);
        if (seen.length === 1) {
          await store.append('a-1', [noted(3)], 0);
          await store.append('c-1', [noted(4)], 'no_stream');
        }
      }
      expect(seen).toEqual(['a-1@0', 'b-1@0']);
    } finally {
      await store.close();
    }
  });
});
