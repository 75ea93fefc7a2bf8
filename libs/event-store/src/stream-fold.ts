import type { RecordedEvent } from './event-store.port';
import {
  indexExecution,
  pruneExecutions,
  type ExecutionIndex,
  type RecordedExecution,
} from './idempotency';

/**
 * A stream folded up to a revision: the decider's state, the index of its recent
 * idempotent executions, and its last event (the revision to expect and the hash to chain
 * from). What the command loop decides on, and what `StreamFoldCache` keeps between
 * commands. Never mutated once built: each command folds into a copy.
 */
export interface StreamFold<State, Event> {
  readonly state: State;
  readonly executions: ReadonlyMap<string, RecordedExecution<Event>>;
  /** The last event folded; undefined while the stream does not exist. */
  readonly head: RecordedEvent | undefined;
}

export interface Folding<State, Event> {
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
  readonly upcast: (recorded: RecordedEvent) => Event;
}

export const emptyFold = <State, Event>(
  folding: Folding<State, Event>,
): StreamFold<State, Event> => ({
  state: folding.initialState(),
  executions: new Map(),
  head: undefined,
});

/**
 * `from` with `recorded` (the events after `from.head`, in order) folded in, executions out
 * of the window at `now` pruned. `from` is left as it was. O(recorded + executions in the
 * window), whatever the stream's length.
 */
export function foldStream<State, Event>(
  folding: Folding<State, Event>,
  from: StreamFold<State, Event>,
  recorded: readonly RecordedEvent[],
  now: Date,
): StreamFold<State, Event> {
  const executions: ExecutionIndex<Event> = new Map(from.executions);
  let state = from.state;
  for (const event of recorded) {
    const upcast = folding.upcast(event);
    state = folding.evolve(state, upcast);
    indexExecution(executions, event, upcast);
  }
  pruneExecutions(executions, now);
  return { state, executions, head: recorded.at(-1) ?? from.head };
}

/**
 * True when `recorded` continues `from` exactly: the next revisions, none skipped, the
 * first chained to the fold's head (a read of the tail alone cannot check that link, and
 * an audit-guarded store verifies the rest: trusted-history.ts).
 */
export const continues = (
  from: StreamFold<unknown, unknown>,
  recorded: readonly RecordedEvent[],
): boolean => {
  const first = from.head ? from.head.revision + 1 : 0;
  if (from.head && recorded.length > 0 && recorded[0].metadata.prevHash !== from.head.metadata.hash)
    return false;
  return recorded.every((event, index) => event.revision === first + index);
};

/**
 * The folds of recently used streams, least recently used evicted. Safe because a command
 * still appends expecting the cached revision: if anyone else wrote the stream since, the
 * events after it are read first, and a conflict makes the command reload from scratch.
 * Per process, per decider.
 */
export class StreamFoldCache<State, Event> {
  private readonly folds = new Map<string, StreamFold<State, Event>>();

  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get(stream: string): StreamFold<State, Event> | undefined {
    const fold = this.folds.get(stream);
    if (fold) {
      // Re-inserted so the Map's order stays least recently used first.
      this.folds.delete(stream);
      this.folds.set(stream, fold);
    }
    return fold;
  }

  set(stream: string, fold: StreamFold<State, Event>): void {
    this.folds.delete(stream);
    this.folds.set(stream, fold);
    if (this.folds.size > this.capacity) {
      const oldest = this.folds.keys().next().value;
      if (oldest !== undefined) this.folds.delete(oldest);
    }
  }

  delete(stream: string): void {
    this.folds.delete(stream);
  }

  get size(): number {
    return this.folds.size;
  }
}
