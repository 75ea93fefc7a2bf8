import type { Command } from 'commander';
import { dataKeyStreamName } from '@rotor/crypto';
import { ENDPOINT_STREAM_CATEGORY, endpointStreamName, isEndpointId } from '@rotor/domain';
import {
  START,
  verifyStream,
  type AuditPolicy,
  type EventStore,
  type RecordedEvent,
} from '@rotor/event-store';
import {
  diagnoseSignatures,
  formatBrokenStream,
  formatVerifySummary,
  type BrokenStream,
  type VerifyReport,
} from '../audit/chain-verifier';
import { verifyFeed } from '../audit/verify-feed';
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
            : await verifyFeed(
                store,
                { policy, anchorFile: options.anchors ?? context.config.audit.anchorFile },
                createProgress(output.progressStream, {
                  label: 'verify',
                  headPosition: context.feedHead(),
                }),
              );
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
