import {
  AccessDeniedError,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  NotLeaderError,
  START as ESDB_START,
  StreamDeletedError as EsdbStreamDeletedError,
  StreamNotFoundError,
  streamNameFilter,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type JSONType,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  START,
  StreamDeletedError,
  WrongExpectedRevisionError,
  fromRevisionOf,
  type AppendResult,
  type EventMetadata,
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
import { assertAppendable, assertFilter, matchesFilter, toJsonText } from '../store-input';
import { reportSubscriptionError } from '../subscription-errors';
import { DEFAULT_ESDB_CREDENTIALS, normalizeConnectionString } from './connection-string';
import {
  compareLogPositions,
  formatLogPosition,
  parseLogPosition,
  type LogPosition,
} from './log-position';
import { withTimeout } from './with-timeout';

export interface EsdbEventStoreOptions {
  /**
   * Bound on every call, and on each wait for the next event of a read (reads ignore the
   * client's deadline). Default 10 s.
   */
  readonly timeoutMs?: number;
  /** Events per page when reading `$all`. Default 1000. */
  readonly pageSize?: number;
  /** Used when the connection string carries none (see connection-string.ts). */
  readonly username?: string;
  readonly password?: string;
}

/**
 * Events are JSON; the schema version has no place of its own in EventStoreDB, so it rides
 * in the event metadata under this key and is taken out again on read.
 */
const SCHEMA_VERSION_KEY = 'schemaVersion';

/** Where a read starts: strictly after a position, or from the very start. */
type ReadFrom = LogPosition | undefined;

interface SubscriptionControl {
  stopped: boolean;
  live?: AllStreamSubscription;
}

/**
 * The EventStoreDB adapter (DESIGN §3), the only code that imports its client. Every call
 * is bounded by `timeoutMs` and surfaces as `EventStoreUnavailableError` when the server
 * does not answer. A timed-out append has an unknown outcome (it may have been written):
 * the expected-revision check makes a blind retry fail rather than write twice.
 *
 * System streams and events (`$`-prefixed) and non-JSON events are not Rotor's and never
 * leave this adapter.
 */
export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  constructor(connectionString: string, options: EsdbEventStoreOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    // At least 2: a page starts with the event it starts from, so it must hold one more.
    this.pageSize = Math.max(2, options.pageSize ?? 1000);
    this.client = EventStoreDBClient.connectionString(
      normalizeConnectionString(connectionString, {
        username: options.username ?? DEFAULT_ESDB_CREDENTIALS.username,
        password: options.password ?? DEFAULT_ESDB_CREDENTIALS.password,
        deadlineMs: this.timeoutMs,
      }),
    );
  }

  async append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    assertAppendable(stream, events, expected);
    this.assertOpen();
    // Serialised here first, so an event with no JSON form fails before anything is sent.
    const payload = events.map((event, index) => {
      const what = `event ${index} (${event.type}) of the batch for ${stream}`;
      if (Object.prototype.hasOwnProperty.call(event.metadata, SCHEMA_VERSION_KEY))
        throw new TypeError(`${what}: metadata.${SCHEMA_VERSION_KEY} is reserved`);
      const metadata = { ...event.metadata, [SCHEMA_VERSION_KEY]: event.version };
      toJsonText(event.data, `the data of ${what}`);
      toJsonText(metadata, `the metadata of ${what}`);
      return jsonEvent({ type: event.type, data: event.data as JSONType, metadata });
    });
    try {
      const result = await withTimeout(
        this.client.appendToStream(stream, payload, {
          expectedRevision: expected === 'no_stream' ? NO_STREAM : BigInt(expected),
          deadline: this.timeoutMs,
        }),
        this.timeoutMs,
        `append to ${stream}`,
      );
      return {
        nextExpectedRevision: Number(result.nextExpectedRevision),
        // Every server this supports (20.6+) reports it; START is the safe fallback for a
        // checkpoint (a replay from the start is idempotent, a skip is not).
        position: result.position ? formatLogPosition(result.position) : START,
      };
    } catch (error) {
      throw toStoreError(error, stream, expected);
    }
  }

  async read(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const from = fromRevisionOf(options);
    this.assertOpen();
    const events: RecordedEvent[] = [];
    try {
      const reads = this.guardedRead(
        () =>
          this.client.readStream(stream, {
            fromRevision: from === 0 ? ESDB_START : BigInt(from),
            direction: FORWARDS,
          }),
        `read ${stream}`,
      );
      for await (const resolved of reads) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof EsdbStreamDeletedError)
        return [];
      throw toStoreError(error, stream);
    }
    return events;
  }

  async *readAll(from: GlobalPosition, filter?: StreamFilter): AsyncIterable<RecordedEvent> {
    assertFilter(filter);
    const start = parseLogPosition(from);
    this.assertOpen();
    for await (const { event } of this.scanAll(start, filter)) if (event) yield event;
  }

  subscribeAll(from: GlobalPosition, options: SubscribeOptions): Subscription {
    assertFilter(options.filter);
    const start = parseLogPosition(from);
    this.assertOpen();
    const control: SubscriptionControl = { stopped: false };
    const finished = this.runSubscription(start, options, control);
    const subscription: Subscription = {
      close: async () => {
        control.stopped = true;
        await this.stopLive(control.live);
        await finished;
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async deleteStream(stream: string): Promise<void> {
    this.assertOpen();
    try {
      // A tombstone, not a soft delete: the name can never be reused, as the port says.
      await withTimeout(
        this.client.tombstoneStream(stream, { deadline: this.timeoutMs }),
        this.timeoutMs,
        `delete ${stream}`,
      );
    } catch (error) {
      if (error instanceof EsdbStreamDeletedError) return;
      throw toStoreError(error, stream);
    }
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const reads = this.guardedRead(
        () => this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }),
        'ping',
      );
      for await (const _ of reads) break;
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.closed = true;
    await withTimeout(this.client.dispose(), this.timeoutMs, 'close').catch(() => undefined);
  }

  /**
   * Catches up by paging through `$all`, then goes live from the last position seen.
   * Paging first makes `onCaughtUp` reliable on every server version (the live
   * subscription's own "caught up" signal needs 23.10+). Positions already delivered are
   * skipped, so the hand-over between the two never delivers an event twice.
   */
  private async runSubscription(
    start: ReadFrom,
    options: SubscribeOptions,
    control: SubscriptionControl,
  ): Promise<void> {
    // Let `subscribeAll` return before the first delivery, whatever the handler does.
    await Promise.resolve();
    let after = start;
    try {
      for await (const { position, event } of this.scanAll(start, options.filter)) {
        if (control.stopped) return;
        if (event) await options.onEvent(event);
        after = position;
      }
      if (control.stopped) return;
      options.onCaughtUp?.();

      const live = this.client.subscribeToAll({
        fromPosition: after ?? ESDB_START,
        resolveLinkTos: false,
        filter: options.filter
          ? streamNameFilter({ prefixes: [...options.filter.streamPrefixes] })
          : excludeSystemEvents(),
      });
      control.live = live;
      // `close` may have run while the subscription was being created.
      if (control.stopped) return await this.stopLive(live);
      for await (const resolved of live) {
        if (control.stopped) return;
        const position = resolved.event?.position;
        if (!position || (after && compareLogPositions(position, after) <= 0)) continue;
        const event = toRecordedEvent(resolved);
        if (event && matchesFilter(event.stream, options.filter)) await options.onEvent(event);
        after = position;
      }
      if (!control.stopped)
        throw new EventStoreUnavailableError('the EventStoreDB subscription ended unexpectedly');
    } catch (error) {
      if (control.stopped) return;
      control.stopped = true;
      await this.stopLive(control.live);
      reportSubscriptionError(options, error);
    }
  }

  private async stopLive(live: AllStreamSubscription | undefined): Promise<void> {
    if (!live) return;
    await withTimeout(live.unsubscribe(), this.timeoutMs, 'unsubscribe').catch(() => undefined);
    // Ends a `for await` still waiting on the stream, whatever the server does.
    live.destroy();
  }

  /**
   * Every event of `$all` strictly after `start`, a page at a time, with its position (so
   * a subscription's cursor moves past events the filter drops). A page starts AT its
   * `fromPosition`, hence the skip of positions already seen.
   */
  private async *scanAll(
    start: ReadFrom,
    filter: StreamFilter | undefined,
  ): AsyncGenerator<{ position: LogPosition; event?: RecordedEvent }> {
    let after = start;
    for (;;) {
      let seen = 0;
      let progressed = false;
      const from = after;
      const page = this.guardedRead(
        () =>
          this.client.readAll({
            fromPosition: from ?? ESDB_START,
            maxCount: this.pageSize,
            direction: FORWARDS,
            resolveLinkTos: false,
          }),
        'read $all',
      );
      for await (const resolved of page) {
        seen += 1;
        const position = resolved.event?.position;
        if (!position || (after && compareLogPositions(position, after) <= 0)) continue;
        after = position;
        progressed = true;
        const event = toRecordedEvent(resolved);
        yield { position, event: event && matchesFilter(event.stream, filter) ? event : undefined };
      }
      if (seen < this.pageSize || !progressed) return;
    }
  }

  /**
   * A read whose every step is bounded: the client gives reads no deadline, and a server
   * that stops answering would otherwise leave `for await` waiting for ever. Leaving early
   * (timeout, error, consumer done) cancels the call on the server.
   */
  private async *guardedRead<E>(open: () => StreamingRead<E>, what: string): AsyncGenerator<E> {
    const read = open();
    const iterator = read[Symbol.asyncIterator]();
    let complete = false;
    try {
      for (;;) {
        const next = await withTimeout(iterator.next(), this.timeoutMs, what);
        if (next.done) {
          complete = true;
          return;
        }
        yield next.value;
      }
    } finally {
      if (!complete) {
        void read.cancel().catch(() => undefined);
        read.destroy();
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
  }
}

function toRecordedEvent(
  resolved: ResolvedEvent | AllStreamResolvedEvent,
): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || !event.isJson || event.streamId.startsWith('$') || event.type.startsWith('$'))
    return undefined;
  const stored = isRecord(event.metadata) ? event.metadata : {};
  const { [SCHEMA_VERSION_KEY]: version, ...metadata } = stored;
  return {
    stream: event.streamId,
    revision: Number(event.revision),
    // Servers before 22.6 give no $all position on stream reads.
    position: event.position ? formatLogPosition(event.position) : START,
    type: event.type,
    // Events written by other tools carry no version: they are read as the first one.
    version: typeof version === 'number' ? version : 1,
    data: event.data,
    metadata: metadata as EventMetadata,
    recordedAt: event.created.toISOString(),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !(value instanceof Uint8Array);

function toStoreError(error: unknown, stream?: string, expected?: ExpectedRevision): unknown {
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualVersion;
    return new WrongExpectedRevisionError(
      stream ?? error.streamName,
      expected ?? 'no_stream',
      typeof actual === 'bigint' ? Number(actual) : 'no_stream',
    );
  }
  if (error instanceof EsdbStreamDeletedError)
    return new StreamDeletedError(stream ?? error.streamName);
  if (error instanceof AccessDeniedError)
    return new EventStoreUnavailableError(
      'EventStoreDB denied access: check the credentials in the connection string',
      { cause: error },
    );
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError ||
    error instanceof CancelledError
  )
    return new EventStoreUnavailableError(`EventStoreDB: ${error.message}`, { cause: error });
  return error;
}
