import type { Summary } from './stats';

/** One figure of a benchmark: Rotor's, the baseline's from the same run, and the target. */
export interface Metric {
  readonly label: string;
  readonly unit: string;
  readonly rotor: Summary;
  readonly baseline?: { readonly label: string; readonly value: Summary };
  /** rotor / baseline (medians). */
  readonly ratio?: number;
  readonly target: string;
  readonly met: boolean;
}

export interface CaseResult {
  readonly name: string;
  readonly parameters: Record<string, unknown>;
  readonly metrics: Metric[];
  readonly notes?: string[];
}

export interface BenchCase {
  readonly name: string;
  readonly description: string;
  run(options: { quick: boolean }): Promise<CaseResult>;
}

export const ratioOf = (rotor: Summary, baseline: Summary): number =>
  Number((rotor.median / baseline.median).toFixed(3));
