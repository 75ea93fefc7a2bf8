/**
 * Waits for a condition instead of sleeping (STYLE.md: tests wait for a known state, never
 * for time). Polls `probe` until it returns a truthy value, or fails with `description`
 * after `timeoutMs`.
 *
 * Polls every `pollIntervalMs` (10 ms by default): polled back to back, even a cheap probe
 * would spin a core that the processes being waited for need (there are two here). Probes
 * that cost the system under test something (an HTTP round trip, a store query) pass more.
 */
export const DEFAULT_POLL_INTERVAL_MS = 10;

export async function waitFor<T>(
  probe: () => T | Promise<T>,
  description: string,
  timeoutMs = 10_000,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
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
    await new Promise<void>((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}
