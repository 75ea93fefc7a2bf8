import { waitFor } from '@rotor/testing';
import { kvBucketContract } from '../../test/kv-bucket.contract';
import { InMemoryKvFactory } from './in-memory-kv';

describe('InMemoryKvFactory', () => {
  describe('the KvBucket contract', () => {
    let n = 0;
    kvBucketContract((options) => new InMemoryKvFactory().bucket(`bucket_${++n}`, options));
  });

  it('opening a bucket twice gives two views of the same data', async () => {
    const factory = new InMemoryKvFactory();
    const writer = await factory.bucket<number>('shared');
    const reader = await factory.bucket<number>('shared');
    await writer.put('k', 1);
    await expect(reader.get('k')).resolves.toBe(1);
    await expect((await factory.bucket<number>('other')).get('k')).resolves.toBeUndefined();
  });

  it('forgets an entry once its TTL has passed since the last put, silently', async () => {
    let now = 1_000_000;
    const factory = new InMemoryKvFactory(() => now);
    const bucket = await factory.bucket<string>('ttl', { ttlSeconds: 10 });
    const seen: string[] = [];
    await bucket.watch((e) => seen.push(`${e.key}=${e.value}`));
    await bucket.put('a', 'v1');
    now += 9_999;
    await expect(bucket.get('a')).resolves.toBe('v1');
    await bucket.put('a', 'v2');
    now += 9_999;
    await expect(bucket.keys()).resolves.toEqual(['a']);
    now += 1;
    await expect(bucket.get('a')).resolves.toBeUndefined();
    await expect(bucket.keys()).resolves.toEqual([]);
    await waitFor(() => seen.length === 2, 'the two puts');
    expect(seen).toEqual(['a=v1', 'a=v2']);
  });

  it('the initial set of a watch leaves out expired entries', async () => {
    let now = 0;
    const bucket = await new InMemoryKvFactory(() => now).bucket<string>('ttl', { ttlSeconds: 1 });
    await bucket.put('old', 'x');
    now = 500;
    await bucket.put('young', 'y');
    now = 1_200;
    const seen: string[] = [];
    let done = false;
    await bucket.watch(
      (e) => seen.push(e.key),
      () => (done = true),
    );
    await waitFor(() => done, 'initial-done');
    expect(seen).toEqual(['young']);
  });

  it('refuses values JSON cannot carry, and bad names and TTLs', async () => {
    const factory = new InMemoryKvFactory();
    const bucket = await factory.bucket<unknown>('b');
    await expect(bucket.put('k', undefined)).rejects.toThrow(/not JSON-serialisable/);
    await expect(bucket.put('k', 1n)).rejects.toThrow(TypeError);
    await expect(factory.bucket('bad.name')).rejects.toThrow(/invalid bucket name/);
    await expect(factory.bucket('b', { ttlSeconds: 0 })).rejects.toThrow(/invalid ttlSeconds/);
  });

  it('watch callbacks never run inside put', async () => {
    const bucket = await new InMemoryKvFactory().bucket<number>('b');
    const seen: number[] = [];
    await bucket.watch((e) => seen.push(e.value!));
    const put = bucket.put('k', 1);
    expect(seen).toEqual([]);
    await put;
    await waitFor(() => seen.length === 1, 'the update');
  });
});
