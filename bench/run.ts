import { join } from 'node:path';
import { importCase } from './cases/import';
import { keyringScale } from './cases/keyring-scale';
import { propagation } from './cases/propagation';
import { replay } from './cases/replay';
import { restRotate } from './cases/rest-rotate';
import { restSign } from './cases/rest-sign';
import { restSignRotate } from './cases/rest-sign-rotate';
import { rotateDepth } from './cases/rotate-depth';
import { rotateNats } from './cases/rotate-nats';
import { rotatePeer } from './cases/rotate-peer';
import { rpcPath } from './cases/rpc-path';
import { signerNats } from './cases/signer-nats';
import { signingCore } from './cases/signing-core';
import { signingEd25519 } from './cases/signing-ed25519';
import { machine } from './lib/machine';
import { cleanUpNow, runningChildren } from './lib/processes';
import { writeResults } from './lib/report';
import type { BenchCase, CaseResult } from './lib/result';

/**
 * `npm run bench [-- <name>...] [--quick]`: each benchmark measures Rotor and its baseline
 * in the same run on this machine; results go to bench/results/ (one JSON file per run,
 * latest.json, latest.md) and the table is printed at the end. Progress goes to stderr.
 */
const CASES: readonly BenchCase[] = [
  signingCore,
  signingEd25519,
  signerNats,
  rpcPath,
  rotateNats,
  rotatePeer,
  rotateDepth,
  restRotate,
  restSign,
  restSignRotate,
  propagation,
  replay,
  keyringScale,
  importCase,
];

const USAGE = `usage: npm run bench [-- [--quick] [<name>...]]
  --quick   fewer iterations per repetition (all of them in a few minutes)
  <name>    ${CASES.map((c) => c.name).join(', ')}`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const flags = args.filter((a) => a.startsWith('-'));
  const unknownFlags = flags.filter((f) => f !== '--quick');
  const names = args.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknownFlags.length > 0 || unknown.length > 0) {
    console.error(`unknown: ${[...unknownFlags, ...unknown].join(', ')}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const quick = flags.includes('--quick');
  const selected = names.length === 0 ? CASES : CASES.filter((c) => names.includes(c.name));
  const started = process.hrtime.bigint();
  const startedAt = new Date().toISOString();
  const where = machine(); // now: the load average is the one the run started under
  const results: CaseResult[] = [];
  for (const benchCase of selected) {
    const caseStarted = process.hrtime.bigint();
    console.error(`bench: ${benchCase.name}: ${benchCase.description}${quick ? ' (quick)' : ''}`);
    const result = await benchCase.run({ quick });
    const seconds = Number(process.hrtime.bigint() - caseStarted) / 1e9;
    results.push({ ...result, seconds: Number(seconds.toFixed(1)) });
    if (runningChildren() > 0) throw new Error(`${benchCase.name} left processes running`);
    console.error(`bench: ${benchCase.name} done in ${seconds.toFixed(1)} s`);
  }
  const table = writeResults(
    join(__dirname, 'results'),
    {
      startedAt,
      finishedAt: new Date().toISOString(),
      seconds: Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)),
      quick,
      command: ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' '),
      machine: where,
    },
    results,
  );
  console.log(table);
}

// Whatever happens, no service, nats-server or temporary file outlives the run.
process.once('exit', cleanUpNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    cleanUpNow();
    process.exit(130);
  });

main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
