import { waitFor } from '@rotor/testing';
import type { KvBucket, KvEntry } from '../src/key-value.port';

/**
 * What every KvBucket adapter must do, run against the in-memory one
 * (in-memory-kv.spec.ts) and JetStream (jetstream-kv.int-spec.ts). `open` returns a
 * fresh, empty bucket each time.
 */
export function kvBucketContract(
  open: <T>(options?: { ttlSeconds?: number }) => Promise<KvBucket<T>>,
): void {
  interface View {
    name: string;
    tags?: string[];
  }

  it('gets what was put, as a copy; undefined for a missing key', async () => {
    const bucket = await open<View>();
    const view = { name: 'first', tags: ['a'] };
    await bucket.put('we_1', view);
    const read = await bucket.get('we_1');
    expect(read).toStrictEqual(view);
    expect(read).not.toBe(view);
    await expect(bucket.get('we_2')).resolves.toBeUndefined();
  });

  it('overwrites and deletes', async () => {
    const bucket = await open<View>();
    await bucket.put('we_1', { name: 'first' });
    await bucket.put('we_1', { name: 'second' });
    await expect(bucket.get('we_1')).resolves.toStrictEqual({ name: 'second' });
    await bucket.delete('we_1');
    await expect(bucket.get('we_1')).resolves.toBeUndefined();
    await bucket.delete('never-there');
  });

  it('lists keys, sorted, optionally by prefix, without deleted ones', async () => {
    const bucket = await open<View>();
    await expect(bucket.keys()).resolves.toEqual([]);
    for (const key of ['we_b', 'key_1', 'we_a', 'we_c']) await bucket.put(key, { name: key });
    await bucket.delete('we_c');
    await expect(bucket.keys()).resolves.toEqual(['key_1', 'we_a', 'we_b']);
    await expect(bucket.keys('we_')).resolves.toEqual(['we_a', 'we_b']);
    await expect(bucket.keys('nope')).resolves.toEqual([]);
  });

  it('refuses keys NATS would refuse', async () => {
    const bucket = await open<View>();
    for (const key of ['', 'has space', '.leading', 'trailing.', 'wild*', 'wild>'])
      await expect(bucket.put(key, { name: 'x' })).rejects.toThrow(/invalid key/);
  });

  it('watch: the current values, then initial-done, then every change in order', async () => {
    const bucket = await open<View>();
    await bucket.put('we_a', { name: 'a1' });
    await bucket.put('we_b', { name: 'b1' });
    await bucket.put('we_gone', { name: 'gone' });
    await bucket.delete('we_gone');
    await bucket.put('we_a', { name: 'a2' });

    const seen = record<View>();
    const watch = await bucket.watch(seen.onEntry, seen.onInitialDone);
    await waitFor(() => seen.log.includes('initial-done'), 'the initial set');
    await bucket.put('we_c', { name: 'c1' });
    await bucket.delete('we_b');
    await waitFor(() => seen.log.length === 5, 'two updates');
    await watch.stop();

    expect(seen.log).toEqual(['we_b=b1', 'we_a=a2', 'initial-done', 'we_c=c1', 'we_b=deleted']);
    const revisions = seen.entries.map((e) => e.revision);
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
    expect(new Set(revisions).size).toBe(revisions.length);
    await expect(watch.stopped).resolves.toBeUndefined();
  });

  it('watch: an empty bucket still reports initial-done, then updates', async () => {
    const bucket = await open<View>();
    const seen = record<View>();
    const watch = await bucket.watch(seen.onEntry, seen.onInitialDone);
    await waitFor(() => seen.log.includes('initial-done'), 'initial-done on an empty bucket');
    await bucket.put('we_a', { name: 'a1' });
    await waitFor(() => seen.log.length === 2, 'the update');
    await watch.stop();
    expect(seen.log).toEqual(['initial-done', 'we_a=a1']);
  });

  it('watch: nothing arrives after stop()', async () => {
    const bucket = await open<View>();
    const stopped = record<View>();
    const watch = await bucket.watch(stopped.onEntry, stopped.onInitialDone);
    await waitFor(() => stopped.log.includes('initial-done'), 'initial-done');
    await watch.stop();

    const live = record<View>();
    const witness = await bucket.watch(live.onEntry, live.onInitialDone);
    await bucket.put('we_a', { name: 'a1' });
    await waitFor(() => live.log.includes('we_a=a1'), 'the witness to see the put');
    await witness.stop();
    expect(stopped.log).toEqual(['initial-done']);
  });

  it('watch: a callback that throws ends the watch, and `stopped` says why', async () => {
    const bucket = await open<View>();
    await bucket.put('we_a', { name: 'a1' });
    const watch = await bucket.watch(() => {
      throw new Error('reader bug');
    });
    await expect(watch.stopped).rejects.toThrow('reader bug');
    await watch.stop();
  });

  it('accepts a TTL', async () => {
    const bucket = await open<View>({ ttlSeconds: 3600 });
    await bucket.put('we_a', { name: 'a1' });
    await expect(bucket.get('we_a')).resolves.toStrictEqual({ name: 'a1' });
  });
}

function record<T extends { name: string }>() {
  const log: string[] = [];
  const entries: KvEntry<T>[] = [];
  return {
    log,
    entries,
    onEntry: (entry: KvEntry<T>) => {
      entries.push(entry);
      log.push(`${entry.key}=${entry.value === undefined ? 'deleted' : entry.value.name}`);
    },
    onInitialDone: () => log.push('initial-done'),
  };
}
