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
