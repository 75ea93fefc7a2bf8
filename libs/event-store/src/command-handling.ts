import { chainEvents, GENESIS_HASH } from './audit/hash-chain';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type GlobalPosition,
  type RecordedEvent,
} from './event-store.port';

/**
 * The command-handling loop (DESIGN §3, §4): read the stream, fold it, decide, chain the
 * hashes, append expecting the revision just read. A concurrent writer makes the append
 * fail; then the whole decision is made again on fresh state (the rule that allowed the
 * first decision may refuse the second), up to `maxAttempts` times. Generic over the
 * decider, free of Nest, so every service and test drives it the same way.
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
  /** Stamps `occurredAt`; injected so tests control time. */
  readonly now: () => Date;
  /** Attempts in all, the first included. Default 5. */
  readonly maxAttempts?: number;
}

export interface CommandHandled<State, Event> {
  /** The events appended: [] when the decision was to do nothing. A copy, the caller's own. */
  readonly events: Event[];
  /** The state after those events. */
  readonly state: State;
  /** The stream's revision after this command ('no_stream' if it still does not exist). */
  readonly nextExpectedRevision: ExpectedRevision;
  /** Where the append landed in the global feed; absent when nothing was appended. */
  readonly position?: GlobalPosition;
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
 * Returns what happened, or the rejection `decide` returned (nothing appended). Throws
 * `ConcurrencyConflictError` when every attempt lost a race, and any store error as is.
 */
export async function handleCommand<State, Event, Rejection>(
  options: HandleCommandOptions<State, Event, Rejection>,
): Promise<CommandHandled<State, Event> | Rejection> {
  const { store, stream, decide, evolve, initialState, upcast, toStored, metadata, now } = options;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);

  let lastConflict: WrongExpectedRevisionError | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const recorded = await store.read(stream);
    const state = recorded.map(upcast).reduce(evolve, initialState());
    const decision = decide(state);
    if (!isEventList(decision)) return decision;

    const last = recorded.at(-1);
    const readRevision: ExpectedRevision = last ? last.revision : 'no_stream';
    if (decision.length === 0) return { events: [], state, nextExpectedRevision: readRevision };

    const occurredAt = now().toISOString();
    const toAppend = chainEvents(
      stream,
      last ? last.revision + 1 : 0,
      last ? last.metadata.hash : GENESIS_HASH,
      decision.map((event) => ({ ...toStored(event), metadata: { ...metadata, occurredAt } })),
    );
    try {
      const appended = await store.append(stream, toAppend, readRevision);
      return {
        events: [...decision],
        state: decision.reduce(evolve, state),
        nextExpectedRevision: appended.nextExpectedRevision,
        position: appended.position,
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      lastConflict = error;
    }
  }
  throw new ConcurrencyConflictError(stream, maxAttempts, { cause: lastConflict });
}

// `Array.isArray` does not narrow a readonly array out of a union; this does.
const isEventList = <Event>(decision: unknown): decision is readonly Event[] =>
  Array.isArray(decision);
