import { BUCKETS } from '@rotor/contracts';
import { SCHEDULER_ACTOR, scheduledRotationKey } from '@rotor/domain';
import { InMemoryKvFactory, type RpcClient } from '@rotor/messaging';
import type { EndpointView, KeyView } from '@rotor/projections';
import { waitFor } from '@rotor/testing';
import { dueRotations } from './expiry-schedule';
import { ExpirySchedulerService } from './expiry-scheduler.service';

const ID = 'we_550e8400e29b41d4a716446655440000';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const iso = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toISOString();
const KEY_2 = 'key_01J00000000000000000000002';
const KEY_1 = 'key_01J00000000000000000000001';

const view = (signing: string, rotationDueAt: string): EndpointView => {
  const current: KeyView = {
    keyId: KEY_2,
    status: 'current',
    createdAt: iso(-3600),
    hint: 'h',
    fingerprint: 'f',
    signing,
    rotationDueAt,
  };
  const previous: KeyView = {
    keyId: KEY_1,
    status: 'previous',
    createdAt: iso(-7200),
    expiresAt: iso(-1),
    hint: 'h',
    fingerprint: 'f',
    signing,
  };
  return {
    id: ID,
    tenantId: 'acme',
    status: 'active',
    createdAt: iso(-7200),
    updatedAt: iso(-3600),
    keys: [current, previous],
    version: 1,
    rotationPolicy: { everySeconds: 3600, graceSeconds: 600 },
    rotationDueAt,
  };
};

/**
 * The scheduler as a unit: a view in an in-memory bucket, a recording RPC client, a fixed
 * clock. What it sends, to whom, as whom and under which idempotency key.
 */
describe('ExpirySchedulerService: scheduled rotations beside expiries', () => {
  let kv: InMemoryKvFactory;
  let sent: { subject: string; payload: Record<string, unknown> }[];
  let scheduler: ExpirySchedulerService;

  const start = async (endpoint: EndpointView) => {
    kv = new InMemoryKvFactory();
    await (await kv.bucket<EndpointView>(BUCKETS.endpoints)).put(ID, endpoint);
    sent = [];
    const rpc: RpcClient = {
      request: async <TReq, TRes>(subject: string, payload: TReq) => {
        sent.push({ subject, payload: payload as Record<string, unknown> });
        return {} as TRes;
      },
    };
    scheduler = new ExpirySchedulerService(kv, rpc, () => new Date(NOW));
    await scheduler.onApplicationBootstrap();
  };
  afterEach(() => scheduler?.onModuleDestroy());

  it('given an Ed25519 endpoint whose period ended, then it sends one rotate-on-schedule as rotor-scheduler with the period key', async () => {
    await start(view('ed25519', iso(-5)));

    await waitFor(() => sent.length === 2, 'the expiry and the rotation');
    const rotation = sent.find((s) => s.subject === 'rotor.command.rotate-on-schedule');
    expect(rotation?.payload).toEqual({
      meta: {
        actor: SCHEDULER_ACTOR,
        requestId: expect.any(String),
        idempotencyKey: scheduledRotationKey(ID, KEY_2),
      },
      endpointId: ID,
      keyId: KEY_2,
    });
  });

  it('given an HMAC endpoint whose period ended, then it marks it due and never rotates it', async () => {
    await start(view('hmac-sha256', iso(-5)));

    await waitFor(() => sent.length === 2, 'the expiry and the mark');
    expect(sent.map((s) => s.subject).sort()).toEqual([
      'rotor.command.expire-previous-secret',
      'rotor.command.mark-rotation-due',
    ]);
    expect(sent.find((s) => s.subject === 'rotor.command.mark-rotation-due')?.payload).toEqual({
      meta: {
        actor: SCHEDULER_ACTOR,
        requestId: expect.any(String),
        idempotencyKey: scheduledRotationKey(ID, KEY_2),
      },
      endpointId: ID,
      keyId: KEY_2,
    });
    expect(scheduler.pending).toEqual([]);
  });

  it('given an HMAC key already marked due, then nothing more is sent for it', () => {
    const marked = view('hmac-sha256', iso(-5));
    expect(
      dueRotations({ ...marked, keys: [{ ...marked.keys[0], rotationDue: true }, marked.keys[1]] }),
    ).toEqual([]);
    expect(dueRotations(marked)).toEqual([
      { kind: 'mark-due', endpointId: ID, keyId: KEY_2, dueAt: NOW - 5000 },
    ]);
  });

  it('given an Ed25519 endpoint due in an hour, then the rotation waits, scheduled at its due time', async () => {
    await start(view('ed25519', iso(3600)));

    await waitFor(() => sent.length === 1, 'the expiry');
    expect(scheduler.pending).toEqual([
      { kind: 'rotate', endpointId: ID, keyId: KEY_2, dueAt: NOW + 3600_000 },
    ]);
    expect(sent.map((s) => s.subject)).toEqual(['rotor.command.expire-previous-secret']);
  });

  it('given an overlap opened by hand that outlasts the period, then the rotation waits for its end', () => {
    const endpoint = view('ed25519', iso(-5));
    const longOverlap = {
      ...endpoint,
      keys: [endpoint.keys[0], { ...endpoint.keys[1], expiresAt: iso(900) }],
    };
    expect(dueRotations(longOverlap)).toEqual([
      { kind: 'rotate', endpointId: ID, keyId: KEY_2, dueAt: NOW + 900_000 },
    ]);
    // An overlap that ended already (1 s ago) delays nothing: both are past, it fires now.
    expect(dueRotations(endpoint)[0].dueAt).toBeLessThanOrEqual(NOW);
  });

  it('given a deleted endpoint or no policy, then nothing is due for rotation', () => {
    expect(dueRotations({ ...view('ed25519', iso(-5)), status: 'deleted' })).toEqual([]);
    const { rotationDueAt: _none, ...withoutPolicy } = view('ed25519', iso(-5));
    expect(
      dueRotations({
        ...withoutPolicy,
        keys: withoutPolicy.keys.map(({ rotationDueAt: _n, ...k }) => k),
      }),
    ).toEqual([]);
  });
});
