import { Events, JSONCodec, nanos, type KV, type NatsConnection, type Status } from 'nats';
import type { KvBucket, KvBucketFactory, KvEntry, KvWatch } from '../key-value.port';
import { assertValidBucketName, assertValidKey, assertValidTtl } from '../kv-names';

/**
 * How long a KV read or write waits for JetStream's answer (nats.js: 5 s). A write in flight
 * when nats-server dies is never answered: the projector would wait this long before it
 * resumes, so the bound is what a restarted server costs the signer's freshness. A loopback
 * or LAN JetStream answers in milliseconds; a write that timed out but landed is harmless
 * (views carry their revision).
 */
export const KV_OPERATION_TIMEOUT_MS = 2_000;

/**
 * KV buckets on JetStream (`js.views.kv`), one value per key (`history: 1`), values as JSON.
 * The connection belongs to the caller, who drains it on shutdown.
 */
export class JetStreamKvFactory implements KvBucketFactory {
  constructor(private readonly connection: NatsConnection) {}

  async bucket<T>(name: string, options: { ttlSeconds?: number } = {}): Promise<KvBucket<T>> {
    assertValidBucketName(name);
    assertValidTtl(options.ttlSeconds);
    const ttlMs = options.ttlSeconds === undefined ? undefined : options.ttlSeconds * 1000;
    const kv = await this.connection
      .jetstream({ timeout: KV_OPERATION_TIMEOUT_MS })
      .views.kv(name, { history: 1, ...(ttlMs === undefined ? {} : { ttl: ttlMs }) });
    if (ttlMs !== undefined) await this.applyTtl(kv, ttlMs);
    return new JetStreamKvBucket<T>(kv, this.connection);
  }

  /**
   * `views.kv` binds an existing bucket as it is and ignores the options: a TTL that changed
   * in the configuration since the bucket was created is applied here.
   */
  private async applyTtl(kv: KV, ttlMs: number): Promise<void> {
    const { config } = (await kv.status()).streamInfo;
    const maxAge = nanos(ttlMs);
    if (config.max_age === maxAge) return;
    const jsm = await this.connection.jetstreamManager();
    // The server refuses a duplicate window longer than the max age.
    await jsm.streams.update(config.name, {
      max_age: maxAge,
      duplicate_window: Math.min(config.duplicate_window, maxAge),
    });
  }
}

class JetStreamKvBucket<T> implements KvBucket<T> {
  private readonly codec = JSONCodec<T>();

  constructor(
    private readonly kv: KV,
    private readonly connection: NatsConnection,
  ) {}

  async get(key: string): Promise<T | undefined> {
    assertValidKey(key);
    const entry = await this.kv.get(key);
    return entry && entry.operation === 'PUT' ? this.codec.decode(entry.value) : undefined;
  }

  async put(key: string, value: T): Promise<void> {
    assertValidKey(key);
    await this.kv.put(key, this.codec.encode(value));
  }

  /** JetStream's `create` is atomic on the server: it fails when the key holds a value. */
  async create(key: string, value: T): Promise<boolean> {
    assertValidKey(key);
    try {
      await this.kv.create(key, this.codec.encode(value));
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.kv.delete(key);
  }

  async keys(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) if (key.startsWith(prefix)) keys.push(key);
    return keys.sort();
  }

  /**
   * The end of the initial set: nats.js's `initializedFn` fires in order when it is pushed
   * through the iterator, but when the whole initial set arrived while the consumer was
   * being created it fires before `watch()` returns, ahead of entries still queued. Then the
   * initial set is exactly the entries received so far. An entry with nothing pending after
   * it (`delta === 0`) also ends it, which covers an ordered-consumer reset.
   *
   * A reconnect ends the watch: when the server restarted, its ephemeral consumer is gone and
   * nats.js would only notice after two missed idle heartbeats (about 10 s); the caller (a
   * `ResilientWatch`) watches again at once and gets the current state.
   */
  async watch(onEntry: (entry: KvEntry<T>) => void, onInitialDone?: () => void): Promise<KvWatch> {
    let initialDone = false;
    let returned = false;
    let signalledEarly = false;
    const markInitialDone = (): void => {
      if (initialDone) return;
      initialDone = true;
      onInitialDone?.();
    };
    const iterator = await this.kv.watch({
      initializedFn: () => {
        if (returned) markInitialDone();
        else signalledEarly = true;
      },
    });
    returned = true;
    const initialCount = signalledEarly ? iterator.getReceived() : undefined;

    const run = async (): Promise<void> => {
      try {
        if (initialCount === 0) markInitialDone();
        let delivered = 0;
        for await (const entry of iterator) {
          delivered++;
          const deleted = entry.operation !== 'PUT';
          // A deleted key is not part of the current state: only its later deletion is news.
          if (!(deleted && !initialDone))
            onEntry({
              key: entry.key,
              value: deleted ? undefined : this.codec.decode(entry.value),
              revision: entry.revision,
            });
          if (delivered === initialCount || entry.delta === 0) markInitialDone();
        }
      } catch (error) {
        iterator.stop();
        throw error;
      }
    };
    // Typed as a bare AsyncIterable, it is nats.js's QueuedIterator: stop() unregisters it.
    const statuses = this.connection.status() as AsyncIterable<Status> & { stop?: () => void };
    void (async () => {
      for await (const status of statuses)
        if (status.type === Events.Reconnect) {
          iterator.stop();
          break;
        }
    })();
    const stopped = run().finally(() => statuses.stop?.());
    return {
      stopped,
      stop: async () => {
        iterator.stop();
        await stopped.catch(() => undefined);
      },
    };
  }
}

/** The server's answer to a create on a key that exists (JetStream API error 10071). */
const isWrongLastSequence = (error: unknown): boolean => {
  const {
    code,
    api_error: apiError,
    message,
  } = error as {
    code?: unknown;
    api_error?: { err_code?: number };
    message?: string;
  };
  return (
    apiError?.err_code === 10071 ||
    code === '400' ||
    /wrong last sequence|key exists/i.test(message ?? '')
  );
};
