/**
 * Waits for a condition instead of sleeping (STYLE.md: tests wait for a known state, never
 * for time). Polls `probe` on the event loop until it returns a truthy value, or fails
 * with `description` after `timeoutMs`.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  description: string,
  timeoutMs = 10_000,
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
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
