import type { INestMicroservice } from '@nestjs/common';
import { ClientNats, type ClientProxy } from '@nestjs/microservices';
import { describeWithNats } from '@rotor/testing';
import type { NatsConnection } from 'nats';
import { firstValueFrom } from 'rxjs';
import { CallLog, FIXTURE, QUEUE, startFixture } from '../../test/rpc-fixture';
import { rpcTransportContract } from '../../test/rpc-transport.contract';
import { InProcessBus } from '../in-process/in-process-bus';
import { InProcessClient } from '../in-process/in-process.transport';
import { inProcessServerOptions, natsClientProvider, natsServerOptions } from '../nest/transport';
import { NestRpcClient } from '../rpc-client';

describeWithNats('Nest over NATS', (getUrl) => {
  let client: ClientProxy;
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

  beforeEach(() => {
    const provider = natsClientProvider('CLIENT', getUrl(), { name: 'rotor-test-client' });
    client = provider.useFactory() as ClientProxy;
  });

  afterEach(async () => {
    await client.close();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('the transport contract', () => {
    beforeEach(() => serve('a'));
    rpcTransportContract(() => client);
  });

  it('two instances in one queue group: every request answered once', async () => {
    const log = new CallLog();
    const servers = [await serve('a', log), await serve('b', log)];
    const rpc = new NestRpcClient(client);

    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        rpc.request<{ n: number }, { data: { n: number } }>(
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

  it('an error reply is the very same object over NATS and in-process', async () => {
    await serve('a');
    const bus = new InProcessBus();
    apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'a'));
    const inProcess = new InProcessClient(bus);
    const errorOf = (via: ClientProxy, subject: string) =>
      firstValueFrom(via.send(subject, { some: 'payload' })).catch((e: unknown) => e);

    for (const subject of [FIXTURE.refuse, FIXTURE.crash]) {
      const overNats = await errorOf(client, subject);
      const overBus = await errorOf(inProcess, subject);
      expect(overBus).toStrictEqual(overNats);
    }
    expect(
      await firstValueFrom(inProcess.send(FIXTURE.inspect, { nested: { x: 1 } })),
    ).toStrictEqual(await firstValueFrom(client.send(FIXTURE.inspect, { nested: { x: 1 } })));
  });

  it('the client provider is a ClientNats that closes with the application', () => {
    expect(client).toBeInstanceOf(ClientNats);
    expect(
      typeof (client as unknown as { onApplicationShutdown: unknown }).onApplicationShutdown,
    ).toBe('function');
  });
});
