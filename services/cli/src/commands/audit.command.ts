import type { Command } from 'commander';
import { dataKeyStreamName } from '@rotor/crypto';
import { ENDPOINT_STREAM_CATEGORY, endpointStreamName, isEndpointId } from '@rotor/domain';
import { START, verifyStream, type EventStore, type RecordedEvent } from '@rotor/event-store';
import {
  diagnoseStream,
  FeedChainVerifier,
  formatBrokenStream,
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
      'check the hash chain of every stream and name, for each broken one, the first event ' +
        'altered, removed or reordered',
    )
    .option('--endpoint <id>', "only this endpoint's streams (its events and its data key)")
    .option('--json', 'one JSON object: { ok, events, streams, broken: [...] }')
    .addHelpText(
      'after',
      '\nExit status: 0 every chain is intact, 1 at least one stream is broken.\n\n' +
        'Not detectable: events cut off the END of a stream (or a whole stream deleted) leave\n' +
        "a valid, shorter chain. Catching that needs each stream's head hash kept elsewhere\n" +
        '(an anchor); this command has none.',
    )
    .action((options: { endpoint?: string; json?: boolean }) =>
      run(async (context, output) => {
        if (options.endpoint !== undefined && !isEndpointId(options.endpoint))
          throw usageError(`--endpoint: not an endpoint id (we_ + 32 hex): ${options.endpoint}`);
        const store = context.openStore();
        const report =
          options.endpoint !== undefined
            ? await verifyEndpoint(store, options.endpoint)
            : await verifyFeed(store, output, context.feedHead());
        if (options.json) await output.json(report);
        else {
          for (const broken of report.broken) await output.line(formatBrokenStream(broken));
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

/** One pass over the whole feed, every stream; a broken stream is then read whole. */
async function verifyFeed(
  store: EventStore,
  output: Output,
  headPosition: number | undefined,
): Promise<VerifyReport> {
  const verifier = new FeedChainVerifier();
  const caught: { stream: string; revision: number }[] = [];
  const progress = createProgress(output.progressStream, { label: 'verify', headPosition });
  try {
    for await (const event of store.readAll(START)) {
      progress.tick(event.position);
      const check = verifier.check(event);
      if (check.kind === 'broken') caught.push(check);
    }
  } finally {
    progress.done();
  }
  const broken: BrokenStream[] = [];
  for (const { stream, revision } of caught)
    broken.push(diagnoseStream(stream, await store.read(stream), revision));
  return {
    ok: broken.length === 0,
    events: verifier.events,
    streams: verifier.streamCount,
    broken,
  };
}

/** One endpoint: its own stream and its data-key stream, each read whole. */
async function verifyEndpoint(store: EventStore, endpointId: string): Promise<VerifyReport> {
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
  }
  if (streams === 0) throw notFound(`endpoint ${endpointId} not found`);
  return { ok: broken.length === 0, events, streams, broken };
}
