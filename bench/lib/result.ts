import type { Summary } from './stats';

/** One figure of a benchmark: Rotor's, the baseline's from the same run, and the target. */
export interface Metric {
  readonly label: string;
  readonly unit: string;
  /** Over the repetitions: min, median, max. */
  readonly rotor: Summary;
  readonly baseline?: { readonly label: string; readonly value: Summary };
  /** rotor / baseline, medians. */
  readonly ratio?: number;
  /** What the issue asks for; '(reported)' when there is none. */
  readonly target: string;
  /** Judged on medians; undefined when there is no target. */
  readonly met?: boolean;
}

export interface CaseResult {
  readonly name: string;
  readonly parameters: Record<string, unknown>;
  readonly metrics: Metric[];
  readonly notes?: string[];
  /** Wall-clock time of the whole case, set-up included. */
  readonly seconds?: number;
}

export interface BenchCase {
  readonly name: string;
  readonly description: string;
  run(options: { quick: boolean }): Promise<CaseResult>;
}

export const ratioOf = (rotor: Summary, baseline: Summary): number =>
  Number((rotor.median / baseline.median).toFixed(3));

/** A figure shown for context, with no target of its own. */
export const reported = (label: string, unit: string, rotor: Summary): Metric => ({
  label,
  unit,
  rotor,
  target: '(reported)',
});

/** A figure judged on its median against an absolute bound (no baseline). */
export const bounded = (
  label: string,
  unit: string,
  rotor: Summary,
  bound: { readonly atLeast: number } | { readonly below: number },
  target: string,
): Metric => ({
  label,
  unit,
  rotor,
  target,
  met: 'atLeast' in bound ? rotor.median >= bound.atLeast : rotor.median < bound.below,
});

/** Failed requests per run: met only when no run had any. */
export const noFailures = (label: string, failures: Summary): Metric => ({
  label,
  unit: 'responses',
  rotor: failures,
  target: '0',
  met: failures.max === 0,
});
