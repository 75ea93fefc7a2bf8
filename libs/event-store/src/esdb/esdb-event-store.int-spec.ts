import { createServer, type Server, type Socket } from 'node:net';
import { START, EventStoreUnavailableError, type EventToAppend } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { waitFor } from '@rotor/testing';
import { EsdbEventStore } from './esdb-event-store';

const connectionString = process.env.ESDB_CONNECTION_STRING;
// Counted as skipped, not passed, when there is no server; and said so, loudly.
const describeIfEsdb = connectionString ? describe : describe.skip;
if (!connectionString)
  console.log(
    'SKIPPED: EventStoreDB contract suite: ESDB_CONNECTION_STRING is not set ' +
      '(docker compose up eventstore to run it)',
  );

describeIfEsdb('esdb', () => {
  describeEventStoreContract('esdb', () => new EsdbEventStore(connectionString ?? ''));
});

/**
 * Needs no EventStoreDB: a TCP server that accepts connections and never answers, the
 * case where the bare client waits for ever. Every call must fail in bounded time.
 */
describe('esdb: a server that accepts connections but never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let store: EsdbEventStore;
  const timeoutMs = 300;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  beforeEach(() => {
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    store = new EsdbEventStore(`esdb://127.0.0.1:${address.port}?tls=false`, { timeoutMs });
  });

  afterEach(() => store.close());

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const event: EventToAppend = {
    type: 'Probe',
    version: 1,
    data: { n: 1 },
    metadata: {
      actor: 'test',
      requestId: 'r',
      occurredAt: new Date().toISOString(),
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    },
  };

  it.each([
    ['append', (s: EsdbEventStore) => s.append('probe-1', [event], 'no_stream')],
    ['read', (s: EsdbEventStore) => s.read('probe-1')],
    [
      'readAll',
      async (s: EsdbEventStore) => {
        for await (const _ of s.readAll(START)) break;
      },
    ],
    ['deleteStream', (s: EsdbEventStore) => s.deleteStream('probe-1')],
  ])('%s fails with EventStoreUnavailableError instead of hanging', async (_, call) => {
    await expect(call(store)).rejects.toThrow(EventStoreUnavailableError);
  });

  it('ping answers false', async () => {
    await expect(store.ping()).resolves.toBe(false);
  });

  it('a subscription reports the store unavailable', async () => {
    let failure: Error | undefined;
    const subscription = store.subscribeAll(START, {
      onEvent: () => undefined,
      onError: (error) => {
        failure = error;
      },
    });
    await waitFor(() => failure, 'the subscription error');
    expect(failure).toBeInstanceOf(EventStoreUnavailableError);
    await subscription.close();
  });
});
