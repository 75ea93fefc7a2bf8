import { join } from 'node:path';
import { machine } from './lib/machine';
import { writeResults } from './lib/report';
import type { BenchCase, CaseResult } from './lib/result';
import { keyringScale } from './cases/keyring-scale';
import { propagation } from './cases/propagation';
import { replay } from './cases/replay';
import { restRotate } from './cases/rest-rotate';
import { rotateNats } from './cases/rotate-nats';
import { signerNats } from './cases/signer-nats';
import { signingCore } from './cases/signing-core';

/**
 * `npm run bench [-- <name>...] [--quick]`: each benchmark measures Rotor and its baseline
 * in the same run on this machine; results go to bench/results/ as JSON and a table.
 */
const CASES: BenchCase[] = [
  signingCore,
  signerNats,
  rotateNats,
  restRotate,
  propagation,
  replay,
  keyringScale,
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${CASES.map((c) => c.name).join(', ')}`,
    );
    process.exit(2);
  }
  const selected = names.length === 0 ? CASES : CASES.filter((c) => names.includes(c.name));
  const startedAt = new Date().toISOString();
  const results: CaseResult[] = [];
  for (const benchCase of selected) {
    const started = Date.now();
    console.error(`bench: ${benchCase.name}: ${benchCase.description}${quick ? ' (quick)' : ''}`);
    results.push(await benchCase.run({ quick }));
    console.error(
      `bench: ${benchCase.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const table = writeResults(
    join(__dirname, 'results'),
    { startedAt, finishedAt: new Date().toISOString(), quick, machine: machine() },
    results,
  );
  console.log(table);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
