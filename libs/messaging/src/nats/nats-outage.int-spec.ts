import type { INestMicroservice } from '@nestjs/common';
import { findNatsServer, startNatsServer, waitFor, type NatsForTests } from '@rotor/testing';
import { CALLER, FIXTURE, QUEUE, startFixture } from '../../test/rpc-fixture';
import { natsServerOptions } from '../nest/transport';
import { isRpcUnavailable } from '../rpc-errors';
import { connectNats, drainNats, type NatsConnection } from './nats-connection';
import { NatsRpcClient } from './nats-rpc-client';

/**
 * Issue 10: the RPC client gave up after about 20 s of NATS outage (nats.js's default of 10
 * reconnect attempts). Here nats-server goes away for longer than 10 attempts and comes back
 * on the same port: the same client and the same serving microservice answer again, without
 * a restart. This suite stops and starts its own server, so it never uses NATS_URL's.
 */
const binary = findNatsServer();
const suite = binary ? describe : describe.skip;
if (!binary) console.log('SKIPPED: NATS outage: no nats-server on PATH');

/** nats.js gives up after this many attempts by default; we must outlast it. */
const NATS_JS_DEFAULT_ATTEMPTS = 10;

suite('the RPC client and server across a NATS outage', () => {
  let nats: NatsForTests | undefined;
  let connection: NatsConnection | undefined;
  let app: INestMicroservice | undefined;

  afterEach(async () => {
    await app?.close();
    if (connection) await drainNats(connection);
    await nats?.stop();
  });

  it(`answers again after an outage of more than ${NATS_JS_DEFAULT_ATTEMPTS} reconnect attempts`, async () => {
    nats = await startNatsServer(binary!);
    const { url } = nats;
    const port = Number(new URL(url).port);
    app = await startFixture(natsServerOptions({ url, queue: QUEUE, gracePeriodMs: 10 }), 'a');
    connection = await connectNats({ url, name: 'rotor-outage-test', caller: CALLER });
    const client = new NatsRpcClient(connection, CALLER);
    let attempts = 0;
    void (async () => {
      for await (const status of connection.status())
        if (status.type === 'reconnecting') attempts++;
    })();
    await expect(
      client.request(FIXTURE.echo, { n: 1 }, { timeoutMs: 5_000 }),
    ).resolves.toMatchObject({ data: { n: 1 } });

    await nats.stop();
    const during = await client
      .request(FIXTURE.echo, {}, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(isRpcUnavailable(during)).toBe(true);
    await waitFor(
      () => attempts > NATS_JS_DEFAULT_ATTEMPTS,
      `more than ${NATS_JS_DEFAULT_ATTEMPTS} reconnect attempts`,
      40_000,
    );
    expect(connection.isClosed()).toBe(false);

    nats = await startNatsServer(binary!, { port });
    const reply = await waitFor(
      () => client.request(FIXTURE.echo, { n: 2 }, { timeoutMs: 500 }).catch(() => undefined),
      'a reply once NATS is back',
      30_000,
    );
    expect(reply).toMatchObject({ data: { n: 2 }, caller: CALLER });
  });
});
