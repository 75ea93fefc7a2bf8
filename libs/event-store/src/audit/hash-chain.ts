import { createHash } from 'node:crypto';
import type { EventToAppend } from '../event-store.port';
import { canonicalJson } from './canonical-json';

/**
 * The audit hash chain (DESIGN §6). Each event's metadata carries `prevHash` (the hash of
 * the event before it in the same stream) and `hash` = SHA-256 hex of the canonical JSON
 * of `{ stream, revision, type, version, data, metadata }`, where `metadata` is
 * everything but `hash` itself (so it includes `prevHash`, which is what links the
 * chain). The stream name and revision are inside the hash, so an event copied to another
 * stream or another place in the same stream no longer matches.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** Event metadata before chaining: what the command handler knows about the request. */
export interface UnchainedMetadata {
  readonly actor: string;
  readonly requestId: string;
  readonly idempotencyKey?: string;
  /** RFC 3339. */
  readonly occurredAt: string;
  readonly [extra: string]: unknown;
}

export interface UnchainedEvent {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  readonly metadata: UnchainedMetadata;
}

interface HashableEvent {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  /** With `prevHash`; any `hash` is ignored. */
  readonly metadata: { readonly [key: string]: unknown };
}

export function hashEvent(stream: string, revision: number, event: HashableEvent): string {
  const { hash: _ignored, ...metadata } = event.metadata;
  const canonical = canonicalJson({
    stream,
    revision,
    type: event.type,
    version: event.version,
    data: event.data,
    metadata,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * Stamps `prevHash` and `hash` on events about to be appended at `firstRevision` (0 for a
 * new stream). `prevHash` is the hash of the stream's last event, `GENESIS_HASH` for a new
 * stream. Throws a `TypeError` for data with no JSON form, before anything is written.
 */
export function chainEvents(
  stream: string,
  firstRevision: number,
  prevHash: string,
  events: readonly UnchainedEvent[],
): EventToAppend[] {
  let previous = prevHash;
  return events.map((event, index) => {
    // Whatever the caller put there would be overwritten anyway: drop it explicitly so
    // the hash never covers a stale value.
    const { prevHash: _prev, hash: _hash, ...rest } = event.metadata;
    const metadata = { ...rest, prevHash: previous };
    const hash = hashEvent(stream, firstRevision + index, { ...event, metadata });
    previous = hash;
    return {
      type: event.type,
      version: event.version,
      data: event.data,
      metadata: { ...metadata, hash },
    };
  });
}
