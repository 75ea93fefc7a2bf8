import { searchCapacity, stepOf, SUSTAINED } from '../bench/lib/capacity';
import type { PacedResult } from '../bench/lib/paced-load';

/** What a server with a hard limit of `limit` req/s answers an open-loop run at `rate`. */
const serverWithLimit =
  (limit: number) =>
  async (rate: number): Promise<PacedResult> => {
    const keepsUp = rate <= limit;
    const latencies = Array.from({ length: 100 }, (_, i) => (keepsUp ? 1 + i / 100 : 100 + i));
    return {
      fromDue: latencies,
      fromSent: latencies,
      non2xx: 0,
      errors: 0,
      achievedRate: Math.min(rate, limit),
      statusCounts: { 200: 100 },
      sendLagP99: 0.5,
    };
  };

describe('the capacity search of the REST benchmarks', () => {
  it('finds the highest rate a server sustains, within the last bisection step', async () => {
    const search = await searchCapacity(serverWithLimit(1700), {
      start: 250,
      factor: 2,
      refine: 3,
      ceiling: 100_000,
    });
    // Ladder 250, 500, 1000 sustained, 2000 not (twice); bisections 1500 (yes), 1750 (no,
    // twice), 1625 (yes).
    expect(search.steps.map((step) => step.rate)).toEqual([
      250, 500, 1000, 2000, 2000, 1500, 1750, 1750, 1625,
    ]);
    expect(search.capacity).toBe(1625);
    expect(search.generatorBound).toBe(false);
  });

  it('takes a rate that fails once and then passes as sustained (a stall of a neighbour)', async () => {
    let calls = 0;
    const flaky = serverWithLimit(10_000);
    const search = await searchCapacity(
      async (rate) => {
        calls += 1;
        return calls === 2 ? serverWithLimit(0)(rate) : flaky(rate);
      },
      { start: 250, factor: 2, refine: 0, ceiling: 1000 },
    );
    expect(search.steps.map((step) => [step.rate, step.sustained])).toEqual([
      [250, true],
      [500, false],
      [500, true],
      [1000, true],
    ]);
    expect(search.capacity).toBe(1000);
  });

  it('reports 0 when not even the first rate is sustained', async () => {
    const search = await searchCapacity(serverWithLimit(100), {
      start: 250,
      factor: 2,
      refine: 1,
      ceiling: 100_000,
    });
    expect(search.capacity).toBe(0);
    expect(search.steps.map((step) => step.rate)).toEqual([250, 250, 125, 125]);
  });

  it('does not call a run sustained when a request failed or the tail shows a queue', () => {
    const fine: PacedResult = {
      fromDue: [1, 2, 3],
      fromSent: [1, 2, 3],
      non2xx: 0,
      errors: 0,
      achievedRate: 1000,
      statusCounts: { 200: 3 },
      sendLagP99: 0.2,
    };
    expect(stepOf(1000, fine, SUSTAINED).sustained).toBe(true);
    expect(stepOf(1000, { ...fine, errors: 1 }, SUSTAINED).sustained).toBe(false);
    expect(stepOf(1000, { ...fine, fromDue: [1, 2, 80] }, SUSTAINED).sustained).toBe(false);
    expect(stepOf(1000, { ...fine, achievedRate: 900 }, SUSTAINED).sustained).toBe(false);
  });
});
