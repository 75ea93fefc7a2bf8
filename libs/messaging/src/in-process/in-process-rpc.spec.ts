import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Transport } from '@nestjs/microservices';
import { waitFor } from '@rotor/testing';
import { CALLER, CallLog, FIXTURE, QUEUE, startFixture } from '../../test/rpc-fixture';
import { rpcTransportContract } from '../../test/rpc-transport.contract';
import { inProcessServerOptions } from '../nest/transport';
import { InProcessBus } from './in-process-bus';
import { InProcessRpcClient } from './in-process-rpc';

describe('in-process transport', () => {
  let bus: InProcessBus;
  let client: InProcessRpcClient;
  const apps: INestMicroservice[] = [];

  beforeEach(() => {
    bus = new InProcessBus();
    client = new InProcessRpcClient(bus, CALLER);
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('the transport contract', () => {
    beforeEach(async () => {
      apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'a'));
    });
    rpcTransportContract(() => ({
      client,
      raw: (subject, body, caller = CALLER) =>
        new Promise<string>((resolve) => bus.publish(`${subject}.${caller}`, body, resolve)),
      publish: (subject, body) => void bus.publish(`${subject}.${CALLER}`, body),
    }));
  });

  it('a queue group answers each request once, sharing the load', async () => {
    const log = new CallLog();
    apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'a', log));
    apps.push(await startFixture(inProcessServerOptions(bus, QUEUE), 'b', log));

    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        client.request(FIXTURE.echo, { n }, { timeoutMs: 1_000 }),
      ),
    );

    expect(replies).toHaveLength(10);
    expect(log.calls.map((c) => c.request)).toEqual(Array.from({ length: 10 }, (_, n) => ({ n })));
    expect(new Set(log.calls.map((c) => c.instance))).toEqual(new Set(['a', 'b']));
  });

  it('binds handlers declared for Transport.NATS', async () => {
    @Controller()
    class NatsOnlyController {
      @MessagePattern('rotor.test.nats-only', Transport.NATS)
      natsOnly() {
        return { bound: true };
      }
    }
    apps.push(
      await startFixture(inProcessServerOptions(bus), 'a', new CallLog(), NatsOnlyController),
    );

    await expect(client.request('rotor.test.nats-only', {}, { timeoutMs: 1_000 })).resolves.toEqual(
      { bound: true },
    );
  });

  it('a request without a reply in time fails with RpcTimeoutError', async () => {
    bus.subscribe(`${FIXTURE.unserved}.*`, () => undefined);
    await expect(client.request(FIXTURE.unserved, {}, { timeoutMs: 20 })).rejects.toMatchObject({
      name: 'RpcTimeoutError',
      timeoutMs: 20,
    });
  });

  it('stops serving once the microservice is closed', async () => {
    const app = await startFixture(inProcessServerOptions(bus, QUEUE), 'a');
    expect(bus.subjects()).toContain(`${FIXTURE.echo}.*`);
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

  it('matches `<prefix>.*` against one last token, and tells the listener the subject', async () => {
    const bus = new InProcessBus();
    const got: string[] = [];
    bus.subscribe('a.b.*', (_raw, _reply, subject) => got.push(subject));

    expect(bus.publish('a.b.gateway', '{}')).toBe(1);
    expect(bus.publish('a.b', '{}')).toBe(0);
    expect(bus.publish('a.b.c.d', '{}')).toBe(0);
    await waitFor(() => got.length === 1, 'one delivery');
    expect(got).toEqual(['a.b.gateway']);
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
