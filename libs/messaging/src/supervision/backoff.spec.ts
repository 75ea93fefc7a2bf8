import { backoffDelay, describeError, pause } from './backoff';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 3_000 };

  it('doubles from the initial delay, half fixed and half random', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(1, policy, () => 0)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
  });

  it('never exceeds the cap nor drops below half of it, however many failures', () => {
    for (const attempt of [5, 10, 31, 1_000, Number.MAX_SAFE_INTEGER])
      for (const random of [0, 0.5, 0.999]) {
        const delay = backoffDelay(attempt, policy, () => random);
        expect(delay).toBeGreaterThanOrEqual(1_500);
        expect(delay).toBeLessThanOrEqual(3_000);
      }
  });

  it('spreads retries with jitter', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(6, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, policy, () => 0)).toBe(50);
  });
});

describe('pause', () => {
  it('returns at once when aborted', async () => {
    const stop = new AbortController();
    const paused = pause(60_000, stop.signal);
    stop.abort();
    await expect(paused).resolves.toBeUndefined();
  });
});

describe('describeError', () => {
  it('names the code when the message does not', () => {
    expect(describeError(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }))).toBe(
      'timed out (TIMEOUT)',
    );
    expect(describeError('plain')).toBe('plain');
  });
});
