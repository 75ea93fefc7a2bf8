import { Worker } from 'node:worker_threads';
import { EventStoreUnavailableError } from '../event-store.port';
import type { SqliteEventStoreOptions } from './sqlite-event-store';
import { storeWorkerEntry } from './store-worker.entry';
import {
  deserializeError,
  type StoreWorkerData,
  type WorkerReply,
  type WorkerRequestBody,
} from './store-worker.protocol';

/**
 * The main thread's end of a store worker (store-worker.ts): requests by id, replies
 * matched back, typed errors restored. If the worker dies, every call in flight fails with
 * `EventStoreUnavailableError` (whether a write in flight landed is unknown, as with any
 * lost connection) and the next call starts a new worker on the same file.
 */
export class StoreWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly inFlight = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  constructor(private readonly data: StoreWorkerData) {}

  /** Opens the file now, as a store on this thread would at construction. */
  open(): void {
    this.worker ??= this.start();
  }

  call(body: WorkerRequestBody): Promise<unknown> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Idle, the worker must not keep the process alive; a call in flight does.
      if (this.inFlight.size === 0) worker.ref();
      this.inFlight.set(id, { resolve, reject });
      worker.postMessage({ ...body, id });
    });
  }

  /** Writes what is queued, closes the connection, ends the thread. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.call({ op: 'close' });
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }

  private start(): Worker {
    const { file, execArgv } = storeWorkerEntry();
    const worker = new Worker(file, { workerData: this.data, execArgv });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: WorkerReply): void {
    const waiting = this.inFlight.get(reply.id);
    if (!waiting) return;
    this.inFlight.delete(reply.id);
    if (this.inFlight.size === 0) this.worker?.unref();
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(deserializeError(reply.error));
  }

  private lost(worker: Worker, cause: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const failed = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const { reject } of failed)
      reject(
        new EventStoreUnavailableError(`the event store's worker thread stopped: ${cause.message}`),
      );
  }
}

const shared = new Map<string, { worker: StoreWorker; users: number }>();

/**
 * The worker for `file` (absolute path), shared by every store on that file in this
 * process and stopped when the last one is released; a private one for an in-memory
 * database (`file` undefined), which exists only inside its worker.
 */
export function acquireStoreWorker(
  file: string | undefined,
  path: string,
  options: SqliteEventStoreOptions,
): { worker: StoreWorker; release: () => Promise<void> } {
  if (file === undefined) {
    const worker = new StoreWorker({ path, options });
    return { worker, release: () => worker.stop() };
  }
  const entry = shared.get(file) ?? { worker: new StoreWorker({ path: file, options }), users: 0 };
  entry.users += 1;
  shared.set(file, entry);
  let released = false;
  return {
    worker: entry.worker,
    release: async () => {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users > 0) return;
      shared.delete(file);
      await entry.worker.stop();
    },
  };
}
