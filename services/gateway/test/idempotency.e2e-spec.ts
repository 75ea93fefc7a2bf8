import { SUBJECTS } from '@rotor/contracts';
import { RpcTimeoutError, type RpcClient } from '@rotor/messaging';
import { RPC_CLIENT } from '@rotor/runtime';
import { waitFor } from '@rotor/testing';
import {
  ENDPOINTS,
  expectProblem,
  http,
  itDocumentsEveryStatusItSaw,
  registerEndpoint,
} from './http';
import { startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

jest.setTimeout(30_000);

/**
 * Holds requests on one subject until released: lets a test keep a first request in
 * flight, or make one fail as if the service never answered.
 */
class RpcGate {
  private release?: () => void;
  private held = 0;
  failNext = false;

  constructor(
    private readonly rpc: RpcClient,
    private readonly subject: string,
  ) {
    const request = rpc.request.bind(rpc);
    rpc.request = async <TReq, TRes>(
      subject: string,
      payload: TReq,
      options: { timeoutMs: number },
    ) => {
      if (subject === this.subject && this.failNext) {
        this.failNext = false;
        throw new RpcTimeoutError(subject, options.timeoutMs);
      }
      if (subject === this.subject && this.release === undefined) {
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        this.release = open;
        this.held += 1;
        await gate;
      }
      return request<TReq, TRes>(subject, payload, options);
    };
  }

  get holding(): boolean {
    return this.held > 0;
  }

  /** From now on, the next request on the subject waits for `open`. */
  arm(): void {
    this.release = undefined;
    this.held = 0;
  }

  open(): void {
    this.release?.();
  }

  disarm(): void {
    this.release = () => undefined;
  }
}

describe('Idempotency-Key on every POST (e2e)', () => {
  let rotor: RotorTestApp;
  let key: IssuedKey;
  let otherKey: IssuedKey;
  let gate: RpcGate;

  beforeAll(async () => {
    rotor = await startRotorApp();
    [key, otherKey] = await Promise.all([rotor.issueKey('acme'), rotor.issueKey('acme')]);
    gate = new RpcGate(rotor.app.get<RpcClient>(RPC_CLIENT), SUBJECTS.command.registerEndpoint);
    gate.disarm();
  });
  afterAll(() => rotor?.close());

  const register = (
    idempotencyKey: string,
    body: object = { url: 'https://example.com/hook' },
    as = key,
  ) =>
    http(rotor)
      .post(ENDPOINTS)
      .set('Authorization', as.auth)
      .set('Idempotency-Key', idempotencyKey)
      .send(body);

  it('replays the first response, secret included, and appends nothing', async () => {
    const first = await register('create-1');
    expect(first.status).toBe(201);
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    const events = (await rotor.allEvents()).length;

    const again = await register('create-1');
    expect(again.status).toBe(201);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await rotor.allEvents()).length).toBe(events);

    const [registered] = await rotor.store.read(`webhookEndpoint-${first.body.id}`);
    expect(registered.metadata.idempotencyKey).toBe('create-1');
  });

  it('refuses the same key with another body: 422 idempotency_key_reused', async () => {
    await register('create-2');
    const events = (await rotor.allEvents()).length;
    const reused = await register('create-2', { url: 'https://example.com/other' });
    expectProblem(reused, 422, 'idempotency_key_reused');
    expect((await rotor.allEvents()).length).toBe(events);
  });

  it('refuses the same request while the first is in flight: 409, then replays it', async () => {
    gate.arm();
    const first = register('create-3').then((r) => r);
    await waitFor(() => gate.holding, 'the first request to reach the gate');

    const concurrent = await register('create-3');
    expectProblem(concurrent, 409, 'idempotency_request_in_flight');
    expect(concurrent.headers['retry-after']).toBe('1');

    gate.open();
    const done = await first;
    expect(done.status).toBe(201);
    gate.disarm();
    const events = (await rotor.allEvents()).length;
    const replayed = await register('create-3');
    expect(replayed.headers['idempotency-replayed']).toBe('true');
    expect(replayed.body.id).toBe(done.body.id);
    expect((await rotor.allEvents()).length).toBe(events);
  });

  it('replays a refusal of the services too (409 rotation_in_progress)', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    const rotate = (idempotencyKey: string) =>
      http(rotor)
        .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
        .set('Authorization', key.auth)
        .set('Idempotency-Key', idempotencyKey)
        .send({});
    expect((await rotate('rotate-1')).status).toBe(200);
    expectProblem(await rotate('rotate-2'), 409, 'rotation_in_progress');
    const events = (await rotor.allEvents()).length;
    const replayed = await rotate('rotate-2');
    expectProblem(replayed, 409, 'rotation_in_progress');
    expect(replayed.headers['idempotency-replayed']).toBe('true');
    const replayedSuccess = await rotate('rotate-1');
    expect(replayedSuccess.status).toBe(200);
    expect(replayedSuccess.headers['idempotency-replayed']).toBe('true');
    expect((await rotor.allEvents()).length).toBe(events);
  });

  it('does not store a 503: the retry runs', async () => {
    gate.failNext = true;
    const failed = await register('create-4');
    expectProblem(failed, 503, 'service_unavailable');
    expect(failed.headers['retry-after']).toBe('1');
    const retried = await register('create-4');
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotency-replayed']).toBeUndefined();
  });

  it("does not store the gateway's own refusals: a corrected body may reuse the key", async () => {
    expectProblem(await register('create-5', { url: 'nope' }), 422, 'invalid_request');
    expect((await register('create-5')).status).toBe(201);
  });

  it('keeps the keys of different API keys apart', async () => {
    const mine = await register('shared-key');
    const theirs = await register('shared-key', { url: 'https://example.com/hook' }, otherKey);
    expect(theirs.status).toBe(201);
    expect(theirs.headers['idempotency-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('works on every POST route', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    for (const [path, body] of [
      [
        `${ENDPOINTS}/${endpoint.id}/signatures`,
        { payload: 'x', msg_id: 'msg_1', timestamp: 1_700_000_000 },
      ],
      [`${ENDPOINTS}/${endpoint.id}/secret/revoke-previous`, {}],
    ] as const) {
      const send = () =>
        http(rotor)
          .post(path)
          .set('Authorization', key.auth)
          .set('Idempotency-Key', `k-${path}`)
          .send(body);
      const first = await send();
      expect(first.status).toBe(200);
      const second = await send();
      expect(second.headers['idempotency-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
    }
  });

  it('refuses a malformed Idempotency-Key: 422 naming the header', async () => {
    const body = expectProblem(await register('x'.repeat(256)), 422, 'invalid_request');
    expect(body.param).toBe('Idempotency-Key');
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
