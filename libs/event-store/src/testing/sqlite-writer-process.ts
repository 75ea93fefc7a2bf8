/**
 * A second PROCESS writing to the embedded store's file, driven over IPC by
 * `sqlite-event-store.int-spec.ts` (run with ts-node: see `forkSqliteWriter`). It only
 * does what it is told, and says what happened:
 * - `{ kind: 'append', stream, expected, count, writer }` -> `appended` | `conflict` | `failed`
 * - `{ kind: 'append-batches', stream, batchSize }`: appends batches until killed, saying
 *   `batch-starting` before and `batch-committed` after each one.
 */
import type { ExpectedRevision, EventToAppend } from '../event-store.port';
import { WrongExpectedRevisionError } from '../event-store.port';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';

export type WriterCommand =
  | {
      kind: 'append';
      stream: string;
      expected: ExpectedRevision;
      count: number;
      writer: string;
    }
  | { kind: 'append-batches'; stream: string; batchSize: number }
  | { kind: 'close' };

export type WriterReport =
  | { kind: 'ready' }
  | { kind: 'appended'; nextExpectedRevision: number }
  | { kind: 'conflict' }
  | { kind: 'failed'; message: string }
  | { kind: 'batch-starting'; batch: number }
  | { kind: 'batch-committed'; batch: number; nextExpectedRevision: number };

const report = (message: WriterReport) => process.send?.(message);

const batchOf = (count: number, writer: string): EventToAppend[] =>
  Array.from({ length: count }, (_, n) => ({
    type: 'WrittenByAnotherProcess',
    version: 1,
    data: { n, writer, pid: process.pid },
    metadata: {
      actor: writer,
      requestId: `${writer}-${n}`,
      occurredAt: new Date().toISOString(),
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    },
  }));

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function main(file: string): Promise<void> {
  const store = new SqliteEventStore(file);
  process.on('message', (command: WriterCommand) => {
    void handle(store, command).catch((error: Error) =>
      report({ kind: 'failed', message: error.message }),
    );
  });
  report({ kind: 'ready' });
}

async function handle(store: SqliteEventStore, command: WriterCommand): Promise<void> {
  switch (command.kind) {
    case 'append':
      try {
        const result = await store.append(
          command.stream,
          batchOf(command.count, command.writer),
          command.expected,
        );
        report({ kind: 'appended', nextExpectedRevision: result.nextExpectedRevision });
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        report({ kind: 'conflict' });
      }
      return;
    case 'append-batches': {
      let expected: ExpectedRevision = 'no_stream';
      for (let batch = 1; ; batch += 1) {
        report({ kind: 'batch-starting', batch });
        // Let the message leave before the (synchronous) transaction holds the process.
        await nextTick();
        const result = await store.append(
          command.stream,
          batchOf(command.batchSize, `batch-${batch}`),
          expected,
        );
        expected = result.nextExpectedRevision;
        report({ kind: 'batch-committed', batch, nextExpectedRevision: expected });
        await nextTick();
      }
    }
    case 'close':
      await store.close();
      process.disconnect();
      return;
  }
}

void main(process.argv[2]);
