import { InMemoryKvFactory, type KvBucket } from '@rotor/messaging';

/**
 * The all-in-one KV with a switch: while a bucket is broken, its writes fail the way
 * JetStream's do when NATS is away (a TIMEOUT after the ack deadline), reads still work.
 */
export class FaultyKvFactory extends InMemoryKvFactory {
  private readonly broken = new Set<string>();
  /** Writes refused so far, per bucket. */
  readonly refused = new Map<string, number>();

  breakWrites(bucket: string): void {
    this.broken.add(bucket);
  }

  heal(): void {
    this.broken.clear();
  }

  override async bucket<T>(name: string, options?: { ttlSeconds?: number }): Promise<KvBucket<T>> {
    const inner = await super.bucket<T>(name, options);
    const refuse = (): void => {
      if (!this.broken.has(name)) return;
      this.refused.set(name, (this.refused.get(name) ?? 0) + 1);
      throw Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' });
    };
    return {
      get: (key) => inner.get(key),
      keys: (prefix) => inner.keys(prefix),
      watch: (onEntry, onInitialDone) => inner.watch(onEntry, onInitialDone),
      put: async (key, value) => {
        refuse();
        await inner.put(key, value);
      },
      create: async (key, value) => {
        refuse();
        return inner.create(key, value);
      },
      delete: async (key) => {
        refuse();
        await inner.delete(key);
      },
    };
  }
}
