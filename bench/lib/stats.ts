/** Summary of repeated measurements: what every result reports (issue #7). */
export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly runs: number;
}

export const summarize = (values: readonly number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    min: sorted[0],
    median: percentile(sorted, 50),
    max: sorted[sorted.length - 1],
    runs: sorted.length,
  };
};

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** Operations per second of a synchronous function, over a fixed time slice. */
export const opsPerSecond = (fn: () => unknown, durationMs: number): number => {
  for (let i = 0; i < 1000; i++) fn(); // warm-up: JIT and caches
  let count = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) fn();
    count += 100;
    now = process.hrtime.bigint();
  }
  return count / (Number(now - start) / 1e9);
};

/** Latencies in ms of `count` sequential calls of an async function. */
export const latencies = async (fn: () => Promise<unknown>, count: number): Promise<number[]> => {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b);
};

/** Repeats a measurement and summarises it. */
export const repeat = async (
  times: number,
  measure: () => number | Promise<number>,
): Promise<Summary> => {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await measure());
  return summarize(values);
};

const MIB = 2 ** 20;

/** RSS now and at its peak over the process's life (`ru_maxrss`), MiB. */
export const memory = (): { rssMb: number; maxRssMb: number; heapUsedMb: number } => ({
  rssMb: process.memoryUsage.rss() / MIB,
  maxRssMb: (process.resourceUsage().maxRSS * 1024) / MIB,
  heapUsedMb: process.memoryUsage().heapUsed / MIB,
});

/**
 * Latencies in ms of several measurements taken in turns, `chunk` calls of each at a time,
 * so that a measurement and its baseline see the same minutes of a shared machine (its
 * disk's latency drifts by the minute); each list ascending.
 */
export const inTurns = async (
  count: number,
  chunk: number,
  measures: readonly ((calls: number) => number[] | Promise<number[]>)[],
): Promise<number[][]> => {
  const all = measures.map((): number[] => []);
  for (let done = 0; done < count; done += chunk) {
    const calls = Math.min(chunk, count - done);
    for (const [i, measure] of measures.entries()) all[i].push(...(await measure(calls)));
  }
  return all.map((samples) => samples.sort((a, b) => a - b));
};
