import type { PacedResult } from './paced-load';
import { percentile } from './stats';

/** One offered rate of a capacity search and what the server did with it. */
export interface CapacityStep {
  readonly rate: number;
  readonly achieved: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  /** The generator's own lateness (written - due), p99, ms. */
  readonly sendLagP99: number;
  readonly sustained: boolean;
}

export interface CapacityRule {
  /** p99 from the due time above this: the server is queueing, not keeping up. */
  readonly maxP99Ms: number;
  /** Completed / offered below this: it fell behind. */
  readonly minAchievedShare: number;
}

export const SUSTAINED: CapacityRule = { maxP99Ms: 50, minAchievedShare: 0.97 };

/**
 * Whether a server kept up with an open-loop rate: every request answered 2xx, nearly all
 * of them within the run, and a p99 (from the due time) that shows no growing queue.
 */
export const stepOf = (rate: number, result: PacedResult, rule: CapacityRule): CapacityStep => {
  const p99 = percentile(result.fromDue, 99) ?? Number.POSITIVE_INFINITY;
  const failed = result.non2xx + result.errors;
  return {
    rate,
    achieved: Number(result.achievedRate.toFixed(1)),
    p50: Number((percentile(result.fromDue, 50) ?? Number.NaN).toFixed(2)),
    p99: Number(p99.toFixed(2)),
    failed,
    sendLagP99: Number(result.sendLagP99.toFixed(2)),
    sustained:
      failed === 0 && result.achievedRate >= rule.minAchievedShare * rate && p99 <= rule.maxP99Ms,
  };
};

export interface CapacitySearch {
  /** The highest offered rate sustained (0 when not even the first). */
  readonly capacity: number;
  readonly steps: CapacityStep[];
  /** The first rate not sustained had the generator itself late by more than 5 ms. */
  readonly generatorBound: boolean;
}

/**
 * The highest open-loop rate a server sustains: offered rates grow by `factor` from `start`
 * until one is not sustained twice in a row (or `ceiling` is passed), then `refine`
 * bisections between the last rate sustained and the first one not. Each step is a separate
 * run of `send`.
 */
export const searchCapacity = async (
  send: (rate: number) => Promise<PacedResult>,
  options: {
    readonly start: number;
    readonly factor: number;
    readonly refine: number;
    readonly ceiling: number;
    readonly rule?: CapacityRule;
  },
): Promise<CapacitySearch> => {
  const rule = options.rule ?? SUSTAINED;
  const steps: CapacityStep[] = [];
  // A rate fails only if it fails twice in a row: on a shared machine one stall of another
  // process (50 ms of descheduling) is enough to fail a step at any rate, and a ladder that
  // stops there measures the neighbours. Both servers of a comparison get the same second try.
  const attempt = async (rate: number): Promise<CapacityStep> => {
    const first = stepOf(rate, await send(rate), rule);
    steps.push(first);
    if (first.sustained) return first;
    const second = stepOf(rate, await send(rate), rule);
    steps.push(second);
    return second;
  };
  let low = 0;
  let high: CapacityStep | undefined;
  for (
    let rate = options.start;
    rate <= options.ceiling;
    rate = Math.round(rate * options.factor)
  ) {
    const step = await attempt(rate);
    if (!step.sustained) {
      high = step;
      break;
    }
    low = rate;
  }
  let firstFailure = high;
  for (let i = 0; high && i < options.refine; i++) {
    const step = await attempt(Math.round((low + high.rate) / 2));
    if (step.sustained) low = step.rate;
    else high = firstFailure = step;
  }
  return {
    capacity: low,
    steps,
    generatorBound: (firstFailure?.sendLagP99 ?? 0) > 5,
  };
};
