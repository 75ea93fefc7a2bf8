import { AUTH_FAILURE_LIMIT, AuthFailureLimiter } from './auth-failure-limiter';

describe('AuthFailureLimiter: failed authentication, per client address', () => {
  it('lets an address fail a burst, then answers Retry-After until it refills', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter(() => now);
    for (let i = 0; i < AUTH_FAILURE_LIMIT.burst; i++) {
      expect(limiter.retryAfter('203.0.113.7')).toBeUndefined();
      limiter.failed('203.0.113.7');
    }
    expect(limiter.retryAfter('203.0.113.7')).toBe(1);
    expect(limiter.retryAfter('198.51.100.1')).toBeUndefined();
    now += 1_000;
    expect(limiter.retryAfter('203.0.113.7')).toBeUndefined();
  });
});

describe('AuthFailureLimiter.middleware', () => {
  const request = (authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, ip: '203.0.113.7' }) as never;
  const outcome = (limiter: AuthFailureLimiter, isValidKey: (bearer: string) => boolean) => {
    let passed: unknown = 'not called';
    limiter.middleware(isValidKey)(request('Bearer rk_valid'), {} as never, (error?: unknown) => {
      passed = error;
    });
    return passed;
  };

  it('does not look the key up while the address may still try', () => {
    const looked: string[] = [];
    const passed = outcome(new AuthFailureLimiter(() => 0), (bearer) => {
      looked.push(bearer);
      return false;
    });
    expect(passed).toBeUndefined();
    expect(looked).toEqual([]);
  });

  it('lets a valid key through from a held-back address, and refuses an invalid one', () => {
    const limiter = new AuthFailureLimiter(() => 0);
    for (let i = 0; i < AUTH_FAILURE_LIMIT.burst; i++) limiter.failed('203.0.113.7');
    expect(outcome(limiter, (bearer) => bearer === 'rk_valid')).toBeUndefined();
    expect(outcome(limiter, () => false)).toMatchObject({
      problem: { status: 429, code: 'rate_limited' },
    });
  });
});
