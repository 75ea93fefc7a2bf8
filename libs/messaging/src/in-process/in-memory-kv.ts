import type { KvBucket, KvBucketFactory, KvEntry, KvWatch } from '../key-value.port';
import { assertValidBucketName, assertValidKey, assertValidTtl } from '../kv-names';

/**
 * The all-in-one mode's KV: the JetStream KV semantics in memory. Values are kept as JSON
 * text, so nothing but what the wire would carry survives a put; revisions count up per
 * bucket; watchers receive changes asynchronously and in order; a TTL is checked lazily on
 * read (like JetStream, an expiry is not announced to watchers).
 */
export class InMemoryKvFactory implements KvBucketFactory {
  private readonly buckets = new Map<string, BucketState>();

  /** `now` in epoch milliseconds; injectable so TTL tests need no waiting. */
  constructor(private readonly now: () => number = Date.now) {}

  async bucket<T>(name: string, options: { ttlSeconds?: number } = {}): Promise<KvBucket<T>> {
    assertValidBucketName(name);
    assertValidTtl(options.ttlSeconds);
    let state = this.buckets.get(name);
    if (!state) {
      state = new BucketState(this.now);
      this.buckets.set(name, state);
    }
    // Like the JetStream adapter: the last opener's TTL wins.
    if (options.ttlSeconds !== undefined) state.ttlMs = options.ttlSeconds * 1000;
    return new InMemoryKvBucket<T>(state);
  }
}

interface StoredValue {
  readonly json: string;
  readonly revision: number;
  readonly storedAt: number;
}

class BucketState {
  ttlMs: number | undefined;
  revision = 0;
  readonly values = new Map<string, StoredValue>();
  readonly watchers = new Set<MemoryWatch>();

  constructor(readonly now: () => number) {}

  live(key: string): StoredValue | undefined {
    const stored = this.values.get(key);
    if (stored && this.ttlMs !== undefined && this.now() - stored.storedAt >= this.ttlMs) {
      this.values.delete(key);
      return undefined;
    }
    return stored;
  }

  change(key: string, json: string | undefined): void {
    const revision = ++this.revision;
    if (json === undefined) this.values.delete(key);
    else this.values.set(key, { json, revision, storedAt: this.now() });
    for (const watcher of this.watchers) watcher.deliver({ key, json, revision });
  }
}

interface Change {
  readonly key: string;
  readonly json: string | undefined;
  readonly revision: number;
}

class InMemoryKvBucket<T> implements KvBucket<T> {
  constructor(private readonly state: BucketState) {}

  async get(key: string): Promise<T | undefined> {
    assertValidKey(key);
    const stored = this.state.live(key);
    return stored ? (JSON.parse(stored.json) as T) : undefined;
  }

  async put(key: string, value: T): Promise<void> {
    assertValidKey(key);
    const json = JSON.stringify(value);
    if (json === undefined) throw new Error(`value for key ${key} is not JSON-serialisable`);
    this.state.change(key, json);
  }

  async create(key: string, value: T): Promise<boolean> {
    assertValidKey(key);
    // Single-threaded: the check and the write cannot interleave with another create.
    if (this.state.live(key)) return false;
    await this.put(key, value);
    return true;
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    // Like JetStream: deleting writes a marker (a new revision) whether or not the key exists.
    this.state.change(key, undefined);
  }

  async keys(prefix = ''): Promise<string[]> {
    return [...this.state.values.keys()]
      .filter((key) => key.startsWith(prefix) && this.state.live(key))
      .sort();
  }

  async watch(onEntry: (entry: KvEntry<T>) => void, onInitialDone?: () => void): Promise<KvWatch> {
    const watch = new MemoryWatch(this.state, (change) =>
      onEntry({
        key: change.key,
        value: change.json === undefined ? undefined : (JSON.parse(change.json) as T),
        revision: change.revision,
      }),
    );
    const initial = [...this.state.values.keys()]
      .map((key) => [key, this.state.live(key)] as const)
      .filter((pair): pair is readonly [string, StoredValue] => pair[1] !== undefined)
      .sort((a, b) => a[1].revision - b[1].revision);
    for (const [key, stored] of initial)
      watch.deliver({ key, json: stored.json, revision: stored.revision });
    watch.enqueue(() => onInitialDone?.());
    this.state.watchers.add(watch);
    return watch;
  }
}

/** One watcher's ordered queue, drained on the microtask queue (never inside `put`). */
class MemoryWatch implements KvWatch {
  readonly stopped: Promise<void>;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private readonly queue: Array<() => void> = [];
  private draining = false;
  private active = true;

  constructor(
    private readonly state: BucketState,
    private readonly onChange: (change: Change) => void,
  ) {
    this.stopped = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  deliver(change: Change): void {
    this.enqueue(() => this.onChange(change));
  }

  enqueue(task: () => void): void {
    if (!this.active) return;
    this.queue.push(task);
    if (this.draining) return;
    this.draining = true;
    // A promise job rather than queueMicrotask/setImmediate: jest's fake timers leave it alone.
    void Promise.resolve().then(() => this.drain());
  }

  async stop(): Promise<void> {
    this.end();
    this.settle.resolve();
  }

  private drain(): void {
    while (this.active && this.queue.length > 0) {
      const task = this.queue.shift()!;
      try {
        task();
      } catch (error) {
        this.end();
        this.settle.reject(error);
      }
    }
    this.draining = false;
  }

  private end(): void {
    this.active = false;
    this.queue.length = 0;
    this.state.watchers.delete(this);
  }
}
