import { BUCKETS, SUBJECTS, type RegisterEndpointReply } from '@rotor/contracts';
import { START } from '@rotor/event-store';
import { JetStreamKvFactory, connectNats, drainNats, type NatsConnection } from '@rotor/messaging';
import type { EndpointView } from '@rotor/projections';
import { describeWithNats, waitFor } from '@rotor/testing';
import { randomUUID } from 'node:crypto';
import { ProjectorService } from '../../projector/src/projector.service';
import { RotorServices } from '../../../test/services/rotor-services';
import { runCli } from './cli-fixture';

/** `projections rebuild` against a live distributed setup: compare, then repair with --write. */
describeWithNats('cli projections rebuild (child process, NATS, sqlite)', (natsUrl) => {
  let rotor: RotorServices;
  let nats: NatsConnection;
  const env = () => ({
    SQLITE_PATH: rotor.sqlitePath,
    ROTOR_KEK_RING: rotor.kekRingText,
    NATS_URL: natsUrl(),
  });

  beforeAll(async () => {
    rotor = new RotorServices(natsUrl());
    await rotor.start('command', 'projector');
    nats = await connectNats({ url: natsUrl(), name: 'cli-projections-test' });
    for (let i = 0; i < 4; i++) {
      const { endpoint } = await rotor.client.request<unknown, RegisterEndpointReply>(
        SUBJECTS.command.registerEndpoint,
        {
          meta: { actor: 'test', requestId: randomUUID() },
          tenantId: 'acme',
        },
      );
      await rotor.client.request(SUBJECTS.command.rotateSecret, {
        meta: { actor: 'test', requestId: randomUUID() },
        endpointId: endpoint.id,
        expireCurrentIn: i * 60,
      });
    }
    const last = async () => {
      let position: string | undefined;
      for await (const e of rotor.store.readAll(START)) position = e.position;
      return position;
    };
    await waitFor(
      async () => rotor.get('projector', ProjectorService).lastPosition === (await last()),
      'the projector to catch up',
    );
  });
  afterAll(async () => {
    await drainNats(nats);
    await rotor.close();
  });

  it('finds the live views equal to a rebuild, reports a tampered view, and --write repairs it', async () => {
    const clean = await runCli(['projections', 'rebuild', '--compare', '--json'], env());
    expect(clean.code).toBe(0);
    const report = JSON.parse(clean.stdout);
    expect(report).toMatchObject({ endpoints: 4, key_rings: 4, differences: [] });
    expect(report.events).toBeGreaterThanOrEqual(4 * 2 + 4);
    expect(report.events_per_second).toBeGreaterThan(0);

    await rotor.stop('projector');
    const endpoints = await new JetStreamKvFactory(nats).bucket<EndpointView>(BUCKETS.endpoints);
    const [someKey] = await endpoints.keys();
    await endpoints.put(someKey, { ...(await endpoints.get(someKey))!, url: 'https://evil.test' });

    const drifted = await runCli(['projections', 'rebuild', '--compare', '--json'], env());
    expect(drifted.code).toBe(1);
    expect(JSON.parse(drifted.stdout).differences).toHaveLength(1);

    expect((await runCli(['projections', 'rebuild', '--write'], env())).code).toBe(0);
    expect((await endpoints.get(someKey))?.url).toBeUndefined();
    expect((await runCli(['projections', 'rebuild', '--compare'], env())).code).toBe(0);
  });
});
