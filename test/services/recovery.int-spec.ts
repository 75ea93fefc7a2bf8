import {
  BUCKETS,
  SUBJECTS,
  type RegisterEndpointReply,
  type RotateSecretReply,
} from '@rotor/contracts';
import { endpointStreamName } from '@rotor/domain';
import { START, type RecordedEvent } from '@rotor/event-store';
import { JetStreamKvFactory, connectNats, drainNats, type NatsConnection } from '@rotor/messaging';
import type { EndpointView, KeyRingView } from '@rotor/projections';
import { describeWithNats, waitFor } from '@rotor/testing';
import { randomUUID } from 'node:crypto';
import { ExpirySchedulerService } from '../../services/expiry/src/expiry-scheduler.service';
import { project } from '../../services/projector/src/projection';
import {
  CHECKPOINT_KEY,
  PROJECTED_STREAM_PREFIXES,
  PROJECTOR_STATE_BUCKET,
} from '../../services/projector/src/projector.constants';
import { ProjectorService } from '../../services/projector/src/projector.service';
import { RotorServices } from './rotor-services';

const meta = () => ({ actor: 'test-suite', requestId: randomUUID() });

describeWithNats('recovery: projector and expiry restarts', (natsUrl) => {
  let rotor: RotorServices;
  let nats: NatsConnection;
  let kv: JetStreamKvFactory;

  beforeAll(async () => {
    rotor = new RotorServices(natsUrl());
    await rotor.start('command', 'projector');
    nats = await connectNats({ url: natsUrl(), name: 'recovery-test' });
    kv = new JetStreamKvFactory(nats);
  });
  afterAll(async () => {
    await drainNats(nats);
    await rotor.close();
  });

  const register = () =>
    rotor.client.request<unknown, RegisterEndpointReply>(SUBJECTS.command.registerEndpoint, {
      meta: meta(),
      tenantId: 'acme',
    });
  const rotate = (endpointId: string, expireCurrentIn: number) =>
    rotor.client.request<unknown, RotateSecretReply>(SUBJECTS.command.rotateSecret, {
      meta: meta(),
      endpointId,
      expireCurrentIn,
      force: true,
    });
  const allEvents = async () => {
    const events: RecordedEvent[] = [];
    for await (const e of rotor.store.readAll(START, { streamPrefixes: PROJECTED_STREAM_PREFIXES }))
      events.push(e);
    return events;
  };
  const projectorCaughtUp = async (instance: string) => {
    const events = await allEvents();
    return (
      rotor.get(instance, ProjectorService).lastPosition === events[events.length - 1].position
    );
  };
  const bucketContents = async <T>(name: string) => {
    const bucket = await kv.bucket<T>(name);
    const entries = new Map<string, T>();
    for (const key of await bucket.keys()) entries.set(key, (await bucket.get(key))!);
    return entries;
  };

  it('given a projector restarted from a stale checkpoint mid-stream, its views equal a rebuild from scratch', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await register()).endpoint.id);
    for (const id of ids.slice(0, 3)) await rotate(id, 0);
    await waitFor(() => projectorCaughtUp('projector'), 'the projector to catch up');
    const early = (await allEvents())[3].position;

    await rotor.stop('projector');
    // As if it had crashed before saving its latest checkpoint: it will replay events
    // whose effects are already in the views.
    await (
      await kv.bucket<{ position: string }>(PROJECTOR_STATE_BUCKET)
    ).put(CHECKPOINT_KEY, { position: early });
    for (const id of ids.slice(2)) await rotate(id, 3600);
    await rotor.client.request(SUBJECTS.command.deleteEndpoint, {
      meta: meta(),
      endpointId: ids[5],
    });

    await rotor.startOne('projector', 'projector-restarted');
    await waitFor(
      () => projectorCaughtUp('projector-restarted'),
      'the restarted projector to catch up',
    );

    const rebuilt = {
      endpoints: new Map<string, EndpointView>(),
      keyRings: new Map<string, KeyRingView>(),
    };
    for (const event of await allEvents()) {
      const change = project(event, {
        endpointView: rebuilt.endpoints.get(event.stream.replace(/^[^-]+-/, '')),
        keyRing: rebuilt.keyRings.get(event.stream.replace(/^[^-]+-/, '')),
      });
      if (change?.endpointView) rebuilt.endpoints.set(change.endpointId, change.endpointView);
      if (change?.keyRing) rebuilt.keyRings.set(change.endpointId, change.keyRing);
    }
    expect(await bucketContents<EndpointView>(BUCKETS.endpoints)).toEqual(rebuilt.endpoints);
    expect(await bucketContents<KeyRingView>(BUCKETS.keyRing)).toEqual(rebuilt.keyRings);
    expect(rebuilt.endpoints.get(ids[5])?.status).toBe('deleted');
  });

  it('given the expiry service restarted before a due time and a second instance, the key expires exactly once', async () => {
    const { endpoint } = await register();
    await rotor.startOne('expiry', 'expiry-a');
    await rotate(endpoint.id, 2);
    const scheduled = (instance: string) =>
      rotor.get(instance, ExpirySchedulerService).pending.some((d) => d.endpointId === endpoint.id);
    await waitFor(() => scheduled('expiry-a'), 'the first scheduler to plan the expiry');
    await rotor.stop('expiry-a');

    // A fresh instance rebuilds its schedule from the views; a second one runs beside it.
    await rotor.startOne('expiry', 'expiry-b');
    await rotor.startOne('expiry', 'expiry-c');
    expect(scheduled('expiry-b') && scheduled('expiry-c')).toBe(true);

    const expiries = async () =>
      (await rotor.store.read(endpointStreamName(endpoint.id))).filter(
        (e) => e.type === 'PreviousSecretExpired',
      );
    await waitFor(async () => (await expiries()).length > 0, 'the expiry event', 15_000);
    // Both instances fired (or saw the view change): nothing is left that could write again.
    await waitFor(
      () => !scheduled('expiry-b') && !scheduled('expiry-c'),
      'both schedulers to settle',
      15_000,
    );
    const sent =
      rotor.get('expiry-b', ExpirySchedulerService).sent +
      rotor.get('expiry-c', ExpirySchedulerService).sent;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(await expiries()).toHaveLength(1);
    expect((await expiries())[0].data).toMatchObject({ reason: 'grace_period_elapsed' });
  });
});
