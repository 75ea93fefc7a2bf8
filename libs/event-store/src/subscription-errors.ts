import type { SubscribeOptions } from './event-store.port';

/**
 * A subscription that stops on an error is never silent: it goes to `onError`, or, when
 * the subscriber gave none, to stderr (a projection that silently stops is the worst case).
 */
export function reportSubscriptionError(options: SubscribeOptions, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  if (options.onError) options.onError(failure);
  else console.error('event store subscription stopped:', failure);
}
