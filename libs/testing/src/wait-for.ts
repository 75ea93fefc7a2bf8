/**
 * Waits for a condition instead of sleeping (STYLE.md: tests wait for a known state, never
 * for time). Polls `probe` until it returns a truthy value, or fails with `description`
 * after `timeoutMs`.
 *
 * By default the next poll runs on the next turn of the event loop. `pollIntervalMs` spaces
 * the polls out instead, for probes that cost the system under test something (an HTTP
 * round trip, a store query) or are synchronous: polled back to back they would take a
 * core from the processes being waited for.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  description: string,
  timeoutMs = 10_000,
  pollIntervalMs = 0,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${description}` +
          (lastError ? `: ${String(lastError)}` : ''),
      );
    await new Promise<void>((resolve) =>
      pollIntervalMs > 0 ? setTimeout(resolve, pollIntervalMs) : setImmediate(resolve),
    );
  }
}
