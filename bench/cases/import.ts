import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { removeDir, ROOT, startProcess, tempDir } from '../lib/processes';
import { reported, type BenchCase } from '../lib/result';
import { summarize } from '../lib/stats';

/**
 * Issue 16: a platform imports its existing secrets. `npm run cli -- endpoints import FILE`
 * as an operator runs it (the compiled CLI, `node dist/...`, its own process) on a fresh
 * sqlite store, FILE holding N endpoints (half with an external id), each secret random.
 * Measured: endpoints per second as the CLI counts them (start-up excluded, reported
 * apart), its peak RSS (ru_maxrss, printed by a preload as it exits), and the same file
 * imported again (every line skipped: what a resume after a crash costs per line done).
 */
const CLI = join(ROOT, 'dist/services/cli/src/main.js');
const PRINT_MAX_RSS = join(ROOT, 'bench/lib/print-max-rss.js');

const writeImportFile = async (path: string, endpoints: number): Promise<void> => {
  const out = createWriteStream(path);
  for (let n = 0; n < endpoints; n++) {
    const line = {
      tenant: `tenant-${n % 10}`,
      url: `https://hooks.example/${n}`,
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      ...(n % 2 === 0 ? { external_id: `cust_${n}` } : {}),
    };
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
};

interface ImportRun {
  readonly endpointsPerSecond: number;
  readonly maxRssMb: number;
  readonly wallSeconds: number;
  readonly summary: string;
}

const runImport = async (file: string, env: Record<string, string>): Promise<ImportRun> => {
  const started = process.hrtime.bigint();
  const cli = startProcess(
    'cli endpoints import',
    process.execPath,
    ['-r', PRINT_MAX_RSS, CLI, 'endpoints', 'import', file],
    env,
  );
  const [rateLine, rssLine, summary] = await Promise.all([
    cli.waitForLine(/lines in [\d.]+ s \([\d,]+ endpoints\/s\)/, 30 * 60_000),
    cli.waitForLine(/^bench: max_rss_kib=\d+$/, 30 * 60_000),
    cli.waitForLine(/^imported \d+, skipped \d+/, 30 * 60_000),
  ]);
  // The max-RSS line is printed on exit: the process is ending by itself; wait for it.
  if (cli.process.exitCode === null && cli.process.signalCode === null)
    await once(cli.process, 'exit');
  if (cli.process.exitCode !== 0)
    throw new Error(`the import exited ${cli.process.exitCode}:\n${cli.output()}`);
  const [, lines, seconds] = /^([\d,]+) lines in ([\d.]+) s/.exec(rateLine)!;
  return {
    endpointsPerSecond: Number(lines.replace(/,/g, '')) / Number(seconds),
    maxRssMb: Number(/=(\d+)$/.exec(rssLine)![1]) / 1024,
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    summary,
  };
};

export const importCase: BenchCase = {
  name: 'import',
  description: 'cli endpoints import: 100,000 existing secrets into a fresh store',
  async run({ quick }) {
    const endpoints = quick ? 10_000 : 100_000;
    // The CLI runs compiled, as `npm run cli` does: build it from the sources measured.
    const build = spawnSync(process.execPath, ['scripts/build.js'], { cwd: ROOT, stdio: 'pipe' });
    if (build.status !== 0 || !existsSync(CLI))
      throw new Error(`npm run build failed:\n${build.stderr.toString()}`);
    const dir = tempDir('import');
    try {
      const file = join(dir, 'endpoints.jsonl');
      await writeImportFile(file, endpoints);
      const env = {
        SQLITE_PATH: join(dir, 'rotor.sqlite'),
        ROTOR_DATA_DIR: dir,
        ROTOR_KEK_RING: JSON.stringify({
          primary: 'kek-bench',
          keys: { 'kek-bench': randomBytes(32).toString('base64') },
          audit: { privateKey: randomBytes(32).toString('base64') },
        }),
      };
      const first = await runImport(file, env);
      const again = await runImport(file, env);
      if (!first.summary.startsWith(`imported ${endpoints}, skipped 0`))
        throw new Error(`first import: ${first.summary}`);
      if (!again.summary.startsWith(`imported 0, skipped ${endpoints}`))
        throw new Error(`second import: ${again.summary}`);
      return {
        name: 'import',
        parameters: {
          endpoints,
          file: 'JSON Lines, 10 tenants, half the lines with an external_id, 32-byte secrets',
          store: 'sqlite, fresh file, durable appends (as the services write)',
          cli: 'node dist/services/cli/src/main.js (compiled), its own process',
        },
        metrics: [
          reported(
            `import ${endpoints.toLocaleString('en-US')} endpoints`,
            'endpoints/s',
            summarize([first.endpointsPerSecond]),
          ),
          reported('peak RSS of the CLI process', 'MB', summarize([first.maxRssMb])),
          reported(
            'the same file again (every line skipped: a resume)',
            'endpoints/s',
            summarize([again.endpointsPerSecond]),
          ),
          reported('peak RSS, second run', 'MB', summarize([again.maxRssMb])),
        ],
        notes: [
          `whole command, start-up included: ${first.wallSeconds.toFixed(1)} s ` +
            `(second run ${again.wallSeconds.toFixed(1)} s)`,
        ],
      };
    } finally {
      removeDir(dir);
    }
  },
};
