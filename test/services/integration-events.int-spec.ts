import {
  INTEGRATION_EVENTS,
  SUBJECTS,
  type IntegrationEvent,
  type RegisterEndpointReply,
} from '@rotor/contracts';
import { ENDPOINT_STREAM_CATEGORY } from '@rotor/domain';
import { START, type RecordedEvent } from '@rotor/event-store';
import { connectNats, drainNats, JetStreamKvFactory, type NatsConnection } from '@rotor/messaging';
import { integrationEventId } from '@rotor/projections';
import { describeWithNats, waitFor } from '@rotor/testing';
import { AckPolicy, DeliverPolicy, JSONCodec } from 'nats';
import { randomUUID } from 'node:crypto';
import { IntegrationEventsPublisher } from '../../services/projector/src/integration-events.publisher';
import {
  CHECKPOINT_KEY,
  PROJECTOR_STATE_BUCKET,
} from '../../services/projector/src/projector.constants';
import { RotorServices } from './rotor-services';

const meta = () => ({ actor: 'test-suite', requestId: randomUUID() });
const codec = JSONCodec<IntegrationEvent>();

/**
 * The integration events on a real nats-server, read back the way a platform service would:
 * a JetStream consumer of ROTOR_EVENTS. One message per store event, in store order, never
 * a secret, and still exactly one after the projector restarts and after its views are
 * rebuilt from the start.
 */
describeWithNats('integration events on JetStream (int)', (natsUrl) => {
  let rotor: RotorServices;
  let nats: NatsConnection;

  beforeAll(async () => {
    rotor = new RotorServices(natsUrl());
    await rotor.start('command', 'projector');
    nats = await connectNats({ url: natsUrl(), name: 'integration-events-test' });
  });
  afterAll(async () => {
    await drainNats(nats);
    await rotor.close();
  });

  const register = async (tenantId: string) =>
    (
      await rotor.client.request<unknown, RegisterEndpointReply>(
        SUBJECTS.command.registerEndpoint,
        { meta: meta(), tenantId },
      )
    ).endpoint.id;
  const rotate = (endpointId: string) =>
    rotor.client.request(SUBJECTS.command.rotateSecret, {
      meta: meta(),
      endpointId,
      expireCurrentIn: 0,
      force: true,
    });
  const remove = (endpointId: string) =>
    rotor.client.request(SUBJECTS.command.deleteEndpoint, { meta: meta(), endpointId });

  const storeEvents = async (): Promise<RecordedEvent[]> => {
    const events: RecordedEvent[] = [];
    for await (const e of rotor.store.readAll(START, {
      streamPrefixes: [`${ENDPOINT_STREAM_CATEGORY}-`],
    }))
      events.push(e);
    return events;
  };
  /** Everything the stream holds for `filter`, from its first message, as a consumer reads it. */
  const consume = async (filter = `${INTEGRATION_EVENTS.subjectPrefix}.>`) => {
    const js = nats.jetstream();
    const jsm = await nats.jetstreamManager();
    const name = `test-${randomUUID().slice(0, 8)}`;
    await jsm.consumers.add(INTEGRATION_EVENTS.stream, {
      name,
      filter_subject: filter,
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.Explicit,
    });
    const consumer = await js.consumers.get(INTEGRATION_EVENTS.stream, name);
    const pending = (await consumer.info()).num_pending;
    const received: { subject: string; msgId: string | undefined; event: IntegrationEvent }[] = [];
    if (pending > 0) {
      const batch = await consumer.fetch({ max_messages: pending, expires: 5_000 });
      for await (const message of batch) {
        received.push({
          subject: message.subject,
          msgId: message.headers?.get('Nats-Msg-Id'),
          event: codec.decode(message.data),
        });
        message.ack();
      }
    }
    await jsm.consumers.delete(INTEGRATION_EVENTS.stream, name);
    return received;
  };
  const publishedAll = async () => {
    const expected = (await storeEvents()).length;
    await waitFor(
      async () => (await consume()).length >= expected,
      `all ${expected} store events on ROTOR_EVENTS`,
      15_000,
      100,
    );
  };

  it('publishes each store event once, in order, with the tenant in its subject and no secret', async () => {
    const acme = await register('acme');
    await rotate(acme);
    const globex = await register('globex');
    await remove(globex);
    await publishedAll();

    const stored = await storeEvents();
    const received = await consume();
    expect(received.map((r) => r.event.id)).toEqual(stored.map(integrationEventId));
    expect(received.map((r) => r.msgId)).toEqual(stored.map(integrationEventId));
    expect(received.map((r) => r.subject)).toEqual([
      'rotor.events.acme.endpoint.registered',
      'rotor.events.acme.secret.rotated',
      'rotor.events.acme.previous_secret.expired',
      'rotor.events.globex.endpoint.registered',
      'rotor.events.globex.endpoint.deleted',
    ]);
    const rotated = received[1].event;
    expect(rotated).toMatchObject({
      type: 'secret.rotated',
      version: 1,
      endpointId: acme,
      tenantId: 'acme',
      actor: expect.any(String),
      key: {
        keyId: expect.stringMatching(/^key_/),
        hint: expect.stringMatching(/^whsec_…/),
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
      previousKeyId: expect.stringMatching(/^key_/),
    });
    expect(received[2].event).toMatchObject({ reason: 'grace_period_elapsed' });
    for (const { event } of received)
      expect(JSON.stringify(event)).not.toMatch(/whsec_[A-Za-z0-9+/]{8}|ciphertext|wrapped/i);

    // A consumer may take one tenant only.
    expect((await consume('rotor.events.globex.>')).map((r) => r.event.type)).toEqual([
      'endpoint.registered',
      'endpoint.deleted',
    ]);
  });

  it('after a projector restart and after a rebuild of the views from the start, still exactly once', async () => {
    const endpoint = await register('acme');
    await publishedAll();

    await rotor.stop('projector');
    await rotate(endpoint); // written while no projector runs
    await rotor.start('projector');
    await rotate(endpoint);
    await publishedAll();

    // A rebuild: the projector's checkpoint is gone, so it replays the whole store into the
    // views. The publisher resumes from the stream's last message, not from the checkpoint.
    await rotor.stop('projector');
    await new JetStreamKvFactory(nats)
      .bucket<{ position: string }>(PROJECTOR_STATE_BUCKET)
      .then((bucket) => bucket.delete(CHECKPOINT_KEY));
    await rotor.start('projector');
    await rotate(endpoint);
    await publishedAll();
    // It published just the rotation's two events (SecretRotated, PreviousSecretExpired), not
    // the whole store again: JetStream's duplicate window alone would hide a re-publish here.
    expect(rotor.get('projector', IntegrationEventsPublisher).published).toBe(2);

    const stored = await storeEvents();
    const received = await consume();
    expect(received.map((r) => r.event.id)).toEqual(stored.map(integrationEventId));
  });
});
