/**
 * The event store port (DESIGN §3). Adapters: `sqlite/` (embedded default) and `esdb/`
 * (EventStoreDB). Every adapter passes the one contract suite in `testing/`.
 */

/** Revisions are 0-based per stream: the first event of a stream is revision 0. */
export type ExpectedRevision = 'no_stream' | number;

export interface EventToAppend {
  readonly type: string;
  /** Schema version of `data` (see the domain's upcasters). */
  readonly version: number;
  readonly data: unknown;
  /** actor, requestId, idempotencyKey?, occurredAt, prevHash, hash (DESIGN §1, §6). */
  readonly metadata: EventMetadata;
}

export interface EventMetadata {
  readonly actor: string;
  readonly requestId: string;
  readonly idempotencyKey?: string;
  /** RFC 3339. */
  readonly occurredAt: string;
  readonly prevHash: string;
  readonly hash: string;
  /** 2 for a signed chain (audit/hash-chain.ts); absent on v1 (legacy, unsigned) events. */
  readonly chain?: number;
  /** v2: the id of the audit key that signed. */
  readonly auditKey?: string;
  /** v2: base64 Ed25519 signature of the hash. */
  readonly sig?: string;
  readonly [extra: string]: unknown;
}

/**
 * A position in the global feed, opaque outside the adapter that made it: a string, so it
 * can be stored as a checkpoint anywhere. Feed a position back to `readAll`/`subscribeAll`
 * to continue strictly after it.
 */
export type GlobalPosition = string;
export const START: GlobalPosition = 'start';

export interface RecordedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: GlobalPosition;
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  /** RFC 3339, as stamped by the store. */
  readonly recordedAt: string;
}

export interface AppendResult {
  /** The revision of the last event written. */
  readonly nextExpectedRevision: number;
  readonly position: GlobalPosition;
}

/** Only streams whose name starts with one of these prefixes (e.g. `webhookEndpoint-`). */
export interface StreamFilter {
  readonly streamPrefixes: readonly string[];
}

export interface Subscription {
  /** Resolves once the subscription has stopped and its handler is no longer running. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  readonly filter?: StreamFilter;
  /**
   * Called once per event, in global order, strictly after `from`. The next event is not
   * delivered until the returned promise settles; a rejection stops the subscription and
   * is reported to `onError`.
   */
  readonly onEvent: (event: RecordedEvent) => Promise<void> | void;
  /** Called once when the subscription has delivered every event that existed when it started. */
  readonly onCaughtUp?: () => void;
  readonly onError?: (error: Error) => void;
  /**
   * For a subscriber that needs the feed only now and then (the audit anchor writer): it
   * may hear of an event up to this many ms late. The embedded store then does not wake it
   * on each append but lets events gather, and hands them over in pages, yielding to the
   * event loop between small batches so that requests are answered meanwhile. Without it,
   * events arrive as soon as the adapter can deliver them.
   */
  readonly background?: { readonly maxLagMs: number };
  /**
   * Called in place of `onEvent` for an event the audit guard refused (a store verified
   * with the audit key, audit/guarded-event-store.ts): the subscriber fails closed, e.g.
   * stops trusting what it built from that stream. Plain adapters never call it.
   */
  readonly onRefused?: (refused: {
    readonly stream: string;
    readonly revision: number;
    readonly message: string;
  }) => Promise<void> | void;
}

export interface ReadStreamOptions {
  /** The first revision to return: a non-negative integer. */
  readonly fromRevision?: number;
}

/** Throws a `RangeError` for a `fromRevision` that is not a non-negative safe integer. */
export const fromRevisionOf = (options: ReadStreamOptions | undefined): number => {
  const from = options?.fromRevision ?? 0;
  if (!Number.isSafeInteger(from) || from < 0)
    throw new RangeError(`fromRevision must be a non-negative integer, got ${from}`);
  return from;
};

export interface EventStore {
  /**
   * Appends atomically: all of `events` or none. Throws `WrongExpectedRevisionError`
   * when the stream is not at `expected` ('no_stream': the stream must not exist),
   * `StreamDeletedError` when it was deleted, a `TypeError` when an event cannot be stored
   * as JSON, and a `RangeError` for an empty batch (there is nothing to check it against).
   * On EventStoreDB the returned position may point at the batch's first event rather
   * than its last: wait for "at least this position", do not resume strictly after it.
   */
  append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult>;
  /**
   * The stream in revision order, from `fromRevision` on (default 0: the whole stream);
   * [] when it does not exist or has nothing at or after `fromRevision`. Lets a caller that
   * keeps a folded state read only what was appended since (command handling's cache).
   */
  read(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The global feed strictly after `from`, in order, ending at the current end. */
  readAll(from: GlobalPosition, filter?: StreamFilter): AsyncIterable<RecordedEvent>;
  /**
   * Optional: every event up to the current end, stream after stream, each stream's events
   * together and in revision order (the streams in an order of the adapter's choosing).
   * Lets a whole-store pass that works stream by stream (`audit verify`, `projections
   * rebuild`) hold one stream's state at a time instead of every stream's. Where absent,
   * such a pass reads the global feed and keeps a state per stream.
   */
  readAllByStream?(filter?: StreamFilter): AsyncIterable<RecordedEvent>;
  /** Catch-up subscription: everything after `from`, then live events, each exactly once. */
  subscribeAll(from: GlobalPosition, options: SubscribeOptions): Subscription;
  /**
   * Removes a stream for good (crypto-shredding of data keys). Other streams, and the
   * global positions of their events, are unaffected. The name stays tombstoned: a later
   * append to it throws `StreamDeletedError` (EventStoreDB cannot do otherwise, so the
   * embedded store does the same). Deleting a missing or deleted stream is not an error.
   * EventStoreDB keeps the deleted events in `readAll` until the next scavenge.
   */
  deleteStream(stream: string): Promise<void>;
  /** True when the store answers: for health checks. */
  ping(): Promise<boolean>;
  /**
   * Readiness of a writer: resolves when a write could start now (the write lock can be
   * taken, the file is writable and not full), without writing anything; throws the
   * error a write would get. Optional: where absent, health falls back to `ping`.
   */
  checkWritable?(): Promise<void>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  readonly code = 'wrong_expected_revision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: ExpectedRevision,
  ) {
    super(`stream ${stream}: expected revision ${expected}, found ${actual}`);
  }
}

/** The store did not answer in time, or refused: the caller may retry later. */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  readonly code = 'event_store_unavailable';
}

/** The stream was deleted (`deleteStream`): it can never be written again. */
export class StreamDeletedError extends Error {
  override readonly name = 'StreamDeletedError';
  readonly code = 'stream_deleted';
  constructor(readonly stream: string) {
    super(`stream ${stream} was deleted`);
  }
}
