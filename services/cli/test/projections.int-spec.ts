import { Logger } from '@nestjs/common';
import { API_KEYS_BUCKET, createApiKey, revokeApiKey } from '@rotor/access';
import { BUCKETS } from '@rotor/contracts';
import { START, type EventStore } from '@rotor/event-store';
import {
  connectNats,
  drainNats,
  InMemoryKvFactory,
  JetStreamKvFactory,
  type KvBucketFactory,
  type NatsConnection,
} from '@rotor/messaging';
import { describeWithNats, waitFor } from '@rotor/testing';
import {
  CHECKPOINT_KEY,
  PROJECTED_STREAM_PREFIXES,
  PROJECTOR_STATE_BUCKET,
} from '../../projector/src/projector.constants';
import { ProjectorService } from '../../projector/src/projector.service';
import {
  compareBucket,
  rebuildViews,
  rebuildViewsByStream,
  type RebuiltViews,
} from '../src/projections/rebuild';
import {
  commandService,
  kekRingText,
  meta,
  runCli,
  tempStore,
  type TempStore,
} from './cli-fixture';

/**
 * The rebuild is checked against the real thing: the projector service itself, run live
 * (catching up, then following appends one event at a time, reading and writing its
 * buckets as in production) while commands are handled. Once it has caught up, its buckets
 * must hold exactly what the one-pass rebuild computes.
 */
const ring = kekRingText('kek-1');

// The projector logs through Nest; its lines are noise here.
beforeAll(() => Logger.overrideLogger(false));

/** Commands through the command service, the projector (if any) following live. */
async function seed(store: EventStore, part: 1 | 2): Promise<void> {
  const { service } = commandService(store, ring);
  const ids: string[] = [];
  for (let n = 0; n < 4; n += 1)
    ids.push(
      (
        await service.register({
          meta: meta(),
          tenantId: n % 2 ? 'acme' : 'globex',
          url: `https://${part}-${n}.example`,
        })
      ).endpoint.id,
    );
  await service.rotate({ meta: meta(), endpointId: ids[0], expireCurrentIn: 600 });
  await service.rotate({ meta: meta(), endpointId: ids[0], expireCurrentIn: 0, force: true });
  await service.rotate({ meta: meta(), endpointId: ids[1], expireCurrentIn: 60 });
  await service.revokePrevious({ meta: meta(), endpointId: ids[1] });
  await service.delete({ meta: meta(), endpointId: ids[2] });
  const { record } = await createApiKey(store, {
    tenantId: 'acme',
    scopes: ['audit:read'],
    name: `k${part}`,
    actor: 'cli:test',
  });
  if (part === 2) await revokeApiKey(store, record.id, 'cli:test');
}

const rebuild = (store: EventStore): Promise<RebuiltViews> =>
  rebuildViews(store.readAll(START, { streamPrefixes: PROJECTED_STREAM_PREFIXES }));

/** Runs the projector service over `store` into `buckets` while `work` appends, until caught up. */
async function projectLive(
  store: EventStore,
  buckets: KvBucketFactory,
  work: () => Promise<void>,
): Promise<ProjectorService> {
  // No KEK ring: the projector shreds by deleting the data-key stream.
  const projector = new ProjectorService(store, buckets);
  await projector.onApplicationBootstrap();
  await work();
  const { lastPosition } = await rebuild(store);
  await waitFor(
    () => projector.isCaughtUp && projector.lastPosition === lastPosition,
    'the projector to catch up',
  );
  return projector;
}

async function liveViews(buckets: KvBucketFactory): Promise<Record<string, Map<string, unknown>>> {
  const views: Record<string, Map<string, unknown>> = {};
  for (const name of [BUCKETS.endpoints, BUCKETS.keyRing, API_KEYS_BUCKET]) {
    const bucket = await buckets.bucket<unknown>(name);
    views[name] = new Map();
    for (const key of await bucket.keys()) views[name].set(key, await bucket.get(key));
  }
  return views;
}

const expectSameViews = async (buckets: KvBucketFactory, rebuilt: RebuiltViews) => {
  const live = await liveViews(buckets);
  expect(compareBucket(BUCKETS.endpoints, rebuilt.endpoints, live[BUCKETS.endpoints])).toEqual([]);
  expect(compareBucket(BUCKETS.keyRing, rebuilt.keyRings, live[BUCKETS.keyRing])).toEqual([]);
  expect(compareBucket(API_KEYS_BUCKET, rebuilt.apiKeys, live[API_KEYS_BUCKET])).toEqual([]);
};

describe('cli projections rebuild (sqlite)', () => {
  let store: TempStore;
  afterAll(() => store.remove());

  it('given the projector service run live, then the one-pass rebuild equals its views, and the CLI reports it', async () => {
    store = tempStore();
    const events = store.open();
    await seed(events, 1);
    const buckets = new InMemoryKvFactory();
    const projector = await projectLive(events, buckets, () => seed(events, 2));
    await projector.onModuleDestroy();

    const rebuilt = await rebuild(events);
    expect(rebuilt.endpoints.size).toBe(8);
    expect(
      [...rebuilt.endpoints.values()].filter((view) => view.status === 'deleted'),
    ).toHaveLength(2);
    expect([...rebuilt.apiKeys.values()].map((view) => view.revoked).sort()).toEqual([false, true]);
    await expectSameViews(buckets, rebuilt);
    expect(await (await buckets.bucket(PROJECTOR_STATE_BUCKET)).get(CHECKPOINT_KEY)).toEqual({
      position: rebuilt.lastPosition,
    });

    // Stream by stream, each view handed out once complete: the same views, the same checkpoint.
    const handedOut: Record<string, Map<string, unknown>> = {
      [BUCKETS.endpoints]: new Map(),
      [BUCKETS.keyRing]: new Map(),
      [API_KEYS_BUCKET]: new Map(),
    };
    const summary = await rebuildViewsByStream(
      events.readAllByStream!({ streamPrefixes: PROJECTED_STREAM_PREFIXES }),
      ({ bucket, key, value }) => handedOut[bucket].set(key, value),
    );
    await expectSameViews(buckets, {
      ...rebuilt,
      endpoints: handedOut[BUCKETS.endpoints] as RebuiltViews['endpoints'],
      keyRings: handedOut[BUCKETS.keyRing] as RebuiltViews['keyRings'],
      apiKeys: handedOut[API_KEYS_BUCKET] as RebuiltViews['apiKeys'],
    });
    expect(summary).toMatchObject({ lastPosition: rebuilt.lastPosition, events: rebuilt.events });
    await events.close();

    const run = await runCli(['projections', 'rebuild', '--json'], { SQLITE_PATH: store.path });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      events: rebuilt.events,
      seconds: expect.any(Number),
      events_per_second: expect.any(Number),
      last_position: rebuilt.lastPosition,
      endpoints: 8,
      key_rings: rebuilt.keyRings.size,
      api_keys: 2,
    });
  });
});

describeWithNats('cli projections rebuild --compare / --write (JetStream KV)', (natsUrl) => {
  let store: TempStore;
  let nats: NatsConnection;
  let buckets: JetStreamKvFactory;

  beforeAll(async () => {
    store = tempStore();
    nats = await connectNats({ url: natsUrl(), name: 'cli-projections-test' });
    buckets = new JetStreamKvFactory(nats);
    // A shared server (NATS_URL) may hold views of other runs: start from empty buckets.
    for (const name of [
      BUCKETS.endpoints,
      BUCKETS.keyRing,
      API_KEYS_BUCKET,
      PROJECTOR_STATE_BUCKET,
    ]) {
      const bucket = await buckets.bucket(name);
      for (const key of await bucket.keys()) await bucket.delete(key);
    }
  });
  afterAll(async () => {
    await drainNats(nats);
    store.remove();
  });

  it('compares with the live views, names what differs, and --write replaces them and the checkpoint', async () => {
    const events = store.open();
    await seed(events, 1);
    const projector = await projectLive(events, buckets, () => seed(events, 2));
    // Stopped before --write, as the help says.
    await projector.onModuleDestroy();
    const rebuilt = await rebuild(events);
    await events.close();
    const env = { SQLITE_PATH: store.path, NATS_URL: natsUrl() };

    const same = await runCli(['projections', 'rebuild', '--compare'], env);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/\nthe live views equal the rebuilt ones\n$/);

    // Views damaged behind the projector's back: one altered, one lost, one invented.
    const [first, second] = [...rebuilt.endpoints.keys()].sort();
    const endpoints = await buckets.bucket<Record<string, unknown>>(BUCKETS.endpoints);
    await endpoints.put(first, { ...(await endpoints.get(first)), url: 'https://evil.example' });
    await (await buckets.bucket(BUCKETS.keyRing)).delete(second);
    await endpoints.put('we_ffffffffffffffffffffffffffffffff', {
      id: 'we_ffffffffffffffffffffffffffffffff',
    });
    await (await buckets.bucket(PROJECTOR_STATE_BUCKET)).put(CHECKPOINT_KEY, { position: '1' });

    const [differs, written] = [
      await runCli(['projections', 'rebuild', '--compare'], env),
      await runCli(['projections', 'rebuild', '--compare', '--write', '--json'], env),
    ];
    expect(differs.code).toBe(1);
    expect(
      differs.stdout
        .split('\n')
        .filter((line) => line.startsWith('DIFF'))
        .sort(),
    ).toEqual([
      `DIFF ${BUCKETS.endpoints} ${first}: different`,
      `DIFF ${BUCKETS.endpoints} we_ffffffffffffffffffffffffffffffff: extra`,
      `DIFF ${BUCKETS.keyRing} ${second}: missing`,
    ]);
    expect(written.code).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({
      differences: expect.arrayContaining([
        { bucket: BUCKETS.keyRing, key: second, kind: 'missing' },
      ]),
      written: {
        written: rebuilt.endpoints.size + rebuilt.keyRings.size + rebuilt.apiKeys.size,
        removed: 1,
        checkpoint: rebuilt.lastPosition,
      },
    });
    await expectSameViews(buckets, rebuilt);
    expect(await (await buckets.bucket(PROJECTOR_STATE_BUCKET)).get(CHECKPOINT_KEY)).toEqual({
      position: rebuilt.lastPosition,
    });
  });
});
