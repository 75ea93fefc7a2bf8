import { resolve } from 'node:path';
import {
  EventStoreUnavailableError,
  fromRevisionOf,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalPosition,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamFilter,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';
import { assertAppendable, assertFilter, serializeEvents } from '../store-input';
import { acquireNotifier, type AppendNotifier } from './append-notifier';
import { PollingSubscriptions, readPolledFeed, type FeedPage } from './polling-subscription';
import { parsePosition, type SqliteEventStoreOptions } from './sqlite-event-store';
import { acquireStoreWorker, type StoreWorker } from './store-worker.client';
import type { WorkerRequestBody } from './store-worker.protocol';

/**
 * The embedded store with its connection on a worker thread (store-worker.ts): the same
 * SQLite file, schema and guarantees as `SqliteEventStore`, which does the work there, but
 * reads, writes and fsyncs never hold this thread's event loop, so HTTP, NATS and signing
 * keep answering while the disk works. Appends that arrive while a write is in flight are
 * committed together (group commit: one fsync for the group, each append with its own
 * revision check). An append is acknowledged only after its transaction committed.
 *
 * The instances on one file in one process share one worker (store-worker.client.ts), so
 * the modules of the all-in-one process group their commits together too.
 */
export class ThreadedSqliteEventStore implements EventStore {
  private readonly worker: StoreWorker;
  private readonly releaseWorker: () => Promise<void>;
  private readonly notifier: AppendNotifier;
  private readonly releaseNotifier: () => void;
  private readonly subscriptions: PollingSubscriptions;
  private readonly pollIntervalMs: number;
  private closed = false;

  constructor(
    readonly path: string,
    options: SqliteEventStoreOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    const inMemory = path === ':memory:' || path === '';
    const file = inMemory ? undefined : resolve(path);
    ({ worker: this.worker, release: this.releaseWorker } = acquireStoreWorker(
      file,
      path,
      options,
    ));
    this.worker.open();
    // Appends through this instance wake subscriptions of every store on the same file in
    // this process at once, the threaded and the synchronous kind alike.
    ({ notifier: this.notifier, release: this.releaseNotifier } = acquireNotifier(file));
    this.subscriptions = new PollingSubscriptions({
      scan: (after, filter) => this.page(String(after), filter),
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
    // Serialised here, so an event that cannot be stored is the same TypeError the
    // synchronous store gives, and only strings cross the thread (cloning them is a copy;
    // cloning the objects cost more than the rest of the append on this side).
    const rows = serializeEvents(stream, events);
    const result = (await this.call({
      op: 'append',
      stream,
      events: rows,
      expected,
    })) as AppendResult;
    this.notifier.notify();
    return result;
  }

  async read(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    // Checked here, so a bad revision is the same RangeError on both kinds of store.
    fromRevisionOf(options);
    return (await this.call({
      op: 'read',
      stream,
      ...(options === undefined ? {} : { options }),
    })) as RecordedEvent[];
  }

  async *readAll(from: GlobalPosition, filter?: StreamFilter): AsyncIterable<RecordedEvent> {
    assertFilter(filter);
    yield* readPolledFeed(this.subscriptions.feed, parsePosition(from), filter);
  }

  subscribeAll(from: GlobalPosition, options: SubscribeOptions): Subscription {
    assertFilter(options.filter);
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
    return this.subscriptions.open(parsePosition(from), options);
  }

  async deleteStream(stream: string): Promise<void> {
    await this.call({ op: 'deleteStream', stream });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.call({ op: 'ping' })) === true;
    } catch {
      return false;
    }
  }

  /** See `SqliteEventStore.checkWritable`: for readiness, throws when a write would fail. */
  async checkWritable(): Promise<void> {
    await this.call({ op: 'checkWritable' });
  }

  /** Groups written, and appends in them, by this file's worker: for tests and benchmarks. */
  async groupCommitStats(): Promise<{ groups: number; appends: number }> {
    return (await this.call({ op: 'stats' })) as { groups: number; appends: number };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.subscriptions.closeAll();
    this.closed = true;
    this.releaseNotifier();
    await this.releaseWorker();
  }

  private page(after: GlobalPosition, filter: StreamFilter | undefined): Promise<FeedPage> {
    return this.call({
      op: 'page',
      after,
      ...(filter === undefined ? {} : { filter }),
    }) as Promise<FeedPage>;
  }

  private call(body: WorkerRequestBody): Promise<unknown> {
    if (this.closed)
      return Promise.reject(new EventStoreUnavailableError('the event store is closed'));
    return this.worker.call(body);
  }
}
