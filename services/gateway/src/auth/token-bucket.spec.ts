import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('allows a burst, then refuses with the seconds until the next token', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perMinute: 60, burst: 3 }, time.now);
    expect([1, 2, 3].map(() => buckets.take('ak_a'))).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
    ]);
    expect(buckets.take('ak_a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at perMinute, never above the burst', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perMinute: 6, burst: 2 }, time.now);
    buckets.take('k');
    buckets.take('k');
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    time.advance(4_000);
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    time.advance(6_000);
    expect(buckets.take('k')).toMatchObject({ allowed: true });
    time.advance(3_600_000);
    expect(buckets.take('k')).toEqual({ allowed: true, remaining: 1 });
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets({ perMinute: 1, burst: 1 }, clock().now);
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
  });

  it('refills nothing when the clock steps back', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perMinute: 60, burst: 1 }, time.now);
    buckets.take('k');
    time.advance(-60_000);
    expect(buckets.take('k').allowed).toBe(false);
  });

  it('forgets full buckets once it holds many', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perMinute: 600, burst: 1 }, time.now);
    for (let i = 0; i <= 10_000; i += 1) buckets.take(`k${i}`);
    time.advance(60_000);
    buckets.take('fresh');
    expect(buckets.size).toBeLessThan(10);
  });

  it('refuses a limit that could never allow a request', () => {
    expect(() => new TokenBuckets({ perMinute: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBuckets({ perMinute: 1, burst: 0 })).toThrow(RangeError);
  });
});
