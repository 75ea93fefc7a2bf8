import { connect, StringCodec, type NatsConnection } from 'nats';
import { API_KEYS_BUCKET } from '@rotor/access';
import { BUCKETS, queueGroupOf, SUBJECTS } from '@rotor/contracts';
import { JetStreamKvFactory, type KvBucket } from '@rotor/messaging';
import { waitFor } from '@rotor/testing';
import { PROJECTOR_STATE_BUCKET } from '../../services/projector/src/projector.constants';
import {
  describeWithNatsServer,
  startRotorNatsServer,
  type RotorNatsServer,
} from './rotor-nats-server';
import type { RotorService } from './service-needs';

/**
 * deploy/nats/nats.conf on a real nats-server: each service's user does what that service
 * does (through the same JetStream KV adapter the services use) without one permission
 * error, and the server refuses what the user must not do. compose.spec.ts checks the
 * same file against the table statically; this proves the server reads it the same way.
 * Connects with `user`/`pass` options: nats.js 2.x ignores credentials written in the URL.
 */
const codec = StringCodec();

interface Client {
  readonly connection: NatsConnection;
  readonly kv: JetStreamKvFactory;
  /** Permission errors the server reported on this connection. */
  readonly violations: string[];
}

describeWithNatsServer('deploy/nats/nats.conf on nats-server: one user per service', () => {
  let server: RotorNatsServer;
  const clients: NatsConnection[] = [];

  const clientOf = async (service: RotorService): Promise<Client> => {
    const connection = await connect({
      servers: server.url,
      ...server.credentialsOf(service),
      name: `rotor-${service}-permissions-test`,
    });
    clients.push(connection);
    const violations: string[] = [];
    void (async () => {
      for await (const status of connection.status())
        if (status.type === 'error') violations.push(String(status.data));
    })();
    return { connection, kv: new JetStreamKvFactory(connection), violations };
  };

  /** Answers every request on `subject` in the service's queue group, as Nest's NATS server does. */
  const serve = (client: Client, service: RotorService, subject: string): void => {
    client.connection.subscribe(subject, {
      queue: queueGroupOf(service as 'command' | 'signer' | 'query'),
      callback: (_error, message) => message.respond(codec.encode(`${service}:${message.subject}`)),
    });
  };

  beforeAll(async () => {
    server = await startRotorNatsServer();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((connection) => connection.close()));
    await server?.stop();
  }, 30_000);

  it('lets every service do its part: serve, call, write and watch the buckets', async () => {
    const [command, projector, expiry, signer, query, gateway] = await Promise.all(
      (['command', 'projector', 'expiry', 'signer', 'query', 'gateway'] as const).map(clientOf),
    );

    // The projector writes every view.
    const written: Record<string, KvBucket<{ n: number }>> = {};
    for (const name of [
      BUCKETS.endpoints,
      BUCKETS.keyRing,
      PROJECTOR_STATE_BUCKET,
      API_KEYS_BUCKET,
    ]) {
      written[name] = await projector.kv.bucket<{ n: number }>(name);
      await written[name].put('we_1', { n: 1 });
      await written[name].put('gone', { n: 0 });
      await written[name].delete('gone');
      expect(await written[name].get('we_1')).toEqual({ n: 1 });
    }

    // The readers watch theirs and see the projector's writes, then a later one.
    const watchers = [
      [signer, BUCKETS.keyRing],
      [query, BUCKETS.endpoints],
      [expiry, BUCKETS.endpoints],
      [gateway, API_KEYS_BUCKET],
    ] as const;
    const seen = await Promise.all(
      watchers.map(async ([client, name]) => {
        const values = new Map<string, number | undefined>();
        const bucket = await client.kv.bucket<{ n: number }>(name);
        const watch = await bucket.watch((entry) => values.set(entry.key, entry.value?.n));
        expect(await bucket.get('we_1')).toEqual({ n: 1 });
        expect(await bucket.keys()).toEqual(['we_1']);
        return { name, values, watch };
      }),
    );
    for (const name of [BUCKETS.keyRing, BUCKETS.endpoints, API_KEYS_BUCKET])
      await written[name].put('we_1', { n: 2 });
    for (const { name, values } of seen)
      await waitFor(() => values.get('we_1') === 2, `the update of ${name} reaching its watcher`);
    await Promise.all(seen.map(({ watch }) => watch.stop()));

    // Request-reply: the callers reach the servers, the replies come back.
    for (const subject of Object.values(SUBJECTS.command)) serve(command, 'command', subject);
    for (const subject of Object.values(SUBJECTS.signer)) serve(signer, 'signer', subject);
    for (const subject of Object.values(SUBJECTS.query)) serve(query, 'query', subject);
    await Promise.all([command, signer, query].map((client) => client.connection.flush()));
    const ask = async (client: Client, subject: string): Promise<string> =>
      codec.decode(
        (await client.connection.request(subject, codec.encode('{}'), { timeout: 5_000 })).data,
      );
    expect(await ask(gateway, SUBJECTS.command.rotateSecret)).toBe(
      `command:${SUBJECTS.command.rotateSecret}`,
    );
    expect(await ask(gateway, SUBJECTS.signer.sign)).toBe(`signer:${SUBJECTS.signer.sign}`);
    expect(await ask(gateway, SUBJECTS.query.getEndpoint)).toBe(
      `query:${SUBJECTS.query.getEndpoint}`,
    );
    expect(await ask(expiry, SUBJECTS.command.expirePreviousSecret)).toBe(
      `command:${SUBJECTS.command.expirePreviousSecret}`,
    );

    const clients = { command, projector, expiry, signer, query, gateway };
    await Promise.all(Object.values(clients).map((client) => client.connection.flush()));
    expect(
      Object.fromEntries(Object.entries(clients).map(([name, c]) => [name, c.violations])),
    ).toEqual({
      command: [],
      projector: [],
      expiry: [],
      signer: [],
      query: [],
      gateway: [],
    });
  });

  it('refuses what a service does not need', async () => {
    const signer = await clientOf('signer');
    signer.connection.publish(SUBJECTS.command.rotateSecret, codec.encode('{}'));
    await signer.connection.flush();
    await waitFor(() => signer.violations.length > 0, 'the server to refuse the signer a command');
    expect(signer.violations[0]).toMatch(/PERMISSIONS_VIOLATION/);

    const query = await clientOf('query');
    const endpoints = await query.kv.bucket<{ n: number }>(BUCKETS.endpoints);
    await expect(endpoints.put('we_2', { n: 1 })).rejects.toThrow(/Permissions Violation/i);

    const gateway = await clientOf('gateway');
    await expect(
      gateway.connection.request(SUBJECTS.command.expirePreviousSecret, codec.encode('{}'), {
        timeout: 2_000,
      }),
    ).rejects.toThrow(/Permissions Violation/i);
  });

  it('refuses a wrong password', async () => {
    await expect(
      connect({ servers: server.url, user: 'gateway', pass: 'not-the-password', reconnect: false }),
    ).rejects.toThrow(/Authorization Violation/i);
  });
});
