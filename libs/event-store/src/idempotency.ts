import { createHash } from 'node:crypto';
import { canonicalJson } from './audit/canonical-json';
import type { RecordedEvent } from './event-store.port';

/**
 * Idempotency of commands (DESIGN §1): a command carrying an idempotency key executes at
 * most once per (actor, key) within 24 h, atomically with its append. Nothing is stored
 * beside the events: each event of an execution carries `idempotencyKey` and
 * `requestDigest` in its metadata, and the command loop folds the stream's recent
 * executions into an index next to the domain state. The append expects the revision the
 * index was folded from, so of two concurrent executions of one key only one lands; the
 * other re-reads, finds it, and replays it.
 */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * SHA-256 hex of the canonical JSON of what the key stands for. The caller passes the
 * request without what changes between two sends of the same request (its request id).
 */
export const requestDigestOf = (request: unknown): string =>
  createHash('sha256').update(canonicalJson(request), 'utf8').digest('hex');

/** One event of an execution, as recorded: where it sits, and what it says (upcast). */
export interface ExecutedEvent<Event> {
  readonly revision: number;
  readonly event: Event;
}

/** What one command with an idempotency key appended. */
export interface RecordedExecution<Event> {
  readonly actor: string;
  readonly idempotencyKey: string;
  readonly requestDigest: string;
  readonly requestId: string;
  /** RFC 3339, from the events' metadata: the window runs from here. */
  readonly occurredAt: string;
  readonly events: readonly ExecutedEvent<Event>[];
}

/**
 * (actor, key) -> its execution, in the order executions first appeared. Owned by one fold:
 * `indexExecution` mutates it, so a fold that starts from a cached one copies it first.
 */
export type ExecutionIndex<Event> = Map<string, RecordedExecution<Event>>;

/** An unambiguous pair: no choice of actor and key makes two scopes collide. */
export const executionScope = (actor: string, idempotencyKey: string): string =>
  JSON.stringify([actor, idempotencyKey]);

/**
 * Folds one recorded event into the index. Events of one append share their request id
 * and `occurredAt` and are contiguous: they extend the execution they follow. A later
 * execution under the same scope replaces an earlier one only once the earlier one is out
 * of the window (within it, this code never writes a second one; the first is the answer).
 * Events written without a digest (before idempotency moved here) are not indexed.
 */
export function indexExecution<Event>(
  index: ExecutionIndex<Event>,
  recorded: RecordedEvent,
  event: Event,
): void {
  const { actor, idempotencyKey, requestDigest, requestId, occurredAt } = recorded.metadata;
  if (typeof idempotencyKey !== 'string' || typeof requestDigest !== 'string') return;
  const scope = executionScope(actor, idempotencyKey);
  const existing = index.get(scope);
  const executed = { revision: recorded.revision, event };
  if (existing) {
    const last = existing.events[existing.events.length - 1];
    if (
      last.revision === recorded.revision - 1 &&
      existing.requestId === requestId &&
      existing.occurredAt === occurredAt &&
      existing.requestDigest === requestDigest
    ) {
      // Replaced, not mutated: a cached index shares its executions with this one.
      index.set(scope, { ...existing, events: [...existing.events, executed] });
      return;
    }
    if (Date.parse(occurredAt) - Date.parse(existing.occurredAt) < IDEMPOTENCY_WINDOW_MS) return;
    index.delete(scope); // so the insertion order stays the order of first appearance
  }
  index.set(scope, {
    actor,
    idempotencyKey,
    requestDigest,
    requestId,
    occurredAt,
    events: [executed],
  });
}

/** True while an execution still answers for its key at `now`. */
export const isWithinWindow = (execution: RecordedExecution<unknown>, now: Date): boolean =>
  now.getTime() - Date.parse(execution.occurredAt) < IDEMPOTENCY_WINDOW_MS;

/**
 * Drops executions out of the window at `now`, oldest first, so a cached index holds about
 * one day of keyed commands whatever the stream's length. Insertion order is close to time
 * order; an entry left behind by a skewed clock is harmless (lookups check the window too).
 */
export function pruneExecutions<Event>(index: ExecutionIndex<Event>, now: Date): void {
  for (const [scope, execution] of index) {
    if (isWithinWindow(execution, now)) return;
    index.delete(scope);
  }
}

/** The same idempotency key, scoped to the same actor, was used for another request: 422. */
export class IdempotencyKeyReused {
  readonly kind = 'IdempotencyKeyReused' as const;
  readonly code = 'idempotency_key_reused' as const;
  readonly message = 'this idempotency key was used for a different request; use a new key';
  constructor(readonly execution: RecordedExecution<unknown>) {}
}

export const isIdempotencyKeyReused = (value: unknown): value is IdempotencyKeyReused =>
  value instanceof IdempotencyKeyReused;
