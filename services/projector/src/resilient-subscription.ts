import type { EventStore, SubscribeOptions, Subscription } from '@rotor/event-store';
import { backoffDelay, describeError, pause, type LoopStatus } from '@rotor/messaging';

export interface ResilientSubscriptionOptions extends Omit<SubscribeOptions, 'onError'> {
  /** Where to subscribe from; asked again before every attempt (a failure here is one too). */
  readonly from: () => string | Promise<string>;
  /** Before every attempt, once `from` is known: forget what may be stale. */
  readonly onStart?: () => void;
  /** Told about every failure, before the back-off (a log line). */
  readonly onFailure: (error: unknown, nextAttemptInMs: number) => void;
}

/**
 * A catch-up subscription to the store that never stops for good: when it ends with an
 * error (a failed handler, a store that cannot be read), it backs off (bounded, with jitter)
 * and subscribes again from wherever `from` then says, for as long as the fault lasts. The
 * back-off starts over once the subscription catches up, or when the owner says it moved on.
 */
export class ResilientSubscription {
  private readonly stopping = new AbortController();
  private subscription?: Subscription;
  private failures = 0;
  private status: LoopStatus = { running: false, restarts: 0 };
  private readonly finished: Promise<void>;

  constructor(
    private readonly store: EventStore,
    private readonly options: ResilientSubscriptionOptions,
  ) {
    this.finished = this.run();
  }

  /** Whether the subscription runs, and why it last stopped. */
  get state(): LoopStatus {
    return this.status;
  }

  /** Aborted once `stop` is called: for handlers that wait. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** An event was handled: the next failure backs off from the start. */
  madeProgress(): void {
    this.failures = 0;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.subscription?.close();
    await this.finished;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.follow(await this.options.from());
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        const delay = backoffDelay(this.failures++);
        this.status = {
          running: false,
          lastError: describeError(error),
          lastErrorAt: new Date(),
          restarts: this.status.restarts + 1,
        };
        this.options.onFailure(error, delay);
        await this.subscription?.close().catch(() => undefined);
        this.subscription = undefined;
        await pause(delay, this.stopping.signal);
      }
    }
  }

  /** One subscription's life: settles when it ends (rejects with its error). */
  private follow(from: string): Promise<void> {
    const { filter, onEvent, onCaughtUp, onRefused } = this.options;
    this.options.onStart?.();
    return new Promise<void>((resolve, reject) => {
      const stopped = () => resolve();
      this.stopping.signal.addEventListener('abort', stopped, { once: true });
      this.status = { ...this.status, running: true };
      this.subscription = this.store.subscribeAll(from, {
        filter,
        onEvent,
        onRefused,
        onCaughtUp: () => {
          this.failures = 0;
          onCaughtUp?.();
        },
        onError: (error) => {
          this.stopping.signal.removeEventListener('abort', stopped);
          reject(error);
        },
      });
    });
  }
}
