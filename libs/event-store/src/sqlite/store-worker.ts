import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore, type AppendRequest } from './sqlite-event-store';
import {
  serializeError,
  type StoreWorkerData,
  type WorkerReply,
  type WorkerRequest,
} from './store-worker.protocol';

/**
 * The thread that owns the SQLite connection of a `ThreadedSqliteEventStore`: every read,
 * write and fsync happens here, so the main thread's event loop never waits on the disk.
 *
 * Group commit: appends are not written as they arrive but collected until the messages
 * already queued have been taken (`setImmediate` runs after them), then written in one
 * transaction. While that transaction's fsync runs, the next appends queue up on the port
 * and form the next group, so under load one fsync serves many appends, and with a single
 * caller nothing waits longer than its own write.
 */
const port = parentPort;
if (!port) throw new Error('store-worker.ts runs only as a worker thread');

const { path, options } = workerData as StoreWorkerData;
const store = new SqliteEventStore(path, options);

let pending: Array<{ id: number; request: AppendRequest }> = [];
let flushScheduled = false;
const stats = { groups: 0, appends: 0 };

const reply = (message: WorkerReply): void => port.postMessage(message);

function flush(): void {
  flushScheduled = false;
  const group = pending;
  pending = [];
  if (group.length === 0) return;
  try {
    const results = store.appendGroup(group.map((entry) => entry.request));
    stats.groups += 1;
    stats.appends += group.length;
    results.forEach((result, index) => {
      const { id } = group[index];
      reply(
        result instanceof Error
          ? { id, ok: false, error: serializeError(result) }
          : { id, ok: true, value: result },
      );
    });
  } catch (error) {
    // The commit itself failed: nothing of the group was written.
    const serialized = serializeError(error);
    for (const { id } of group) reply({ id, ok: false, error: serialized });
  }
}

async function answer(request: Exclude<WorkerRequest, { op: 'append' }>): Promise<unknown> {
  switch (request.op) {
    case 'read':
      return store.read(request.stream, request.options);
    case 'page':
      return store.readFeedPage(request.after, request.filter);
    case 'deleteStream':
      return store.deleteStream(request.stream);
    case 'ping':
      return store.ping();
    case 'checkWritable':
      return store.checkWritable();
    case 'stats':
      return { ...stats };
    case 'close':
      flush();
      await store.close();
      return undefined;
    default: {
      const unknown: never = request;
      throw new Error(`unknown store request ${JSON.stringify(unknown)}`);
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'append') {
    pending.push({ id: request.id, request });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
    return;
  }
  // Reads do not wait for the queued group: they see what is committed, which includes
  // every acknowledged append (an append is acknowledged only after its commit). Only
  // `close` writes the queued group first, so that no queued append is dropped.
  answer(request).then(
    (value) => reply({ id: request.id, ok: true, value }),
    (error: unknown) => reply({ id: request.id, ok: false, error: serializeError(error) }),
  );
});
