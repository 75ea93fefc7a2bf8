import { describeWithNats, waitFor } from '@rotor/testing';
import { nanos } from 'nats';
import { randomUUID } from 'crypto';
import { kvBucketContract } from '../../test/kv-bucket.contract';
import { JetStreamKvFactory } from './jetstream-kv';
import {
  connectNats,
  drainNats,
  NatsUnavailableError,
  type NatsConnection,
} from './nats-connection';

describeWithNats('JetStreamKvFactory', (getUrl) => {
  let connection: NatsConnection;
  let factory: JetStreamKvFactory;
  const created: string[] = [];
  const freshName = () => {
    const name = `test_${randomUUID().replaceAll('-', '')}`;
    created.push(name);
    return name;
  };

  beforeAll(async () => {
    connection = await connectNats({ url: getUrl(), name: 'rotor-messaging-test' });
    factory = new JetStreamKvFactory(connection);
  });

  afterAll(async () => {
    const jsm = await connection.jetstreamManager();
    for (const name of created) await jsm.streams.delete(`KV_${name}`).catch(() => undefined);
    await drainNats(connection);
  });

  describe('the KvBucket contract', () => {
    kvBucketContract((options) => factory.bucket(freshName(), options));
  });

  it('creates the bucket with one value per key and the TTL as max age', async () => {
    const name = freshName();
    await factory.bucket(name, { ttlSeconds: 90 });
    const info = await (await connection.jetstreamManager()).streams.info(`KV_${name}`);
    expect(info.config.max_msgs_per_subject).toBe(1);
    expect(info.config.max_age).toBe(nanos(90_000));
  });

  it('applies a changed TTL to an existing bucket', async () => {
    const name = freshName();
    await factory.bucket(name, { ttlSeconds: 90 });
    await factory.bucket(name, { ttlSeconds: 30 });
    const info = await (await connection.jetstreamManager()).streams.info(`KV_${name}`);
    expect(info.config.max_age).toBe(nanos(30_000));
  });

  it('entries expire after the TTL', async () => {
    const bucket = await factory.bucket<string>(freshName(), { ttlSeconds: 1 });
    await bucket.put('we_a', 'short-lived');
    await expect(bucket.get('we_a')).resolves.toBe('short-lived');
    await waitFor(async () => (await bucket.get('we_a')) === undefined, 'expiry', 10_000);
  });

  it('a second connection sees the same bucket: the watch is how readers follow a writer', async () => {
    const reader = await connectNats({ url: getUrl(), name: 'rotor-messaging-test-reader' });
    try {
      const name = freshName();
      const writer = await factory.bucket<number>(name);
      await writer.put('k', 1);
      const seen: Array<number | undefined> = [];
      let initialDone = false;
      const watch = await (
        await new JetStreamKvFactory(reader).bucket<number>(name)
      ).watch(
        (e) => seen.push(e.value),
        () => (initialDone = true),
      );
      await waitFor(() => initialDone, 'initial-done');
      await writer.put('k', 2);
      await waitFor(() => seen.length === 2, 'the update');
      expect(seen).toEqual([1, 2]);
      await drainNats(reader);
      await expect(watch.stopped).resolves.toBeUndefined();
    } finally {
      await drainNats(reader);
    }
  });

  it('a watch over a large initial set reports initial-done after the last of it', async () => {
    const bucket = await factory.bucket<number>(freshName());
    await Promise.all(Array.from({ length: 500 }, (_, n) => bucket.put(`k${n}`, n)));
    const seen: number[] = [];
    let countAtDone = -1;
    const watch = await bucket.watch(
      (e) => seen.push(e.value!),
      () => (countAtDone = seen.length),
    );
    await waitFor(() => countAtDone >= 0, 'initial-done');
    await watch.stop();
    expect(countAtDone).toBe(500);
  });
});

describe('connectNats', () => {
  it('names the unreachable URL, without its credentials', async () => {
    const error = await connectNats({
      url: 'nats://user:secret@127.0.0.1:1',
      name: 'rotor-test',
      timeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NatsUnavailableError);
    expect((error as Error).message).toMatch(
      /^cannot connect to NATS at nats:\/\/\*\*\*@127\.0\.0\.1:1: /,
    );
    expect((error as Error).message).not.toContain('secret');
  });
});
