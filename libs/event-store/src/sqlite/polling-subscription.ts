import type {
  RecordedEvent,
  StreamFilter,
  Subscription,
  SubscribeOptions,
} from '../event-store.port';
import { reportSubscriptionError } from '../subscription-errors';
import type { AppendNotifier } from './append-notifier';

/**
 * A background subscription hands over this many events, then lets the event loop run
 * (timers, sockets) before the next: a page of a thousand events is never one long stall.
 */
const BACKGROUND_BATCH = 32;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One bounded step through the global feed, strictly after a position. */
export interface FeedPage {
  readonly events: readonly RecordedEvent[];
  /** Every position up to here has been looked at (filtered-out ones included). */
  readonly scannedTo: number;
  /** Nothing is committed after `scannedTo`. */
  readonly atEnd: boolean;
}

export interface PolledFeed {
  /** Synchronous on the connection's own thread, a promise across a worker thread. */
  scan(after: number, filter: StreamFilter | undefined): FeedPage | Promise<FeedPage>;
  readonly notifier: AppendNotifier;
  readonly pollIntervalMs: number;
}

/** Every event strictly after `after`, a bounded page at a time (`readAll` of both SQLite stores). */
export async function* readPolledFeed(
  feed: Pick<PolledFeed, 'scan'>,
  after: number,
  filter: StreamFilter | undefined,
): AsyncIterable<RecordedEvent> {
  for (;;) {
    const page = await feed.scan(after, filter);
    yield* page.events;
    after = page.scannedTo;
    if (page.atEnd) return;
  }
}

/** The subscriptions one store instance has open, so that closing the store closes them. */
export class PollingSubscriptions {
  private readonly running = new Set<PollingSubscription>();

  constructor(readonly feed: PolledFeed) {}

  open(after: number, options: SubscribeOptions): Subscription {
    const subscription = new PollingSubscription(this.feed, after, options);
    this.running.add(subscription);
    return {
      close: async () => {
        await subscription.close();
        this.running.delete(subscription);
      },
    };
  }

  /** Each finishes the handler it is running, then stops reading. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.running].map((subscription) => subscription.close()));
    this.running.clear();
  }
}

/**
 * A catch-up subscription over a feed that can only be polled (other processes write to
 * the same file, and SQLite has no cross-process notification): page through to the end,
 * then wait for an in-process append or the next poll tick, and scan again. One event at a
 * time, the handler awaited before the next, the cursor moved only after it settles:
 * in order and exactly once while the subscription runs.
 */
export class PollingSubscription implements Subscription {
  private readonly stop = new AbortController();
  private readonly finished: Promise<void>;

  constructor(
    private readonly feed: PolledFeed,
    after: number,
    private readonly options: SubscribeOptions,
  ) {
    this.finished = this.run(after);
  }

  /** Do not await this from inside `onEvent`: it waits for that very handler to finish. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.finished;
  }

  /** Waits `ms` or until closed, whatever is appended meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(start: number): Promise<void> {
    // Let `subscribeAll` return before the first delivery, whatever the handler does.
    await Promise.resolve();
    let after = start;
    let caughtUp = false;
    const { background } = this.options;
    try {
      while (!this.stopped) {
        const seen = this.feed.notifier.current;
        const page = await this.feed.scan(after, this.options.filter);
        for (const [index, event] of page.events.entries()) {
          if (this.stopped) return;
          if (background && index > 0 && index % BACKGROUND_BATCH === 0) await nextTurn();
          await this.options.onEvent(event);
          after = Number(event.position);
        }
        after = Math.max(after, page.scannedTo);
        if (!page.atEnd) continue;
        if (!caughtUp) {
          caughtUp = true;
          this.options.onCaughtUp?.();
        }
        if (background) await this.pause(Math.max(background.maxLagMs, this.feed.pollIntervalMs));
        else await this.feed.notifier.wait(seen, this.feed.pollIntervalMs, this.stop.signal);
      }
    } catch (error) {
      if (this.stopped) return;
      this.stop.abort();
      reportSubscriptionError(this.options, error);
    }
  }
}
