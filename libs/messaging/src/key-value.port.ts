/**
 * A watched key-value bucket: how projections reach their readers (DESIGN §4). The
 * projector writes views; the signer, query service and expiry scheduler watch them.
 * Adapters: JetStream KV (`nats/`) and in-memory (`in-process/`, the all-in-one mode).
 * Values are JSON-serialisable objects, stored as JSON: a read returns a copy, never the
 * object that was put. Keys match `[-/=.\w]+` (no leading or trailing dot), as NATS requires.
 */
export interface KvEntry<T> {
  readonly key: string;
  /** undefined when the key was deleted. */
  readonly value: T | undefined;
  /** Monotonic per bucket: lets a watcher ignore stale updates. */
  readonly revision: number;
}

export interface KvWatch {
  /** Stops delivering; resolves once no callback is running or will run. */
  stop(): Promise<void>;
  /**
   * Settles when the watch ends: resolves after `stop()` or a graceful connection drain;
   * rejects when it dies (a callback threw, the bucket or the connection went away). Left
   * unobserved, the rejection crashes the process, on purpose: a reader quietly holding a
   * stale view is worse than a restart.
   */
  readonly stopped: Promise<void>;
}

export interface KvBucket<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  /**
   * Writes only when the key does not exist (or was deleted / expired): true when written.
   * Atomic across processes on NATS; the gateway's idempotency records rely on it.
   */
  create(key: string, value: T): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Every key (optionally those starting with `prefix`); for small buckets and tools. */
  keys(prefix?: string): Promise<string[]>;
  /**
   * Delivers the current value of every key, then calls `onInitialDone`, then every later
   * change, in order. Deleted keys arrive with `value: undefined`.
   */
  watch(onEntry: (entry: KvEntry<T>) => void, onInitialDone?: () => void): Promise<KvWatch>;
}

export interface KvBucketFactory {
  /** Opens (creating when missing) a bucket. `ttlSeconds`: entries expire after it. */
  bucket<T>(name: string, options?: { ttlSeconds?: number }): Promise<KvBucket<T>>;
}
