import type { Command } from 'commander';
import { dataKeyStreamName, endpointIdOfDataKeyStream } from '@rotor/crypto';
import {
  ENDPOINT_STREAM_CATEGORY,
  endpointIdOfStream,
  endpointStreamName,
  isEndpointId,
} from '@rotor/domain';
import {
  authenticityOf,
  comparePositions,
  isAtOrBefore,
  readAnchors,
  START,
  verifyStream,
  type AuditPolicy,
  type EventStore,
  type RecordedEvent,
} from '@rotor/event-store';
import {
  diagnoseSignatures,
  diagnoseStream,
  FeedChainVerifier,
  formatBrokenStream,
  isAfter,
  formatVerifySummary,
  type BrokenStream,
  type VerifyReport,
} from '../audit/chain-verifier';
import {
  formatTimelineEntry,
  parseReplayFilter,
  ReplaySelector,
  type ReplayFilter,
} from '../audit/timeline';
import { EXIT_CHECK_FAILED, EXIT_OK, notFound, usageError, type ExitCode } from '../cli-error';
import type { RunCommand } from '../context';
import type { Output } from '../output';
import { createProgress, formatCount, rateOf } from '../progress';

const ENDPOINT_PREFIX = `${ENDPOINT_STREAM_CATEGORY}-`;

export function registerAuditCommands(audit: Command, run: RunCommand): void {
  audit
    .command('replay')
    .description(
      "print each endpoint's timeline: when, who (actor), what (registered, rotated, previous " +
        'key expired and why, deleted); never a secret or a ciphertext',
    )
    .option('--endpoint <id>', 'only this endpoint (we_ + 32 hex)')
    .option('--tenant <tenant>', "only this tenant's endpoints")
    .option('--since <iso>', 'only events that occurred at or after this date or date-time')
    .option('--json', 'one JSON object per line (snake_case fields)')
    .addHelpText(
      'after',
      '\nThe whole feed is streamed in global order (endpoints interleaved), so memory stays\n' +
        "flat on any number of events; --tenant keeps the ids of that tenant's endpoints.\n" +
        'Progress is drawn on stderr when it is a terminal.',
    )
    .action((options: { endpoint?: string; tenant?: string; since?: string; json?: boolean }) =>
      run(async (context, output) => {
        const filter = parseReplayFilter(options);
        const store = context.openStore();
        let events: AsyncIterable<RecordedEvent> | RecordedEvent[];
        if (filter.endpointId === undefined)
          events = store.readAll(START, { streamPrefixes: [ENDPOINT_PREFIX] });
        else {
          events = await store.read(endpointStreamName(filter.endpointId));
          if (events.length === 0) throw notFound(`endpoint ${filter.endpointId} not found`);
        }
        return replay(events, filter, output, {
          json: options.json === true,
          headPosition: filter.endpointId === undefined ? context.feedHead() : undefined,
        });
      }),
    );

  audit
    .command('verify')
    .description(
      'check the hash chain and signatures of every stream and the store against the last ' +
        'anchor; name, for each break, the first event altered, forged, inserted, removed or ' +
        'reordered, each stream truncated or deleted, and a store rolled back',
    )
    .option('--endpoint <id>', "only this endpoint's streams (its events and its data key)")
    .option('--anchors <file>', 'the anchor file (default: ROTOR_AUDIT_ANCHOR_FILE)')
    .option('--json', 'one JSON object: { ok, events, streams, broken: [...], notes: [...] }')
    .addHelpText(
      'after',
      '\nExit status: 0 every check passed, 1 at least one finding.\n\n' +
        "Signatures are checked with the KEK ring's audit key or ROTOR_AUDIT_PUBLIC_KEY; the\n" +
        'anchors (ROTOR_AUDIT_ANCHOR_FILE) catch a cut tail, a deleted stream and a rollback.\n' +
        'Whatever could not be checked (no key, no anchor, unsigned legacy history) is said.',
    )
    .action((options: { endpoint?: string; anchors?: string; json?: boolean }) =>
      run(async (context, output) => {
        if (options.endpoint !== undefined && !isEndpointId(options.endpoint))
          throw usageError(`--endpoint: not an endpoint id (we_ + 32 hex): ${options.endpoint}`);
        const store = context.openStore();
        const policy = context.auditPolicy();
        const report =
          options.endpoint !== undefined
            ? await verifyEndpoint(store, options.endpoint, policy)
            : await verifyFeed(store, output, context.feedHead(), {
                policy,
                anchorFile: options.anchors ?? context.config.audit.anchorFile,
              });
        if (options.json) await output.json(report);
        else {
          for (const broken of report.broken) await output.line(formatBrokenStream(broken));
          for (const note of report.notes ?? []) output.note(note);
          await output.line(formatVerifySummary(report));
        }
        return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
      }),
    );
}

async function replay(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  filter: ReplayFilter,
  output: Output,
  options: { json: boolean; headPosition?: number },
): Promise<ExitCode> {
  const selector = new ReplaySelector(filter);
  const progress = createProgress(output.progressStream, {
    label: 'replay',
    headPosition: options.headPosition,
  });
  const started = Date.now();
  let read = 0;
  let shown = 0;
  try {
    for await (const event of events) {
      read += 1;
      progress.tick(event.position);
      const entry = selector.select(event);
      if (!entry) continue;
      shown += 1;
      await (options.json ? output.json(entry) : output.line(formatTimelineEntry(entry)));
    }
  } finally {
    progress.done();
  }
  const elapsed = Date.now() - started;
  output.note(
    `replayed ${formatCount(read)} events, ${formatCount(shown)} shown, in ` +
      `${(elapsed / 1000).toFixed(1)} s (${formatCount(rateOf(read, elapsed))} events/s)`,
  );
  return EXIT_OK;
}

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
async function verifyFeed(
  store: EventStore,
  output: Output,
  headPosition: number | undefined,
  audit: { policy: AuditPolicy | undefined; anchorFile: string },
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

  /** A stream whose last event has gone by: its head's signature, then the anchor's view of it. */
  const finish = async ({ head, hashAtAnchor }: StreamTrack): Promise<void> => {
    const { stream } = head;
    const anchoredHead = anchored?.heads?.get(stream);
    if (anchoredHead) seenAnchored.add(anchoredHead.stream);
    if (caughtStreams.has(stream)) return; // named by its chain diagnosis
    if (policy) {
      const standing = authenticityOf(head, policy);
      if (standing === 'legacy') {
        legacyStreams += 1;
        legacyEvents += head.revision + 1;
      } else if (standing !== 'signed') {
        const finding = diagnoseSignatures(stream, await store.read(stream), policy);
        if (finding) signatureFindings.push(finding);
      }
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
  const progress = createProgress(output.progressStream, { label: 'verify', headPosition });
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
      const endpointId = endpointIdOfStream(event.stream);
      if (endpointId !== undefined && event.type === 'EndpointDeleted')
        deletedEndpoints.add(endpointId);
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

/** What the end of the pass needs of a stream: its last event, and its hash at the anchor. */
interface StreamTrack {
  head: RecordedEvent;
  hashAtAnchor?: string;
}

/** One endpoint: its own stream and its data-key stream, each read whole (no anchor check). */
async function verifyEndpoint(
  store: EventStore,
  endpointId: string,
  policy: AuditPolicy | undefined,
): Promise<VerifyReport> {
  const broken: BrokenStream[] = [];
  let events = 0;
  let streams = 0;
  for (const stream of [endpointStreamName(endpointId), dataKeyStreamName(endpointId)]) {
    const recorded = await store.read(stream);
    if (recorded.length === 0) continue;
    streams += 1;
    events += recorded.length;
    const verdict = verifyStream(recorded);
    if (!verdict.ok)
      broken.push({
        stream,
        revision: verdict.revision,
        reason: verdict.reason,
        message: verdict.message,
      });
    else if (policy) {
      const finding = diagnoseSignatures(stream, recorded, policy);
      if (finding) broken.push(finding);
    }
  }
  if (streams === 0) throw notFound(`endpoint ${endpointId} not found`);
  return {
    ok: broken.length === 0,
    events,
    streams,
    broken,
    notes: [
      ...(policy ? [] : ['NOT CHECKED: signatures (no audit key configured)']),
      'NOT CHECKED: anchors (run without --endpoint to compare the store with the last anchor)',
    ],
  };
}
