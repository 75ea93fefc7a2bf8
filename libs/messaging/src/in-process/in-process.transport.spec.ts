import { Controller, type INestMicroservice } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { waitFor } from '@rotor/testing';
import { CallLog, FIXTURE, QUEUE, startFixture } from '../../test/rpc-fixture';
import { rpcTransportContract } from '../../test/rpc-transport.contract';
import { inProcessServerOptions } from '../nest/transport';
import { NestRpcClient } from '../rpc-client';
import { InProcessBus } from './in-process-bus';
import { InProcessClient } from './in-process.transport';

describe('in-process transport', () => {
  let bus: InProcessBus;
  let client: InProcessClient;
  const apps: INestMicroservice[] = [];

  beforeEach(() => {
    bus = new InProcessBus();
    client = new InProcessClient(bus);
  });

  afterEach(async () => {
    await client.close();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('the transport contract', () => {
    beforeEach(async () => {
      apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'a'));
    });
    rpcTransportContract(() => client);
  });

  it('a queue group answers each request once, sharing the load', async () => {
    const log = new CallLog();
    apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'a', log));
    apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'b', log));
    const rpc = new NestRpcClient(client);

    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, n) => rpc.request(FIXTURE.echo, { n }, { timeoutMs: 1_000 })),
    );

    expect(replies).toHaveLength(10);
    expect(log.calls.map((c) => c.request)).toEqual(Array.from({ length: 10 }, (_, n) => ({ n })));
    expect(new Set(log.calls.map((c) => c.instance))).toEqual(new Set(['a', 'b']));
  });

  it('binds handlers declared for Transport.NATS, and delivers events', async () => {
    const seen: unknown[] = [];
    @Controller()
    class NatsOnlyController {
      @MessagePattern('rotor.test.nats-only', Transport.NATS)
      natsOnly() {
        return 'bound';
      }

      @EventPattern('rotor.test.happened')
      happened(@Payload() data: unknown) {
        seen.push(data);
      }
    }
    apps.push(
      await startFixture(inProcessServerOptions(bus), 'a', new CallLog(), NatsOnlyController),
    );
    const rpc = new NestRpcClient(client);

    await expect(rpc.request('rotor.test.nats-only', {}, { timeoutMs: 1_000 })).resolves.toBe(
      'bound',
    );
    client.emit('rotor.test.happened', { at: new Date(0) }).subscribe();
    await waitFor(() => seen.length === 1, 'the event');
    expect(seen).toStrictEqual([{ at: '1970-01-01T00:00:00.000Z' }]);
  });

  it('stops serving once the microservice is closed', async () => {
    const app = await startFixture(inProcessServerOptions(bus, QUEUE), 'a');
    expect(bus.subjects()).toContain(FIXTURE.echo);
    await app.close();
    expect(bus.subjects()).toEqual([]);
  });
});

describe('InProcessBus', () => {
  it('delivers to every plain subscriber and to one member per queue group, in turn', async () => {
    const bus = new InProcessBus();
    const got: string[] = [];
    bus.subscribe('s', () => got.push('plain'));
    bus.subscribe('s', () => got.push('q1-a'), 'q1');
    bus.subscribe('s', () => got.push('q1-b'), 'q1');
    bus.subscribe('s', () => got.push('q2'), 'q2');

    expect(bus.publish('s', '{}')).toBe(3);
    expect(bus.publish('s', '{}')).toBe(3);
    expect(got).toEqual([]); // asynchronous, as over a socket
    await waitFor(() => got.length === 6, 'six deliveries');

    expect(got.sort()).toEqual(['plain', 'plain', 'q1-a', 'q1-b', 'q2', 'q2']);
    expect(bus.publish('nobody', '{}')).toBe(0);
  });

  it('unsubscribing stops delivery', async () => {
    const bus = new InProcessBus();
    const got: string[] = [];
    const unsubscribe = bus.subscribe('s', (raw) => got.push(raw));
    unsubscribe();
    expect(bus.publish('s', '"x"')).toBe(0);
    expect(bus.subjects()).toEqual([]);
  });
});
