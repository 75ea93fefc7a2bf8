import type { KvBucket, KvEntry, KvWatch } from '../key-value.port';
import { backoffDelay, DEFAULT_BACKOFF, describeError, pause, type BackoffPolicy } from './backoff';

/** What a self-healing loop reports to health checks. */
export interface LoopStatus {
  /** True while the loop does its work; false before it first starts and while it backs off. */
  readonly running: boolean;
  /** Why it last stopped, if it ever did. */
  readonly lastError?: string;
  readonly lastErrorAt?: Date;
  /** Times it was restarted after a failure. */
  readonly restarts: number;
}

export interface ResilientWatchOptions<T> {
  /** Opens the bucket; called again after a failure, so a bucket that went away comes back. */
  readonly open: () => Promise<KvBucket<T>>;
  readonly onEntry: (entry: KvEntry<T>) => void;
  /** Called once, when the first initial set has been delivered. */
  readonly onInitialDone?: () => void;
  /** Told about every failure, before the back-off (a log line). */
  readonly onFailure?: (error: unknown, nextAttemptInMs: number) => void;
  readonly backoff?: BackoffPolicy;
}

/** The usual `onFailure` of a watch: one warning line naming it, then the back-off. */
export const warnWatchFailure =
  (logger: { warn(message: string): void }, watch: string) =>
  (error: unknown, nextAttemptInMs: number): void =>
    logger.warn(`${watch} failed (${describeError(error)}); again in ${nextAttemptInMs} ms`);

/**
 * A KV watch that never stops for good: when the watch dies (the connection went away for
 * longer than nats.js rides out, the bucket's stream was lost, a callback threw), it backs
 * off and watches again. A new watch delivers the whole current state again, which readers
 * apply idempotently (views carry their stream revision, older ones are dropped); keys that
 * were deleted while no watch was running are absent from it, so once the new initial set
 * is complete every key this watch delivered before and did not see again is delivered as
 * deleted. `onEntry` therefore sees the same sequence of states a single uninterrupted watch
 * would have converged to.
 */
export class ResilientWatch<T> {
  private readonly stopping = new AbortController();
  /** Key -> revision of the last entry delivered (for the deletions missed while down). */
  private readonly known = new Map<string, number>();
  private current?: KvWatch;
  private firstLoad!: { resolve: () => void };
  private status: LoopStatus = { running: false, restarts: 0 };
  private readonly finished: Promise<void>;
  /** Settles when the first initial set has been delivered (or the watch was stopped first). */
  readonly loaded: Promise<void>;

  constructor(private readonly options: ResilientWatchOptions<T>) {
    this.loaded = new Promise<void>((resolve) => (this.firstLoad = { resolve }));
    this.finished = this.run();
  }

  get state(): LoopStatus {
    return this.status;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.current?.stop();
    await this.finished;
    this.firstLoad.resolve();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let everLoaded = false;
    while (!this.stopped) {
      try {
        const bucket = await this.options.open();
        if (this.stopped) return;
        const seen = new Set<string>();
        let initial = true;
        const watch = await bucket.watch(
          (entry) => {
            if (initial) seen.add(entry.key);
            if (entry.value === undefined) this.known.delete(entry.key);
            else this.known.set(entry.key, entry.revision);
            this.options.onEntry(entry);
          },
          () => {
            initial = false;
            for (const [key, revision] of [...this.known])
              if (!seen.has(key)) {
                this.known.delete(key);
                this.options.onEntry({ key, value: undefined, revision });
              }
            attempt = 0;
            this.status = { ...this.status, running: true };
            if (!everLoaded) {
              everLoaded = true;
              this.options.onInitialDone?.();
              this.firstLoad.resolve();
            }
          },
        );
        this.current = watch;
        if (this.stopped) await watch.stop();
        await watch.stopped;
        if (this.stopped) return;
        throw new Error('the watch ended');
      } catch (error) {
        if (this.stopped) return;
        const delay = backoffDelay(attempt++, this.options.backoff ?? DEFAULT_BACKOFF);
        this.status = {
          running: false,
          lastError: describeError(error),
          lastErrorAt: new Date(),
          restarts: this.status.restarts + 1,
        };
        await this.current?.stop().catch(() => undefined);
        this.current = undefined;
        this.options.onFailure?.(error, delay);
        await pause(delay, this.stopping.signal);
      }
    }
  }
}
