import { BUCKETS, SUBJECTS, type EndpointView, type KeyView } from '@rotor/contracts';
import {
  InMemoryKvFactory,
  RpcReplyError,
  RpcTimeoutError,
  type KvBucket,
  type RpcClient,
} from '@rotor/messaging';
import { ExpirySchedulerService, RETRY_DELAY_MS } from './expiry-scheduler.service';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const ENDPOINT = 'we_00000000000000000000000000000001';

const key = (keyId: string, status: KeyView['status'], expiresAt?: number): KeyView => ({
  keyId,
  status,
  createdAt: iso(T0),
  ...(expiresAt === undefined ? {} : { expiresAt: iso(expiresAt) }),
  hint: 'whsec_…abcd',
  fingerprint: '0123456789abcdef',
});

const view = (keys: KeyView[], version: number, status: EndpointView['status'] = 'active') => ({
  id: ENDPOINT,
  tenantId: 'acme',
  status,
  createdAt: iso(T0),
  updatedAt: iso(T0),
  keys,
  version,
});

/** The command service as the scheduler sees it: records each request, answers as told. */
class FakeCommands implements RpcClient {
  readonly requests: { subject: string; payload: Record<string, unknown> }[] = [];
  answer: () => unknown = () => ({});

  async request<TReq, TRes>(subject: string, payload: TReq): Promise<TRes> {
    this.requests.push({ subject, payload: payload as Record<string, unknown> });
    const reply = this.answer();
    if (reply instanceof Error) throw reply;
    return reply as TRes;
  }
}

/**
 * The expiry process manager, given/when/then, on the in-memory KV and fake timers: the
 * clock and the timers move only when a test moves them.
 */
describe('ExpirySchedulerService', () => {
  let kv: InMemoryKvFactory;
  let endpoints: KvBucket<EndpointView>;
  let commands: FakeCommands;
  let scheduler: ExpirySchedulerService;

  const start = async () => {
    scheduler = new ExpirySchedulerService(kv, commands, () => new Date());
    await scheduler.onApplicationBootstrap();
  };
  /** Lets the watch deliver a put (the in-memory KV delivers asynchronously). */
  const publish = async (value: EndpointView) => {
    await endpoints.put(ENDPOINT, value);
    await jest.advanceTimersByTimeAsync(0);
  };

  beforeEach(async () => {
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    kv = new InMemoryKvFactory();
    endpoints = await kv.bucket<EndpointView>(BUCKETS.endpoints);
    commands = new FakeCommands();
  });
  afterEach(async () => {
    await scheduler?.onModuleDestroy();
    jest.useRealTimers();
  });

  it('given a grace period in the views at start, sends one expiry when it ends, never before', async () => {
    await endpoints.put(
      ENDPOINT,
      view([key('key_2', 'current'), key('key_1', 'previous', T0 + 60_000)], 2),
    );
    await start();
    expect(scheduler.pending).toEqual([
      { kind: 'expire', endpointId: ENDPOINT, keyId: 'key_1', dueAt: T0 + 60_000 },
    ]);

    await jest.advanceTimersByTimeAsync(59_999);
    expect(commands.requests).toEqual([]);

    await jest.advanceTimersByTimeAsync(1);
    expect(commands.requests).toEqual([
      {
        subject: SUBJECTS.command.expirePreviousSecret,
        payload: {
          meta: { actor: 'service:expiry', requestId: expect.any(String) },
          endpointId: ENDPOINT,
          keyId: 'key_1',
        },
      },
    ]);
    expect(scheduler.pending).toEqual([]);
    await jest.advanceTimersByTimeAsync(10 * RETRY_DELAY_MS);
    expect(commands.requests).toHaveLength(1);
  });

  it('given a scheduled expiry, when the view says the key expired early (revoked), then nothing is sent', async () => {
    await start();
    await publish(view([key('key_2', 'current'), key('key_1', 'previous', T0 + 60_000)], 2));
    expect(scheduler.pending).toHaveLength(1);

    await publish(view([key('key_2', 'current'), key('key_1', 'expired', T0 + 60_000)], 3));
    await jest.advanceTimersByTimeAsync(120_000);
    expect(scheduler.pending).toEqual([]);
    expect(commands.requests).toEqual([]);
  });

  it('given a scheduled expiry, when the endpoint is deleted, then nothing is sent', async () => {
    await start();
    await publish(view([key('key_2', 'current'), key('key_1', 'previous', T0 + 1_000)], 2));
    await publish(
      view([key('key_2', 'expired'), key('key_1', 'expired', T0 + 1_000)], 3, 'deleted'),
    );
    await jest.advanceTimersByTimeAsync(5_000);
    expect(commands.requests).toEqual([]);
  });

  it('when the command service does not answer, then it tries again after RETRY_DELAY_MS', async () => {
    await start();
    commands.answer = () => new RpcTimeoutError(SUBJECTS.command.expirePreviousSecret, 3_000);
    await publish(view([key('key_2', 'current'), key('key_1', 'previous', T0 + 1_000)], 2));

    await jest.advanceTimersByTimeAsync(1_000);
    expect(commands.requests).toHaveLength(1);
    commands.answer = () => ({});
    await jest.advanceTimersByTimeAsync(RETRY_DELAY_MS - 1);
    expect(commands.requests).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(commands.requests).toHaveLength(2);
    expect(scheduler.pending).toEqual([]);
  });

  it('when the command service says the endpoint is gone, then it gives that expiry up', async () => {
    await start();
    commands.answer = () =>
      new RpcReplyError(SUBJECTS.command.expirePreviousSecret, {
        code: 'endpoint_not_found',
        message: 'no such endpoint',
        status: 404,
        errors: [],
      });
    await publish(view([key('key_2', 'current'), key('key_1', 'previous', T0 + 1_000)], 2));
    await jest.advanceTimersByTimeAsync(1_000 + 10 * RETRY_DELAY_MS);
    expect(commands.requests).toHaveLength(1);
    expect(scheduler.pending).toEqual([]);
  });

  it('given a grace period already over at start (the service was down), sends the expiry at once', async () => {
    await endpoints.put(
      ENDPOINT,
      view([key('key_2', 'current'), key('key_1', 'previous', T0 - 5_000)], 2),
    );
    await start();
    await jest.advanceTimersByTimeAsync(0);
    expect(commands.requests).toHaveLength(1);
  });
});
