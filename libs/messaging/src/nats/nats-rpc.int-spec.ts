import type { INestMicroservice } from '@nestjs/common';
import { describeWithNats, waitFor } from '@rotor/testing';
import { connect, type NatsConnection } from 'nats';
import { CALLER, CallLog, FIXTURE, QUEUE, startFixture } from '../../test/rpc-fixture';
import { MALFORMED, rpcTransportContract } from '../../test/rpc-transport.contract';
import { InProcessBus } from '../in-process/in-process-bus';
import { InProcessRpcClient } from '../in-process/in-process-rpc';
import { inProcessServerOptions, natsServerOptions } from '../nest/transport';
import type { RpcClient } from '../rpc-client';
import { connectNats, drainNats, NATS_RECONNECT_OPTIONS } from './nats-connection';
import { NatsRpcClient } from './nats-rpc-client';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describeWithNats('Rotor RPC over NATS', (getUrl) => {
  let connection: NatsConnection;
  let client: NatsRpcClient;
  const apps: INestMicroservice[] = [];
  const serve = async (instance: string, log = new CallLog()) => {
    const app = await startFixture(
      natsServerOptions({
        url: getUrl(),
        queue: QUEUE,
        name: `rotor-test-${instance}`,
        gracePeriodMs: 10,
      }),
      instance,
      log,
    );
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    connection = await connectNats({ url: getUrl(), name: 'rotor-test-client', caller: CALLER });
    client = new NatsRpcClient(connection, CALLER);
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await drainNats(connection);
  });

  describe('the transport contract', () => {
    beforeEach(() => serve('a'));
    rpcTransportContract(() => ({
      client,
      raw: async (subject, body, caller = CALLER) =>
        decoder.decode(
          (
            await connection.request(`${subject}.${caller}`, encoder.encode(body), {
              timeout: 5_000,
            })
          ).data,
        ),
      publish: (subject, body) => connection.publish(`${subject}.${CALLER}`, encoder.encode(body)),
    }));
  });

  it('replies arrive under the caller inbox prefix _INBOX_<caller>', async () => {
    await serve('a');
    const spy = await connect({ servers: getUrl() });
    const seen: string[] = [];
    spy.subscribe(`_INBOX_${CALLER}.>`, { callback: (_e, msg) => seen.push(msg.subject) });
    await spy.flush();
    await client.request(FIXTURE.echo, {}, { timeoutMs: 5_000 });
    await waitFor(() => seen.length === 1, 'the reply seen under the prefix');
    expect(seen[0].startsWith(`_INBOX_${CALLER}.`)).toBe(true);
    await spy.close();
  });

  it('answers binary bodies with 400 invalid_request', async () => {
    await serve('a');
    for (const body of [new Uint8Array([0xff, 0xfe, 0x00]), new Uint8Array([0x7b, 0xc3])]) {
      const reply = await connection.request(`${FIXTURE.echo}.${CALLER}`, body, { timeout: 5_000 });
      expect(JSON.parse(decoder.decode(reply.data))).toStrictEqual({
        error: {
          code: 'invalid_request',
          message: 'the request is not UTF-8 text',
          status: 400,
          errors: [],
        },
      });
    }
  });

  it('two instances in one queue group: every request answered once', async () => {
    const log = new CallLog();
    const servers = [await serve('a', log), await serve('b', log)];

    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        client.request<{ n: number }, { data: { n: number } }>(
          FIXTURE.echo,
          { n },
          { timeoutMs: 5_000 },
        ),
      ),
    );
    // Whatever either server was sent has been handled once both have answered a PING.
    await Promise.all(servers.map((app) => app.unwrap<NatsConnection>().flush()));

    expect(replies.map((r) => r.data.n)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(log.calls.map((c) => (c.request as { n: number }).n).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, n) => n),
    );
  });

  it('gives the very same reply text as the in-process bus, for every fixture subject', async () => {
    await serve('a');
    const bus = new InProcessBus();
    apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'a'));
    const overNats = async (subject: string, body: string) =>
      decoder.decode(
        (await connection.request(`${subject}.${CALLER}`, encoder.encode(body), { timeout: 5_000 }))
          .data,
      );
    const overBus = (subject: string, body: string) =>
      new Promise<string>((resolve) => bus.publish(`${subject}.${CALLER}`, body, resolve));
    const cases: Array<readonly [string, string]> = [
      [FIXTURE.echo, '{"hello":"world"}'],
      [FIXTURE.refuse, '{}'],
      [FIXTURE.crash, '{}'],
      [FIXTURE.nothing, '{}'],
      [FIXTURE.validated, '{"endpointId":42}'],
      [FIXTURE.inspect, '{"nested":{"x":1}}'],
      ...MALFORMED.map(([body]) => [FIXTURE.echo, body] as const),
    ];
    for (const [subject, body] of cases)
      expect({ subject, body, reply: await overBus(subject, body) }).toEqual({
        subject,
        body,
        reply: await overNats(subject, body),
      });
  });

  it('a service that goes away is "no responders" at once, and is called again once back', async () => {
    // NATS outages: nats-outage.int-spec.ts; the reconnect settings are unlimited.
    expect(NATS_RECONNECT_OPTIONS.maxReconnectAttempts).toBe(-1);
    await serve('a');
    await expect(client.request(FIXTURE.echo, {}, { timeoutMs: 5_000 })).resolves.toBeDefined();
    const app = apps.pop()!;
    await app.close();
    await expect(client.request(FIXTURE.echo, {}, { timeoutMs: 5_000 })).rejects.toMatchObject({
      noResponders: true,
    });
    await serve('b');
    await expect(client.request(FIXTURE.echo, {}, { timeoutMs: 5_000 })).resolves.toMatchObject({
      instance: 'b',
    });
  });

  it('in-process and NATS clients are interchangeable behind RpcClient', async () => {
    await serve('a');
    const bus = new InProcessBus();
    apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'a'));
    const clients: RpcClient[] = [client, new InProcessRpcClient(bus, CALLER)];
    const replies = await Promise.all(
      clients.map((c) => c.request(FIXTURE.inspect, { nested: { x: 1 } }, { timeoutMs: 5_000 })),
    );
    expect(replies[0]).toStrictEqual(replies[1]);
  });
});
