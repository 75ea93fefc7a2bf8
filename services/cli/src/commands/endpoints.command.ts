import type { Command } from 'commander';
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataKeyVault } from '@rotor/crypto';
import { EndpointCommandsService } from '../../../command/src/endpoint-commands.service';
import { EXIT_CHECK_FAILED, EXIT_OK, usageError } from '../cli-error';
import type { RunCommand } from '../context';
import {
  countOutcome,
  formatImportSummary,
  formatOutcome,
  importLine,
  type ImportCounts,
} from '../import/import-endpoints';
import { createProgress, formatCount, rateOf } from '../progress';
import type { ProgressStream } from '../output';

export function registerEndpointCommands(endpoints: Command, run: RunCommand): void {
  endpoints
    .command('import')
    .description('register endpoints with the secrets they already have, from a JSON Lines file')
    .argument(
      '<file>',
      'one JSON object per line: { tenant, url, secret, external_id?, description? }',
    )
    .option(
      '--json',
      'one JSON object per line ({ line, outcome, endpoint_id?, reason? }), then a summary',
    )
    .option('--progress', 'draw the progress bar on stderr even when it is not a terminal')
    .addHelpText(
      'after',
      '\nEach secret must be whsec_ + base64 of 24 to 64 bytes; it is sealed like a generated\n' +
        'one and never printed. Each line lands on an endpoint id fixed by the line (tenant and\n' +
        "external_id, or tenant, url and the secret's fingerprint), so running the import\n" +
        'again, after a crash or on purpose, skips what is already there and imports the rest.\n' +
        'Prints imported / skipped / refused (with the reason) per line; exit status 1 when any\n' +
        'line was refused.',
    )
    .action((file: string, options: { json?: boolean; progress?: boolean }) =>
      run(async (context, output) => {
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          throw usageError(`cannot read ${file}`);
        }
        const ring = context.kekRing();
        const store = context.openStore({ create: true });
        const vault = new DataKeyVault(store, ring, { actor: context.actor });
        // The command service's own path, in process: sealing, rules, audit chain and all.
        const commands = new EndpointCommandsService(store, vault, () => new Date(), {
          audit: context.auditSigner(),
        });
        const stream: ProgressStream | undefined =
          output.progressStream ??
          (options.progress ? { write: (text: string) => output.writeErr(text) } : undefined);
        const input = createReadStream(file);
        const progress = createProgress(stream, {
          label: 'import',
          headPosition: size,
          unit: 'endpoints',
          checkEvery: 16,
        });
        const counts: ImportCounts = { imported: 0, skipped: 0, refused: 0 };
        const started = Date.now();
        let number = 0;
        try {
          for await (const text of createInterface({ input, crlfDelay: Infinity })) {
            number += 1;
            if (text.trim() === '') continue;
            const outcome = await importLine(number, text, {
              register: (request) => commands.register(request),
              store,
              actor: context.actor,
              requestId: context.requestId,
            });
            countOutcome(counts, outcome);
            if (options.json)
              await output.json({
                line: outcome.line,
                outcome: outcome.outcome,
                ...(outcome.endpointId === undefined ? {} : { endpoint_id: outcome.endpointId }),
                ...(outcome.outcome === 'refused' ? { reason: outcome.reason } : {}),
              });
            else await output.line(formatOutcome(outcome));
            progress.tick(String(input.bytesRead));
          }
        } finally {
          progress.done();
          input.destroy();
        }
        const seconds = (Date.now() - started) / 1000;
        const done = counts.imported + counts.skipped + counts.refused;
        if (options.json)
          await output.json({ summary: counts, seconds: Number(seconds.toFixed(3)) });
        else await output.line(formatImportSummary(counts));
        output.note(
          `${formatCount(done)} lines in ${seconds.toFixed(1)} s ` +
            `(${formatCount(rateOf(done, seconds * 1000))} endpoints/s)`,
        );
        return counts.refused > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
      }),
    );
}
