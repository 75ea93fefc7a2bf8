/**
 * A watched key-value bucket: how projections reach their readers (DESIGN §4). The
 * projector writes views; the signer, query service and expiry scheduler watch them.
 * Adapters: JetStream KV (`nats/`) and in-memory (`in-process/`, the all-in-one mode).
 * Values are JSON-serialisable objects.
 */
export interface KvEntry<T> {
  readonly key: string;
  /** undefined when the key was deleted. */
  readonly value: T | undefined;
  /** Monotonic per bucket: lets a watcher ignore stale updates. */
  readonly revision: number;
}

export interface KvWatch {
  stop(): Promise<void>;
}

export interface KvBucket<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key (optionally those starting with `prefix`); for small buckets and tools. */
  keys(prefix?: string): Promise<string[]>;
  /**
   * Delivers the current value of every key, then calls `onInitialDone`, then every later
   * change, in order. Deleted keys arrive with `value: undefined`.
   */
  watch(
    onEntry: (entry: KvEntry<T>) => void,
    onInitialDone?: () => void,
  ): Promise<KvWatch>;
}

export interface KvBucketFactory {
  /** Opens (creating when missing) a bucket. `ttlSeconds`: entries expire after it. */
  bucket<T>(name: string, options?: { ttlSeconds?: number }): Promise<KvBucket<T>>;
}
