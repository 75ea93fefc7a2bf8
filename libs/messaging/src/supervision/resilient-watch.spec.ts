import { waitFor } from '@rotor/testing';
import type { KvBucket, KvEntry, KvWatch } from '../key-value.port';
import { InMemoryKvFactory } from '../in-process/in-memory-kv';
import { ResilientWatch } from './resilient-watch';

/** A bucket whose watches can be killed, and whose opening can fail, on demand. */
const flakyBucket = (inner: KvBucket<{ n: number }>) => {
  const watches: KvWatch[] = [];
  let failOpens = 0;
  return {
    watches,
    failNextOpens: (count: number) => (failOpens = count),
    kill: async () => {
      const watch = watches[watches.length - 1];
      let reject!: (error: Error) => void;
      const dead = new Promise<void>((_, r) => (reject = r));
      dead.catch(() => undefined);
      (watch as { stopped: Promise<void> }).stopped = dead;
      await watch.stop();
      reject(Object.assign(new Error('connection lost'), { code: 'CONNECTION_CLOSED' }));
    },
    open: async (): Promise<KvBucket<{ n: number }>> => {
      if (failOpens > 0) {
        failOpens -= 1;
        throw Object.assign(new Error('no responders'), { code: '503' });
      }
      return {
        ...inner,
        get: inner.get.bind(inner),
        put: inner.put.bind(inner),
        delete: inner.delete.bind(inner),
        watch: async (onEntry, onInitialDone) => {
          let settle!: { resolve: () => void; reject: (e: unknown) => void };
          const stopped = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
          const real = await inner.watch(onEntry, onInitialDone);
          const watch: KvWatch = {
            stopped,
            stop: async () => {
              await real.stop();
              settle.resolve();
            },
          };
          // `kill` swaps `stopped` for a rejected promise before stopping the real watch.
          const handle = {
            get stopped() {
              return (handle as unknown as { _stopped?: Promise<void> })._stopped ?? stopped;
            },
            set stopped(value: Promise<void>) {
              (handle as unknown as { _stopped?: Promise<void> })._stopped = value;
            },
            stop: watch.stop,
          };
          watches.push(handle);
          return handle;
        },
      } as KvBucket<{ n: number }>;
    },
  };
};

describe('ResilientWatch', () => {
  const fastBackoff = { initialMs: 1, maxMs: 5 };

  it('given a watch that dies, watches again, and delivers the deletions it missed while down', async () => {
    const bucket = await new InMemoryKvFactory().bucket<{ n: number }>('views');
    await bucket.put('a', { n: 1 });
    await bucket.put('b', { n: 1 });
    const flaky = flakyBucket(bucket);
    const state = new Map<string, number>();
    const failures: string[] = [];
    const watch = new ResilientWatch<{ n: number }>({
      open: flaky.open,
      onEntry: (entry: KvEntry<{ n: number }>) =>
        entry.value ? state.set(entry.key, entry.value.n) : state.delete(entry.key),
      onFailure: (error) => failures.push((error as Error).message),
      backoff: fastBackoff,
    });
    await watch.loaded;
    expect([...state]).toEqual([
      ['a', 1],
      ['b', 1],
    ]);

    flaky.failNextOpens(3);
    await flaky.kill();
    await waitFor(() => !watch.state.running, 'the watch to notice its death', 5_000);
    // While no watch runs: one key changes, one goes away, one appears.
    await bucket.put('a', { n: 2 });
    await bucket.delete('b');
    await bucket.put('c', { n: 1 });

    await waitFor(() => watch.state.running, 'the watch to come back', 5_000);
    await waitFor(() => state.get('c') === 1, 'the new key', 5_000);
    expect([...state].sort()).toEqual([
      ['a', 2],
      ['c', 1],
    ]);
    expect(watch.state.restarts).toBe(4);
    expect(failures).toEqual([
      'connection lost',
      'no responders',
      'no responders',
      'no responders',
    ]);
    expect(watch.state.lastError).toBe('no responders (503)');

    await bucket.put('a', { n: 3 });
    await waitFor(() => state.get('a') === 3, 'a live change after the restart', 5_000);
    await watch.stop();
  });

  it('given stop during a back-off, stops at once and delivers nothing more', async () => {
    const bucket = await new InMemoryKvFactory().bucket<{ n: number }>('views');
    const flaky = flakyBucket(bucket);
    flaky.failNextOpens(1_000_000);
    const seen: string[] = [];
    const watch = new ResilientWatch<{ n: number }>({
      open: flaky.open,
      onEntry: (entry) => seen.push(entry.key),
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    await waitFor(() => watch.state.restarts > 0, 'the first failure', 5_000);
    await watch.stop();
    await watch.loaded;
    await bucket.put('late', { n: 1 });
    expect(seen).toEqual([]);
    expect(watch.state.running).toBe(false);
  });
});
