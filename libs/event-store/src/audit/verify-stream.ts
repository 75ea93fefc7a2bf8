import type { RecordedEvent } from '../event-store.port';
import { GENESIS_HASH, hashEvent } from './hash-chain';

export type TamperReason = 'altered' | 'removed' | 'reordered' | 'duplicated' | 'inserted';

export type StreamVerification =
  | { readonly ok: true; readonly count: number; readonly headHash: string }
  | {
      readonly ok: false;
      /** The revision of the first bad event (for `removed`: the first missing revision). */
      readonly revision: number;
      readonly reason: TamperReason;
      readonly message: string;
    };

/**
 * Checks one stream's hash chain, as read (revision order), and names the FIRST event
 * that breaks it. Each event is checked in this order, so the most specific story wins:
 *
 * 1. its revision is the next one: otherwise it is `duplicated` (a revision seen before),
 *    `reordered` (the expected revision shows up later, or this one comes too early), or
 *    `removed` (the expected revision is nowhere: the first missing revision is named);
 * 2. its `prevHash` is the previous event's hash: otherwise, if it is the hash of a later
 *    event, events were `reordered` (content swapped between revisions); if the event's own
 *    hash matches a higher revision, events before it were `removed` and the rest
 *    renumbered; if its own hash does not match, it was `altered`; else the previous event
 *    was rewritten with a freshly computed hash, and that one is named `altered` (it is
 *    the first bad event; this one is intact);
 * 3. its own hash matches its content: otherwise it was `altered`.
 *
 * Limit of any hash chain: cutting events off the END of a stream leaves a valid, shorter
 * chain. Catching that needs the head hash kept somewhere else (`headHash` is returned for
 * that purpose).
 */
export function verifyStream(events: readonly RecordedEvent[]): StreamVerification {
  const storedHashes = events.map((event) => event.metadata.hash);
  let expectedRevision = 0;
  let previousHash = GENESIS_HASH;
  const seenRevisions = new Set<number>();

  for (const [index, event] of events.entries()) {
    const { revision } = event;
    if (revision !== expectedRevision) {
      if (seenRevisions.has(revision))
        return fail(revision, 'duplicated', `revision ${revision} appears twice`);
      const expectedComesLater = events
        .slice(index + 1)
        .some((later) => later.revision === expectedRevision);
      if (expectedComesLater || revision < expectedRevision)
        return fail(
          revision,
          'reordered',
          `revision ${revision} comes where revision ${expectedRevision} belongs`,
        );
      return fail(
        expectedRevision,
        'removed',
        revision - expectedRevision === 1
          ? `revision ${expectedRevision} is missing`
          : `revisions ${expectedRevision} to ${revision - 1} are missing`,
      );
    }

    const { prevHash, hash } = event.metadata;
    if (prevHash !== previousHash) {
      const laterIndex = storedHashes.indexOf(prevHash, index + 1);
      if (laterIndex !== -1)
        return fail(
          revision,
          'reordered',
          `revision ${revision} follows the event now at revision ${events[laterIndex].revision}`,
        );
      const up = renumberedUpBy(event);
      if (up !== undefined)
        return fail(
          revision - up,
          'inserted',
          `${up === 1 ? 'an event was' : `${up} events were`} inserted at revision ` +
            `${revision - up} and the rest renumbered`,
        );
      const shift = renumberedBy(event);
      if (shift !== undefined)
        return fail(
          revision,
          'removed',
          `${shift === 1 ? 'an event was' : `${shift} events were`} removed before revision ` +
            `${revision} and the stream renumbered`,
        );
      if (hashEvent(event.stream, revision, event) !== hash)
        return fail(revision, 'altered', `revision ${revision} does not match its hash`);
      if (index === 0)
        return fail(revision, 'altered', 'the first event does not start from the genesis hash');
      return fail(
        events[index - 1].revision,
        'altered',
        `revision ${events[index - 1].revision} was rewritten: its hash no longer matches the ` +
          `prevHash of revision ${revision}`,
      );
    }

    if (typeof hash !== 'string' || hashEvent(event.stream, revision, event) !== hash)
      return fail(revision, 'altered', `revision ${revision} does not match its hash`);

    seenRevisions.add(revision);
    previousHash = hash;
    expectedRevision += 1;
  }
  return { ok: true, count: events.length, headHash: previousHash };
}

/** How far back an event was moved, looked for up to this many revisions. */
const MAX_RENUMBERING = 1000;

/** By how many revisions the event was moved down, if its hash says it was. */
function renumberedBy(event: RecordedEvent): number | undefined {
  for (let shift = 1; shift <= MAX_RENUMBERING; shift += 1)
    if (hashEvent(event.stream, event.revision + shift, event) === event.metadata.hash)
      return shift;
  return undefined;
}

/** By how many revisions the event was moved up (events inserted before it), if so. */
function renumberedUpBy(event: RecordedEvent): number | undefined {
  for (let shift = 1; shift <= Math.min(event.revision, MAX_RENUMBERING); shift += 1)
    if (hashEvent(event.stream, event.revision - shift, event) === event.metadata.hash)
      return shift;
  return undefined;
}

const fail = (revision: number, reason: TamperReason, message: string): StreamVerification => ({
  ok: false,
  revision,
  reason,
  message,
});
