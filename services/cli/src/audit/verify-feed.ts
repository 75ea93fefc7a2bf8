import { endpointIdOfDataKeyStream } from '@rotor/crypto';
import { endpointIdOfStream } from '@rotor/domain';
import {
  authenticityOfAsync,
  comparePositions,
  isAtOrBefore,
  readAnchors,
  START,
  type AuditPolicy,
  type Authenticity,
  type EventStore,
  type RecordedEvent,
} from '@rotor/event-store';
import { formatCount, NO_PROGRESS, type Progress } from '../progress';
import {
  diagnoseSignatures,
  diagnoseStream,
  FeedChainVerifier,
  isAfter,
  type BrokenStream,
  type VerifyReport,
} from './chain-verifier';

/**
 * One pass over the whole store: the hash links of every event, the signature of each
 * stream's head only (it vouches for the rest through the links), and each stream against
 * the last anchor; then the store as a whole against the anchor. A stream caught is read
 * whole to name its first bad event.
 *
 * Stream by stream where the store can (`readAllByStream`): a stream is finished (head
 * signature, anchor) as soon as the next one starts, so memory holds one stream, whatever
 * the size of the store. Otherwise over the global feed, every stream's head kept to the end.
 */
export async function verifyFeed(
  store: EventStore,
  audit: { policy: AuditPolicy | undefined; anchorFile: string },
  progress: Progress = NO_PROGRESS,
): Promise<VerifyReport> {
  const { policy, anchorFile } = audit;
  const notes: string[] = [];
  const anchors = policy ? readAnchors(anchorFile, policy.verifier) : undefined;
  const anchored = anchors?.kind === 'ok' ? anchors : undefined;
  const byStream = store.readAllByStream !== undefined;
  const verifier = new FeedChainVerifier(byStream ? 'by_stream' : 'global');
  const caught: { stream: string; revision: number }[] = [];
  const caughtStreams = new Set<string>();
  const signatureFindings: BrokenStream[] = [];
  const anchorFindings: BrokenStream[] = [];
  const seenAnchored = new Set<string>();
  const unknownToAnchor = new Map<string, number>();
  const deletedEndpoints = new Set<string>();
  let legacyEvents = 0;
  let legacyStreams = 0;
  let lastPosition: string = START;
  // Head signatures are checked on the thread pool while the pass goes on hashing.
  const signatures = new InFlight(SIGNATURES_IN_FLIGHT);

  /** A stream whose last event has gone by: its head's signature, then the anchor's view of it. */
  const finish = async ({ head, hashAtAnchor }: StreamTrack): Promise<void> => {
    const { stream } = head;
    const anchoredHead = anchored?.heads?.get(stream);
    if (anchoredHead) seenAnchored.add(anchoredHead.stream);
    if (caughtStreams.has(stream)) return; // named by its chain diagnosis
    if (policy) {
      const judge = async (standing: Authenticity) => {
        if (standing === 'legacy') {
          legacyStreams += 1;
          legacyEvents += head.revision + 1;
        } else if (standing !== 'signed') {
          const finding = diagnoseSignatures(stream, await store.read(stream), policy);
          if (finding) signatureFindings.push(finding);
        }
      };
      const standing = authenticityOfAsync(head, policy);
      if (typeof standing === 'string') await judge(standing);
      else await signatures.add(standing.then(judge));
    }
    if (!anchoredHead || !anchored) return;
    const { last } = anchored;
    if (head.revision < anchoredHead.revision)
      anchorFindings.push({
        stream,
        revision: head.revision + 1,
        reason: 'truncated',
        message:
          `revisions ${head.revision + 1} to ${anchoredHead.revision} are gone ` +
          `(anchored at position ${last.position}, ${last.takenAt})`,
      });
    else if (hashAtAnchor !== anchoredHead.hash)
      anchorFindings.push({
        stream,
        revision: anchoredHead.revision,
        reason: 'altered',
        message: `revision ${anchoredHead.revision} is not the event anchored at ${last.takenAt}`,
      });
  };

  // Global order: every stream's track until the end. Stream by stream: the current one's.
  const tracks = new Map<string, StreamTrack>();
  let current: StreamTrack | undefined;
  try {
    for await (const event of byStream ? store.readAllByStream!() : store.readAll(START)) {
      // Stream by stream, positions jump about: the count of events read moves the bar.
      progress.tick(byStream ? String(verifier.events + 1) : event.position);
      const check = verifier.check(event);
      if (check.kind === 'broken') {
        caught.push(check);
        caughtStreams.add(check.stream);
      }
      if (isAfter(event.position, lastPosition)) lastPosition = event.position;
      let track = byStream ? current : tracks.get(event.stream);
      if (track?.head.stream !== event.stream) {
        if (byStream && current) await finish(current);
        track = { head: event };
        if (byStream) current = track;
        else tracks.set(event.stream, track);
      }
      track.head = event;
      if (event.type === 'EndpointDeleted') {
        const endpointId = endpointIdOfStream(event.stream);
        if (endpointId !== undefined) deletedEndpoints.add(endpointId);
      }
      if (anchored?.heads) {
        const head = anchored.heads.get(event.stream);
        if (head && event.revision === head.revision) track.hashAtAnchor = event.metadata.hash;
        if (
          isAtOrBefore(event.position, anchored.last.position) &&
          (!head || event.revision > head.revision) &&
          !unknownToAnchor.has(event.stream)
        )
          unknownToAnchor.set(event.stream, event.revision);
      }
    }
    if (current) await finish(current);
    for (const track of tracks.values()) await finish(track);
    await signatures.settled();
  } finally {
    progress.done();
  }

  const findings = new Map<string, BrokenStream>();
  const add = (finding: BrokenStream) => {
    if (!findings.has(finding.stream)) findings.set(finding.stream, finding);
  };
  for (const { stream, revision } of caught)
    add(diagnoseStream(stream, await store.read(stream), revision));
  for (const finding of signatureFindings) add(finding);

  // A data-key stream may be gone (or, until the shredding finishes, still there) once its
  // endpoint recorded its deletion: crypto-shredding, not tampering.
  const shredded = (stream: string) => {
    const endpointId = endpointIdOfDataKeyStream(stream);
    return endpointId !== undefined && deletedEndpoints.has(endpointId);
  };

  if (!policy)
    notes.push(
      'NOT CHECKED: signatures (no audit key: set ROTOR_AUDIT_PUBLIC_KEY or give the KEK ring ' +
        'with its audit key). A chain recomputed without the key, or a forged event, passes.',
    );
  if (legacyStreams > 0)
    notes.push(
      `${formatCount(legacyEvents)} events in ${formatCount(legacyStreams)} streams are unsigned ` +
        'legacy history (chain v1, accepted up to ROTOR_AUDIT_LEGACY_UNTIL): their links are ' +
        'consistent, but anyone who could write the store could have written them.',
    );

  if (anchors?.kind === 'broken')
    add({
      stream: '(anchors)',
      revision: anchors.line,
      reason: 'anchor_invalid',
      message: `line ${anchors.line} of ${anchorFile}: ${anchors.message}`,
    });
  else if (anchors === undefined || anchors.kind === 'none')
    notes.push(
      `NOT CHECKED: anchors (${anchors === undefined ? 'no audit key to check them with' : `none in ${anchorFile}`}). ` +
        'A truncated tail, a deleted stream or a rolled-back store goes unnoticed.',
    );
  if (anchored) {
    const { last } = anchored;
    if (lastPosition === START || (comparePositions(lastPosition, last.position) ?? 0) < 0)
      add({
        stream: '(store)',
        revision: -1,
        reason: 'rolled_back',
        message:
          `the store ends at position ${lastPosition}, before the last anchor ` +
          `(position ${last.position}, ${last.takenAt}): it was rolled back or cut`,
      });
    if (!anchored.heads)
      notes.push(`the heads of the last anchor are missing: only its position was compared`);
    for (const head of anchored.heads?.values() ?? [])
      if (!seenAnchored.has(head.stream) && !shredded(head.stream))
        add({
          stream: head.stream,
          revision: 0,
          reason: 'deleted',
          message: `the stream is gone; the anchor of ${last.takenAt} had it at revision ${head.revision}`,
        });
    for (const finding of anchorFindings) add(finding);
    for (const [stream, revision] of unknownToAnchor)
      if (!shredded(stream))
        add({
          stream,
          revision,
          reason: 'inserted',
          message:
            `revision ${revision} sits before the last anchor (position ${last.position}) ` +
            'but the anchor does not know it',
        });
  }
  const broken = [...findings.values()];
  return {
    ok: broken.length === 0,
    events: verifier.events,
    streams: verifier.streamCount,
    broken,
    notes,
  };
}

/** Enough to keep the thread pool busy; bounded so that memory is too. */
const SIGNATURES_IN_FLIGHT = 64;

/** Promises started and not awaited one by one, at most `limit` at a time; the first failure wins. */
class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Resolves once there is room for the next one. */
  async add(work: Promise<void>): Promise<void> {
    const tracked = work.then(
      () => void this.running.delete(tracked),
      (error: unknown) => {
        this.running.delete(tracked);
        this.failure ??= { error };
      },
    );
    this.running.add(tracked);
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure) throw this.failure.error;
  }

  async settled(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
  }
}

/** What the end of the pass needs of a stream: its last event, and its hash at the anchor. */
interface StreamTrack {
  head: RecordedEvent;
  hashAtAnchor?: string;
}
