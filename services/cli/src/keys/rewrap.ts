import { endpointIdOfDataKeyStream, type RewrapOutcome } from '@rotor/crypto';
import { endpointIdOfStream } from '@rotor/domain';
import type { RecordedEvent } from '@rotor/event-store';

/**
 * KEK rotation's second half (DESIGN §2): every data key re-sealed under the primary KEK,
 * so older KEKs can leave the ring. The feed of data-key and endpoint streams is walked
 * once: a data-key stream's first event names a data key to re-wrap (orphans included: a
 * registration that failed after its data key was made); an `EndpointDeleted` counts a
 * shredded endpoint, whose data key is gone.
 *
 * Each re-wrap is one append expecting the revision read (`DataKeyVault.rewrap`), so a run
 * that crashed is resumed by running it again: what was done is `already_primary`.
 */
export interface RewrapCounts {
  rewrapped: number;
  already_primary: number;
  shredded: number;
  failed: number;
}

/** A data key that cannot be opened: its KEK left the ring, or it does not decrypt. */
export interface RewrapFailure {
  readonly endpointId: string;
  readonly message: string;
}

/** Errors that concern one data key; any other error (the store) stops the run. */
const PER_KEY_ERRORS = new Set(['unknown_kek', 'decryption_failed']);

export interface RewrapAllOptions {
  readonly rewrap: (endpointId: string) => Promise<RewrapOutcome>;
  readonly onEvent?: (event: RecordedEvent) => void;
  readonly onFailure?: (failure: RewrapFailure) => void;
}

export async function rewrapAll(
  feed: AsyncIterable<RecordedEvent>,
  options: RewrapAllOptions,
): Promise<RewrapCounts> {
  const counts: RewrapCounts = { rewrapped: 0, already_primary: 0, shredded: 0, failed: 0 };
  for await (const event of feed) {
    options.onEvent?.(event);
    if (event.type === 'EndpointDeleted' && endpointIdOfStream(event.stream) !== undefined) {
      counts.shredded += 1;
      continue;
    }
    const endpointId = endpointIdOfDataKeyStream(event.stream);
    if (endpointId === undefined || event.revision !== 0) continue;
    try {
      const outcome = await options.rewrap(endpointId);
      // A data key shredded meanwhile (or still in EventStoreDB's feed until a scavenge)
      // is counted by its endpoint's `EndpointDeleted`.
      if (outcome !== 'shredded') counts[outcome] += 1;
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code !== 'string' || !PER_KEY_ERRORS.has(code)) throw error;
      counts.failed += 1;
      options.onFailure?.({ endpointId, message: (error as Error).message });
    }
  }
  return counts;
}

export const formatRewrapSummary = (counts: RewrapCounts, primaryKekId: string): string =>
  `re-wrapped ${counts.rewrapped} data key(s) under KEK ${primaryKekId}; ` +
  `${counts.already_primary} already under it, ${counts.shredded} shredded (deleted endpoints), ` +
  `${counts.failed} failed`;
