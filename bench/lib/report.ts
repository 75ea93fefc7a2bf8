import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseResult } from './result';
import type { Summary } from './stats';

const fmt = (n: number): string =>
  Math.abs(n) >= 1000
    ? Math.round(n).toLocaleString('en-US')
    : Math.abs(n) >= 10
      ? n.toFixed(1)
      : Math.abs(n) >= 1
        ? n.toFixed(2)
        : n.toFixed(3);
const range = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : '**missed**');

export interface RunInfo {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly quick: boolean;
  readonly command: string;
  readonly machine: Record<string, unknown>;
}

export const markdownTable = (run: RunInfo, results: readonly CaseResult[]): string => {
  const m = run.machine;
  const rows = results.flatMap((r) =>
    r.metrics.map(
      (metric) =>
        `| ${r.name} | ${metric.label} | ${range(metric.rotor)} ${metric.unit} | ` +
        `${metric.baseline ? `${metric.baseline.label}: ${range(metric.baseline.value)} ${metric.unit}` : '—'} | ` +
        `${metric.ratio === undefined ? '—' : `${metric.ratio}x`} | ${metric.target} | ${verdict(metric.met)} |`,
    ),
  );
  return [
    `${run.quick ? 'Quick' : 'Full'} run of \`${run.command}\`, ${run.startedAt}, ` +
      `${fmt(run.seconds)} s; ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ` +
      `load average at start (1, 5, 15 min) ${JSON.stringify(m.loadAverageAtStart)}. ` +
      'Figures: median (min–max) over the repetitions; targets judged on medians.',
    '',
    '| benchmark | metric | Rotor | baseline, same run | ratio | target | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
};

/** One JSON file per run plus latest.json and latest.md; returns the table. */
export const writeResults = (dir: string, run: RunInfo, results: readonly CaseResult[]): string => {
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify({ ...run, results }, null, 2)}\n`;
  const stamp = run.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}${run.quick ? '-quick' : ''}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  const table = markdownTable(run, results);
  writeFileSync(join(dir, 'latest.md'), `${table}\n`);
  return table;
};
