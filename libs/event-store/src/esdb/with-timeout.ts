import { EventStoreUnavailableError } from '../event-store.port';

/**
 * Bounds a call to the store. The EventStoreDB client ignores `deadline` on reads and can
 * wait for ever for a server that never answers, so every call it makes goes through here.
 * The losing promise is left to settle on its own: `Promise.race` has already attached a
 * handler to it, so its late rejection is not reported as unhandled.
 */
export async function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EventStoreUnavailableError(`${what}: no answer from EventStoreDB in ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
