import type { Command } from 'commander';
import { DATA_KEY_STREAM_PREFIX, DataKeyVault } from '@rotor/crypto';
import { ENDPOINT_STREAM_CATEGORY } from '@rotor/domain';
import { START } from '@rotor/event-store';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../cli-error';
import type { RunCommand } from '../context';
import { formatRewrapSummary, rewrapAll } from '../keys/rewrap';
import { createProgress, formatCount, rateOf } from '../progress';

export function registerKeyCommands(keys: Command, run: RunCommand): void {
  keys
    .command('rewrap')
    .description("re-seal every endpoint's data key under the primary KEK of the ring")
    .option('--json', 'one JSON object: { rewrapped, already_primary, shredded, failed, ... }')
    .addHelpText(
      'after',
      '\nKEK rotation: add the new KEK to the ring as primary and restart the services (new\n' +
        'data keys use it), run this, then remove the old KEK from the ring.\n\n' +
        'Each data key is re-sealed by one append that expects the revision it read: running\n' +
        'it twice, or alongside the services, is safe, and a run that crashed is resumed by\n' +
        'running it again. Exit status 1 when a data key cannot be opened (its KEK is no\n' +
        'longer in the ring): put that KEK back and run it again.',
    )
    .action((options: { json?: boolean }) =>
      run(async (context, output) => {
        const ring = context.kekRing();
        const store = context.openStore();
        const vault = new DataKeyVault(store, ring, { actor: context.actor });
        const progress = createProgress(output.progressStream, {
          label: 'rewrap',
          headPosition: context.feedHead(),
        });
        const started = Date.now();
        let events = 0;
        let counts;
        try {
          counts = await rewrapAll(
            store.readAll(START, {
              streamPrefixes: [DATA_KEY_STREAM_PREFIX, `${ENDPOINT_STREAM_CATEGORY}-`],
            }),
            {
              rewrap: (endpointId) =>
                vault.rewrap(endpointId, { actor: context.actor, requestId: context.requestId }),
              onEvent: (event) => {
                events += 1;
                progress.tick(event.position);
              },
              onFailure: ({ endpointId, message }) =>
                output.note(`cannot re-wrap the data key of ${endpointId}: ${message}`),
            },
          );
        } finally {
          progress.done();
        }
        const seconds = (Date.now() - started) / 1000;
        if (options.json)
          await output.json({
            ...counts,
            primary_kek_id: ring.primaryId,
            events,
            seconds: Number(seconds.toFixed(3)),
          });
        else {
          await output.line(formatRewrapSummary(counts, ring.primaryId));
          output.note(
            `read ${formatCount(events)} events in ${seconds.toFixed(1)} s ` +
              `(${formatCount(rateOf(events, seconds * 1000))} events/s)`,
          );
        }
        return counts.failed > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
      }),
    );
}
