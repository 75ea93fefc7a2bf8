/**
 * How long a loop waits before trying again after a failure: exponential from `initialMs`,
 * capped at `maxMs`, with "equal jitter" (half of the step fixed, half random), so that the
 * services retrying after one NATS outage spread out instead of hitting the server at once,
 * and none of them retries in a tight loop. Pure: `random` is injectable.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** A few seconds at most: an outage of any length costs at most this much after it ends. */
/**
 * A loop that waits for NATS or the store retries at least once a second: a retry is one
 * cheap attempt, and the promise is a signer on the newest keys within 5 s of recovery.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 1_000 };

/** The delay before retry number `attempt` (0 for the first retry after a failure). */
export const backoffDelay = (
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number => {
  // 2 ** 30 is far past any cap; bounding the exponent keeps the product finite.
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(step / 2 + random() * (step / 2));
};

/** Resolves after `ms`, or at once when `signal` aborts (a stopping loop does not wait). */
export const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** `error.message` for a log line or a health reason, whatever was thrown. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message || error.name;
  }
  return String(error);
};
