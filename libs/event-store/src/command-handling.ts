import type { AuditSigner } from './audit/audit-key';
import { chainEvents, GENESIS_HASH } from './audit/hash-chain';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type GlobalPosition,
  type RecordedEvent,
} from './event-store.port';
import {
  executionScope,
  IdempotencyKeyReused,
  isWithinWindow,
  requestDigestOf,
  type RecordedExecution,
} from './idempotency';
import {
  continues,
  emptyFold,
  foldStream,
  type StreamFold,
  type StreamFoldCache,
} from './stream-fold';

/**
 * The command-handling loop (DESIGN §3, §4): read the stream, fold it, decide, chain the
 * hashes, append expecting the revision just read. A concurrent writer makes the append
 * fail; then the whole decision is made again on fresh state (the rule that allowed the
 * first decision may refuse the second), up to `maxAttempts` times. Generic over the
 * decider, free of Nest, so every service and test drives it the same way.
 *
 * Idempotency (DESIGN §1) is decided here, on the same fold and so atomically with the
 * append: a command whose (actor, idempotency key) already executed within 24 h is not
 * decided again but replayed (same request) or refused (another request); see
 * idempotency.ts. With a `cache`, the fold of a recently used stream is kept and only the
 * events after it are read: a command costs the same at any stream length.
 */
export interface StoredShape {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
}

/** Who asked, written into every event's metadata (DESIGN §1). */
export interface RequestMetadata {
  readonly actor: string;
  readonly requestId: string;
  readonly idempotencyKey?: string;
}

export interface HandleCommandOptions<State, Event, Rejection> {
  readonly store: EventStore;
  readonly stream: string;
  /**
   * The decision on the current state: the events to append (possibly none), or a
   * rejection (anything but an array, e.g. a `DomainError`). Called again on each retry.
   */
  readonly decide: (state: State) => readonly Event[] | Rejection;
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
  /** Reads a stored event as the current event shape (the domain's upcaster). */
  readonly upcast: (recorded: RecordedEvent) => Event;
  /** How an event is stored: its type, schema version and data. */
  readonly toStored: (event: Event) => StoredShape;
  readonly metadata: RequestMetadata;
  /**
   * What `metadata.idempotencyKey` stands for, required with one: the command's request
   * without what differs between two sends of it (its request id, anything time-dependent).
   * Its digest tells a retry (replayed) from another request under the same key (refused).
   */
  readonly request?: unknown;
  /** Stamps `occurredAt` and is the clock of the 24 h window; injected so tests control time. */
  readonly now: () => Date;
  /** Signs the chain (v2, DESIGN §6); without it events are written unsigned (v1). */
  readonly signer?: AuditSigner;
  /** Attempts in all, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** The folds of recently used streams, for this decider: see `StreamFoldCache`. */
  readonly cache?: StreamFoldCache<State, Event>;
}

export interface CommandHandled<State, Event> {
  readonly replayed: false;
  /** The events appended: [] when the decision was to do nothing. A copy, the caller's own. */
  readonly events: Event[];
  /** The state after those events. */
  readonly state: State;
  /** The stream's revision after this command ('no_stream' if it still does not exist). */
  readonly nextExpectedRevision: ExpectedRevision;
  /** Where the append landed in the global feed; absent when nothing was appended. */
  readonly position?: GlobalPosition;
}

/** The command had already executed: nothing was appended, here is what the first one did. */
export interface CommandReplayed<State, Event> {
  readonly replayed: true;
  /** The events the first execution appended, as recorded (upcast). */
  readonly events: Event[];
  /** The first execution: its events with their revisions, its request id and time. */
  readonly execution: RecordedExecution<Event>;
  /** The state now (the stream may have moved on since the first execution). */
  readonly state: State;
  readonly nextExpectedRevision: ExpectedRevision;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/** The stream kept changing under us: the edge answers 409 (the client may retry). */
export class ConcurrencyConflictError extends Error {
  override readonly name = 'ConcurrencyConflictError';
  readonly code = 'concurrency_conflict';
  constructor(
    readonly stream: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`stream ${stream} changed concurrently on each of ${attempts} attempts`, options);
  }
}

/**
 * Returns what happened (appended, or replayed), the rejection `decide` returned, or
 * `IdempotencyKeyReused` (nothing appended for either). Throws `ConcurrencyConflictError`
 * when every attempt lost a race, and any store error as is.
 */
export async function handleCommand<State, Event, Rejection>(
  options: HandleCommandOptions<State, Event, Rejection>,
): Promise<
  CommandHandled<State, Event> | CommandReplayed<State, Event> | Rejection | IdempotencyKeyReused
> {
  const { store, stream, toStored, metadata, now, cache } = options;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const idempotency = idempotencyOf(options);

  let lastConflict: WrongExpectedRevisionError | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const at = now();
    // After a conflict, from scratch: whatever the cache held, the store has moved on.
    const cached = attempt === 1 ? cache?.get(stream) : undefined;
    let fold = cached ?? (await load(options, undefined, at));
    let verdict = judge(options, idempotency, fold, at);
    // A cached fold is decided on without reading the stream: the append expects its
    // revision, so a stale fold conflicts and the command is decided again on a fresh read.
    // An answer that appends nothing (a rejection, a replay, nothing to do) has no such
    // check, so it is only ever given on a fold just read.
    if (cached && (verdict.kind !== 'append' || verdict.events.length === 0)) {
      fold = await load(options, cached, at);
      verdict = judge(options, idempotency, fold, at);
    }
    cache?.set(stream, fold);
    const readRevision: ExpectedRevision = fold.head ? fold.head.revision : 'no_stream';

    if (verdict.kind === 'reused') return new IdempotencyKeyReused(verdict.earlier);
    if (verdict.kind === 'replay')
      return {
        replayed: true,
        events: verdict.earlier.events.map((executed) => executed.event),
        execution: verdict.earlier,
        state: fold.state,
        nextExpectedRevision: readRevision,
      };
    if (verdict.kind === 'rejected') return verdict.rejection;
    const decision = verdict.events;
    if (decision.length === 0)
      return { replayed: false, events: [], state: fold.state, nextExpectedRevision: readRevision };

    const occurredAt = now().toISOString();
    const toAppend = chainEvents(
      stream,
      fold.head ? fold.head.revision + 1 : 0,
      fold.head ? fold.head.metadata.hash : GENESIS_HASH,
      decision.map((event) => ({
        ...toStored(event),
        metadata: {
          ...metadata,
          ...(idempotency ? { requestDigest: idempotency.requestDigest } : {}),
          occurredAt,
        },
      })),
      options.signer,
    );
    let appended;
    try {
      appended = await store.append(stream, toAppend, readRevision);
    } catch (error) {
      // Whether the append landed is unknown (or known to be stale): read again next time.
      cache?.delete(stream);
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      lastConflict = error;
      continue;
    }
    // The events as a read would return them (JSON round trip included), folded the same
    // way: the cached fold is exactly the fold of the stream.
    const written: RecordedEvent[] = toAppend.map((event, index) => ({
      stream,
      revision: (fold.head ? fold.head.revision + 1 : 0) + index,
      position: appended.position,
      type: event.type,
      version: event.version,
      data: JSON.parse(JSON.stringify(event.data)) as unknown,
      metadata: event.metadata,
      recordedAt: occurredAt,
    }));
    const after = foldStream(options, fold, written, at);
    cache?.set(stream, after);
    return {
      replayed: false,
      events: [...decision],
      state: after.state,
      nextExpectedRevision: appended.nextExpectedRevision,
      position: appended.position,
    };
  }
  throw new ConcurrencyConflictError(stream, maxAttempts, { cause: lastConflict });
}

type Verdict<Event, Rejection> =
  | { readonly kind: 'append'; readonly events: readonly Event[] }
  | { readonly kind: 'rejected'; readonly rejection: Rejection }
  | { readonly kind: 'replay'; readonly earlier: RecordedExecution<Event> }
  | { readonly kind: 'reused'; readonly earlier: RecordedExecution<Event> };

/** What the command comes to on `fold`: an earlier execution answers it, or `decide` does. */
function judge<State, Event, Rejection>(
  options: HandleCommandOptions<State, Event, Rejection>,
  idempotency: { scope: string; requestDigest: string } | undefined,
  fold: StreamFold<State, Event>,
  at: Date,
): Verdict<Event, Rejection> {
  if (idempotency) {
    const earlier = fold.executions.get(idempotency.scope);
    if (earlier && isWithinWindow(earlier, at))
      return earlier.requestDigest === idempotency.requestDigest
        ? { kind: 'replay', earlier }
        : { kind: 'reused', earlier };
  }
  const decision = options.decide(fold.state);
  return isEventList<Event>(decision)
    ? { kind: 'append', events: decision }
    : { kind: 'rejected', rejection: decision };
}

const idempotencyOf = (
  options: Pick<HandleCommandOptions<unknown, unknown, unknown>, 'metadata' | 'request'>,
): { scope: string; requestDigest: string } | undefined => {
  const { actor, idempotencyKey } = options.metadata;
  if (idempotencyKey === undefined) return undefined;
  if (options.request === undefined)
    throw new TypeError('a command with an idempotency key needs the request it stands for');
  return {
    scope: executionScope(actor, idempotencyKey),
    requestDigest: requestDigestOf(options.request),
  };
};

/**
 * The stream's fold: the cached one with the events after it, or, when there is none or
 * the tail does not continue it (a stream rewritten under us), the whole stream.
 */
async function load<State, Event>(
  options: HandleCommandOptions<State, Event, unknown>,
  cached: StreamFold<State, Event> | undefined,
  now: Date,
): Promise<StreamFold<State, Event>> {
  const { store, stream } = options;
  if (cached) {
    const tail = await store.read(stream, {
      fromRevision: cached.head ? cached.head.revision + 1 : 0,
    });
    if (continues(cached, tail)) return foldStream(options, cached, tail, now);
  }
  const all = await store.read(stream);
  return foldStream(options, emptyFold(options), all, now);
}

// `Array.isArray` does not narrow a readonly array out of a union; this does.
const isEventList = <Event>(decision: unknown): decision is readonly Event[] =>
  Array.isArray(decision);
