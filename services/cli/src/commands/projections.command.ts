import type { Command } from 'commander';
import { START, type RecordedEvent } from '@rotor/event-store';
import type { KvBucketFactory } from '@rotor/messaging';
import { EXIT_CHECK_FAILED, EXIT_OK, usageError, type ExitCode } from '../cli-error';
import type { CliContext, RunCommand } from '../context';
import { PROJECTED_STREAM_PREFIXES } from '../../../projector/src/projector.constants';
import {
  formatDifference,
  formatRebuildSummary,
  rebuildViews,
  rebuildViewsByStream,
  summaryOf,
  type RebuildSummary,
  type RebuiltViews,
} from '../projections/rebuild';
import { createProgress } from '../progress';

export function registerProjectionCommands(projections: Command, run: RunCommand): void {
  projections
    .command('rebuild')
    .description(
      "rebuild the views from the first event, folding the projector's own projection over " +
        'the feed, and report the rate',
    )
    .option('--compare', 'compare with the live views in the JetStream KV buckets (NATS_URL)')
    .option(
      '--write',
      'replace the live views in the JetStream KV buckets (NATS_URL) and reset the ' +
        'projector checkpoint (bucket rotor_projector, key checkpoint) to the last event',
    )
    .option('--json', 'one JSON object: counts, rate, differences, what was written')
    .addHelpText(
      'after',
      '\nWithout --compare or --write the views are rebuilt in memory only: a dry run that\n' +
        'says how long a rebuild takes.\n\n' +
        '--write: STOP THE PROJECTOR FIRST, and start it again afterwards. A running projector\n' +
        'keeps its own cached views and checkpoint and would write over the rebuilt ones.\n' +
        'Keys the buckets hold that no event produces are deleted. The other services can\n' +
        'keep running; they watch the buckets and pick up the rebuilt values.\n\n' +
        '--compare: exit status 1 when the live views differ (unless --write replaced them).\n' +
        'Compare against a stopped or caught-up projector: one still catching up differs.\n\n' +
        'The all-in-one mode keeps its views in memory and rebuilds them on every start:\n' +
        '--compare and --write are for the distributed mode.',
    )
    .action((options: { compare?: boolean; write?: boolean; json?: boolean }) =>
      run(async (context, output) => {
        const store = context.openStore();
        const progress = createProgress(output.progressStream, {
          label: 'rebuild',
          headPosition: context.feedHead(),
        });
        const started = Date.now();
        const filter = { streamPrefixes: PROJECTED_STREAM_PREFIXES };
        // A dry run only counts the views: read stream by stream, each one is dropped once
        // complete and memory stays flat. --compare and --write need them all at the end.
        const dryRun = !options.compare && !options.write;
        const byStream = dryRun && store.readAllByStream !== undefined;
        // Stream by stream, positions jump about: the count of events read moves the bar.
        let read = 0;
        const tick = (event: RecordedEvent) =>
          progress.tick(byStream ? String((read += 1)) : event.position);
        let views: RebuiltViews | undefined;
        let summary: RebuildSummary;
        try {
          if (byStream)
            summary = await rebuildViewsByStream(store.readAllByStream!(filter), () => {}, tick);
          else {
            views = await rebuildViews(store.readAll(START, filter), tick);
            summary = summaryOf(views);
          }
        } finally {
          progress.done();
        }
        const seconds = (Date.now() - started) / 1000;
        const report: Record<string, unknown> = {
          events: summary.events,
          seconds: Number(seconds.toFixed(3)),
          events_per_second: Math.round(seconds > 0 ? summary.events / seconds : 0),
          last_position: summary.lastPosition,
          endpoints: summary.endpoints,
          key_rings: summary.keyRings,
          api_keys: summary.apiKeys,
        };
        if (!options.json) await output.line(formatRebuildSummary(summary, seconds));

        let exitCode: ExitCode = EXIT_OK;
        if (options.compare || options.write)
          await withKvBuckets(context, async (factory) => {
            const { compareWithLive, writeViews } = await import('../projections/view-buckets');
            if (options.compare) {
              const differences = await compareWithLive(factory, views!);
              report.differences = differences;
              if (!options.json) {
                for (const difference of differences)
                  await output.line(formatDifference(difference));
                await output.line(
                  differences.length === 0
                    ? 'the live views equal the rebuilt ones'
                    : `${differences.length} difference(s) between the live and the rebuilt views`,
                );
              }
              if (differences.length > 0 && !options.write) exitCode = EXIT_CHECK_FAILED;
            }
            if (options.write) {
              const written = await writeViews(factory, views!);
              report.written = written;
              if (!options.json)
                await output.line(
                  `wrote ${written.written} view(s), removed ${written.removed} stale key(s), ` +
                    `set the projector checkpoint to ${written.checkpoint}: start the projector again`,
                );
            }
          });
        if (options.json) await output.json(report);
        return exitCode;
      }),
    );
}

/** The distributed mode's buckets, over a connection opened for this command only. */
async function withKvBuckets(
  context: CliContext,
  work: (factory: KvBucketFactory) => Promise<void>,
): Promise<void> {
  // Loaded on demand: the other commands never need NATS.
  const { connectNats, drainNats, JetStreamKvFactory, NatsUnavailableError } =
    await import('@rotor/messaging');
  let connection;
  try {
    connection = await connectNats({ url: context.config.natsUrl, name: 'rotor-cli' });
  } catch (error) {
    if (error instanceof NatsUnavailableError) throw usageError(error.message);
    throw error;
  }
  try {
    await work(new JetStreamKvFactory(connection));
  } finally {
    await drainNats(connection);
  }
}
