import { fingerprintOf } from '@rotor/crypto';
import { ENDPOINT_STREAM_CATEGORY } from '@rotor/domain';
import { SqliteEventStore, START, type RecordedEvent } from '@rotor/event-store';
import type { Operation, OperationKind } from './rest-load';

/**
 * What the store says about the load the clients sent, against what they were answered.
 * Pure functions over the recorded operations and the events: the store is opened read-only
 * and only through the event-store adapter.
 */
const ENDPOINT_PREFIX = `${ENDPOINT_STREAM_CATEGORY}-`;

/** The event each kind of command appends exactly once when it executes. */
const EXECUTION_EVENT: Readonly<Record<OperationKind, string>> = {
  register: 'EndpointRegistered',
  rotate: 'SecretRotated',
};

export interface Duplicate {
  readonly kind: OperationKind;
  readonly idempotencyKey: string;
  readonly executions: number;
  readonly acknowledged: boolean;
}

export interface StoreReport {
  readonly operations: number;
  readonly acknowledged: number;
  /** No final answer within the bounds (attempts, time). */
  readonly unanswered: number;
  /** Acknowledged (2xx) but the key the answer names is not in the endpoint's stream. */
  readonly lost: string[];
  /** Idempotency keys that executed more than once. */
  readonly duplicated: Duplicate[];
  /** Acknowledged, and its key id is stored, but no event carries its Idempotency-Key. */
  readonly untraceable: string[];
  /** The secret of an answer does not match the fingerprint of its stored key. */
  readonly fingerprintMismatches: string[];
  /** A stream whose revisions are not 0, 1, 2, ... in feed order. */
  readonly revisionGaps: string[];
  /** Executed (in the store) but never acknowledged to its client. */
  readonly executedUnacknowledged: number;
  readonly events: number;
}

/** Every event of the store, through a read-only connection. */
export async function readFeed(sqlitePath: string): Promise<RecordedEvent[]> {
  const store = new SqliteEventStore(sqlitePath, { readOnly: true });
  try {
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll(START)) events.push(event);
    return events;
  } finally {
    await store.close();
  }
}

interface StoredKey {
  readonly keyId?: string;
  readonly fingerprint?: string;
}
const keyOf = (event: RecordedEvent): StoredKey =>
  ((event.data as { key?: StoredKey } | null)?.key ?? {}) as StoredKey;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Does this event's metadata carry the key (however it is nested or scoped)? */
const carries = (event: RecordedEvent, idempotencyKey: string): boolean =>
  JSON.stringify(event.metadata).includes(idempotencyKey);

export function checkStore(
  events: readonly RecordedEvent[],
  operations: readonly Operation[],
): StoreReport {
  const byStream = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const list = byStream.get(event.stream) ?? [];
    list.push(event);
    byStream.set(event.stream, list);
  }
  const revisionGaps: string[] = [];
  for (const [stream, list] of byStream)
    list.forEach((event, index) => {
      if (event.revision !== index && revisionGaps.at(-1)?.startsWith(stream) !== true)
        revisionGaps.push(`${stream}: revision ${event.revision} at index ${index}`);
    });

  // Idempotency key -> the events that record an execution of it.
  const executionsOf = new Map<string, RecordedEvent[]>();
  const keys = new Set(operations.map((op) => op.idempotencyKey));
  for (const event of events) {
    if (!event.stream.startsWith(ENDPOINT_PREFIX)) continue;
    if (event.type !== 'EndpointRegistered' && event.type !== 'SecretRotated') continue;
    // The metadata names at most one key: find it among those the clients sent (UUIDs).
    const key = JSON.stringify(event.metadata)
      .match(UUID)
      ?.find((candidate) => keys.has(candidate));
    if (key === undefined) continue;
    executionsOf.set(key, [...(executionsOf.get(key) ?? []), event]);
  }

  const lost: string[] = [];
  const untraceable: string[] = [];
  const fingerprintMismatches: string[] = [];
  const duplicated: Duplicate[] = [];
  let executedUnacknowledged = 0;
  for (const op of operations) {
    const acknowledged = op.final !== undefined && op.final.status < 300;
    const executions = (executionsOf.get(op.idempotencyKey) ?? []).filter(
      (event) => event.type === EXECUTION_EVENT[op.kind] && carries(event, op.idempotencyKey),
    );
    if (executions.length > 1)
      duplicated.push({
        kind: op.kind,
        idempotencyKey: op.idempotencyKey,
        executions: executions.length,
        acknowledged,
      });
    if (!acknowledged) {
      if (executions.length > 0) executedUnacknowledged += 1;
      continue;
    }
    const body = op.final!.body ?? {};
    const endpointId = String(body.id ?? op.endpointId);
    const keyId = String(body.key_id);
    const stored = (byStream.get(`${ENDPOINT_PREFIX}${endpointId}`) ?? []).find(
      (event) => event.type === EXECUTION_EVENT[op.kind] && keyOf(event).keyId === keyId,
    );
    const what = `${op.kind} ${op.idempotencyKey} (${endpointId}, ${keyId})`;
    if (!stored) {
      lost.push(what);
      continue;
    }
    if (!carries(stored, op.idempotencyKey)) untraceable.push(what);
    if (typeof body.secret !== 'string' || keyOf(stored).fingerprint !== fingerprintOf(body.secret))
      fingerprintMismatches.push(what);
  }

  return {
    operations: operations.length,
    acknowledged: operations.filter((op) => op.final && op.final.status < 300).length,
    unanswered: operations.filter((op) => op.final === undefined).length,
    lost,
    duplicated,
    untraceable,
    fingerprintMismatches,
    revisionGaps,
    executedUnacknowledged,
    events: events.length,
  };
}

/**
 * Grace periods still open after they should have ended (plus `slackMs`): the expiry
 * service's work not done. A rotation opens one for its previous key; a
 * PreviousSecretExpired of that key closes it.
 */
export function overdueGracePeriods(
  events: readonly RecordedEvent[],
  now: number,
  slackMs: number,
): string[] {
  const open = new Map<string, { stream: string; expiresAt: number }>();
  for (const event of events) {
    if (!event.stream.startsWith(ENDPOINT_PREFIX)) continue;
    const data = event.data as {
      previousKeyId?: string;
      previousKeyExpiresAt?: string;
      keyId?: string;
    };
    if (event.type === 'SecretRotated' && data.previousKeyId && data.previousKeyExpiresAt)
      open.set(data.previousKeyId, {
        stream: event.stream,
        expiresAt: Date.parse(data.previousKeyExpiresAt),
      });
    else if (event.type === 'PreviousSecretExpired' && data.keyId) open.delete(data.keyId);
    else if (event.type === 'EndpointDeleted')
      for (const [keyId, entry] of open) if (entry.stream === event.stream) open.delete(keyId);
  }
  return [...open]
    .filter(([, { expiresAt }]) => expiresAt + slackMs < now)
    .map(([keyId, { stream }]) => `${stream} ${keyId}`);
}

/** The id of the newest key an endpoint's stream holds. */
export function newestKeyIdOf(events: readonly RecordedEvent[]): string | undefined {
  let newest: string | undefined;
  for (const event of events)
    if (event.type === 'EndpointRegistered' || event.type === 'SecretRotated')
      newest = keyOf(event).keyId ?? newest;
  return newest;
}
