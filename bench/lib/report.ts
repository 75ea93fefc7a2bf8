import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseResult } from './result';
import type { Summary } from './stats';

const fmt = (n: number): string =>
  n >= 1000 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(3);
const range = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

export const markdownTable = (results: readonly CaseResult[]): string => {
  const rows = results.flatMap((r) =>
    r.metrics.map(
      (m) =>
        `| ${r.name} | ${m.label} | ${range(m.rotor)} ${m.unit} | ${m.baseline ? `${m.baseline.label}: ${range(m.baseline.value)} ${m.unit}` : '—'} | ${m.ratio ?? '—'} | ${m.target} | ${m.met ? 'met' : '**missed**'} |`,
    ),
  );
  return [
    '| benchmark | metric | Rotor: median (min–max) | baseline, same run | ratio | target | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
};

export const writeResults = (
  dir: string,
  run: Record<string, unknown>,
  results: readonly CaseResult[],
): string => {
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ ...run, results }, null, 2);
  const stamp = String(run.startedAt).replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  const table = markdownTable(results);
  writeFileSync(join(dir, 'latest.md'), `${table}\n`);
  return table;
};
