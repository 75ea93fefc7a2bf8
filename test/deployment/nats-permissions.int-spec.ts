import { connect, StringCodec, type NatsConnection } from 'nats';
import { API_KEYS_BUCKET } from '@rotor/access';
import {
  BUCKETS,
  INTEGRATION_EVENTS,
  integrationEventSubject,
  queueGroupOf,
  SUBJECTS,
} from '@rotor/contracts';
import { JetStreamEventLog, JetStreamKvFactory, type KvBucket } from '@rotor/messaging';
import { waitFor } from '@rotor/testing';
import { PROJECTOR_STATE_BUCKET } from '../../services/projector/src/projector.constants';
import {
  describeWithNatsServer,
  startRotorNatsServer,
  type RotorNatsServer,
} from './rotor-nats-server';
import {
  callSubject,
  inboxPrefixOf,
  ROTOR_SERVICES,
  SERVICE_NEEDS,
  type RotorService,
} from './service-needs';

/**
 * deploy/nats/nats.conf on a real nats-server: each service's user does what that service
 * does (through the same JetStream KV adapter the services use, with its own inbox prefix
 * and caller suffix, as the services connect) without one permission error, and the server
 * refuses every forbidden action of every user. compose.spec.ts checks the
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
      inboxPrefix: inboxPrefixOf(service),
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

  /** Answers every request on `<subject>.*` in the service's queue group, as the services do. */
  const serve = (client: Client, service: RotorService, subject: string): void => {
    client.connection.subscribe(`${subject}.*`, {
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

    // The projector owns the integration events' stream: creates it, appends, reads its tail.
    const events = new JetStreamEventLog(
      projector.connection,
      INTEGRATION_EVENTS.stream,
      INTEGRATION_EVENTS.subjectPrefix,
    );
    expect(await events.lastPosition()).toBeUndefined();
    await events.append({
      subject: integrationEventSubject('acme', 'secret.rotated'),
      id: 'webhookEndpoint-we_1@1',
      position: '7',
      body: { type: 'secret.rotated' },
    });
    expect(await events.lastPosition()).toBe('7');

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
    // Each caller publishes under its own name; the server sees that name as the last token.
    const ask = async (client: Client, caller: RotorService, subject: string): Promise<string> =>
      codec.decode(
        (
          await client.connection.request(callSubject(subject, caller), codec.encode('{}'), {
            timeout: 5_000,
          })
        ).data,
      );
    expect(await ask(gateway, 'gateway', SUBJECTS.command.rotateSecret)).toBe(
      `command:${SUBJECTS.command.rotateSecret}.gateway`,
    );
    expect(await ask(gateway, 'gateway', SUBJECTS.signer.sign)).toBe(
      `signer:${SUBJECTS.signer.sign}.gateway`,
    );
    expect(await ask(gateway, 'gateway', SUBJECTS.query.getEndpoint)).toBe(
      `query:${SUBJECTS.query.getEndpoint}.gateway`,
    );
    expect(await ask(expiry, 'expiry', SUBJECTS.command.expirePreviousSecret)).toBe(
      `command:${SUBJECTS.command.expirePreviousSecret}.expiry`,
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

  /** A request the server must refuse: the publish is a permissions violation. */
  const refusedRequest = async (client: Client, subject: string, body = '{}'): Promise<string> => {
    try {
      await client.connection.request(subject, codec.encode(body), { timeout: 2_000 });
    } catch (error) {
      return String((error as Error).message);
    }
    return `${subject}: answered`;
  };

  /** A subscription the server must refuse: nats.js hands its callback the violation. */
  const refusedSubscription = async (client: Client, subject: string): Promise<string> => {
    let refusal: string | undefined;
    let received = 0;
    const subscription = client.connection.subscribe(subject, {
      callback: (error) => {
        if (error) refusal = error.message;
        else received += 1;
      },
    });
    await client.connection.flush();
    await waitFor(() => refusal !== undefined, `the server to refuse a subscription to ${subject}`);
    subscription.unsubscribe();
    return `${refusal} (${received} received)`;
  };

  it("refuses every user another service's reply inbox, and the shared _INBOX.>", async () => {
    for (const service of ROTOR_SERVICES) {
      const client = await clientOf(service);
      for (const subject of [
        '_INBOX.>',
        '>',
        ...ROTOR_SERVICES.filter((other) => other !== service).map((o) => `${inboxPrefixOf(o)}.>`),
      ])
        expect([subject, await refusedSubscription(client, subject)]).toEqual([
          subject,
          expect.stringMatching(/Permissions Violation.* \(0 received\)$/i),
        ]);
    }
  });

  it('refuses every user sourcing a bucket into a stream: no stream update, no create but the owner', async () => {
    const projector = await clientOf('projector');
    await projector.kv.bucket(BUCKETS.keyRing);
    await projector.kv.bucket(API_KEYS_BUCKET);
    await projector.kv.bucket(BUCKETS.endpoints);
    const sources = [{ name: `KV_${BUCKETS.keyRing}` }, { name: `KV_${API_KEYS_BUCKET}` }];
    for (const service of ROTOR_SERVICES) {
      const client = await clientOf(service);
      const copy = JSON.stringify({ name: `KV_copy_${service}`, subjects: [], sources });
      expect(
        await refusedRequest(client, `$JS.API.STREAM.CREATE.KV_copy_${service}`, copy),
      ).toMatch(/Permissions Violation/i);
      for (const stream of [`KV_${BUCKETS.endpoints}`, `KV_${API_KEYS_BUCKET}`]) {
        const update = JSON.stringify({ name: stream, subjects: [], sources });
        expect(await refusedRequest(client, `$JS.API.STREAM.UPDATE.${stream}`, update)).toMatch(
          /Permissions Violation/i,
        );
      }
    }
  });

  it('refuses every user but the owner a write to rotor_api_keys and rotor_key_ring', async () => {
    for (const service of ROTOR_SERVICES.filter((candidate) => candidate !== 'projector')) {
      const client = await clientOf(service);
      for (const bucket of [API_KEYS_BUCKET, BUCKETS.keyRing])
        expect(await refusedRequest(client, `$KV.${bucket}.minted`, '{"tenantId":"t"}')).toMatch(
          /Permissions Violation/i,
        );
    }
    const query = await clientOf('query');
    const endpoints = await query.kv.bucket<{ n: number }>(BUCKETS.endpoints);
    await expect(endpoints.put('we_2', { n: 1 })).rejects.toThrow(/Permissions Violation/i);
  });

  it('refuses every user but the projector an integration event or the creation of its stream', async () => {
    for (const service of ROTOR_SERVICES.filter((candidate) => candidate !== 'projector')) {
      const client = await clientOf(service);
      for (const subject of [
        integrationEventSubject('acme', 'secret.rotated'),
        `$JS.API.STREAM.CREATE.${INTEGRATION_EVENTS.stream}`,
      ])
        expect([service, subject, await refusedRequest(client, subject)]).toEqual([
          service,
          subject,
          expect.stringMatching(/Permissions Violation/i),
        ]);
    }
  });

  it('refuses every user a command it does not send, and any request under another caller suffix', async () => {
    const every = Object.values(SUBJECTS).flatMap((group) => Object.values(group));
    for (const service of ROTOR_SERVICES) {
      const client = await clientOf(service);
      const own = new Set<string>(SERVICE_NEEDS[service].calls);
      for (const subject of every) {
        if (!own.has(subject))
          expect([subject, await refusedRequest(client, callSubject(subject, service))]).toEqual([
            subject,
            expect.stringMatching(/Permissions Violation/i),
          ]);
        // Bare, or in another's name: the identity a server reads from the subject is never forged.
        for (const forged of [
          subject,
          ...ROTOR_SERVICES.filter((o) => o !== service).map((o) => callSubject(subject, o)),
        ])
          expect([forged, await refusedRequest(client, forged)]).toEqual([
            forged,
            expect.stringMatching(/Permissions Violation/i),
          ]);
      }
    }
  }, 60_000);

  it('refuses an anonymous client', async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(
      /Authorization Violation/i,
    );
  });

  it('refuses a wrong password', async () => {
    await expect(
      connect({ servers: server.url, user: 'gateway', pass: 'not-the-password', reconnect: false }),
    ).rejects.toThrow(/Authorization Violation/i);
  });
});
