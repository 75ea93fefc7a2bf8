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

/**
 * Holds requests on one subject until released: lets a test keep a first request in
 * flight, make one fail as if the service never answered, or lose the reply of one the
 * service did execute (the gateway's deadline passing just after the append).
 */
class RpcGate {
  private release?: () => void;
  private held = 0;
  failNext = false;
  loseNextReply = false;

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
      if (subject === this.subject && this.loseNextReply) {
        this.loseNextReply = false;
        await request<TReq, TRes>(subject, payload, options);
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

  const rotate = (endpointId: string, idempotencyKey: string, body: object = {}) =>
    http(rotor)
      .post(`${ENDPOINTS}/${endpointId}/secret/rotate`)
      .set('Authorization', key.auth)
      .set('Idempotency-Key', idempotencyKey)
      .send(body);

  const eventsOf = async (endpointId: string) =>
    (await rotor.store.read(`webhookEndpoint-${endpointId}`)).map((e) => e.type);

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
    expect(registered.metadata).toMatchObject({
      idempotencyKey: 'create-1',
      actor: key.id,
      requestDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('refuses the same key with another body: 422 idempotency_key_reused', async () => {
    await register('create-2');
    const events = (await rotor.allEvents()).length;
    const reused = await register('create-2', { url: 'https://example.com/other' });
    expectProblem(reused, 422, 'idempotency_key_reused');
    expect((await rotor.allEvents()).length).toBe(events);
  });

  it('executes a retry sent while the first is in flight once: both get the same endpoint and secret', async () => {
    gate.arm();
    const first = register('create-3').then((r) => r);
    await waitFor(() => gate.holding, 'the first request to reach the gate');

    const retry = await register('create-3');
    expect(retry.status).toBe(201);
    gate.open();
    const done = await first;
    gate.disarm();

    expect(done.status).toBe(201);
    expect(done.body).toEqual(retry.body);
    expect([retry.headers['idempotency-replayed'], done.headers['idempotency-replayed']]).toEqual([
      undefined,
      'true',
    ]);
    expect(await eventsOf(done.body.id)).toEqual(['EndpointRegistered']);
  });

  it('answers a retry after a lost reply (503) from the execution that did happen', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    const rotations = new RpcGate(
      rotor.app.get<RpcClient>(RPC_CLIENT),
      SUBJECTS.command.rotateSecret,
    );
    rotations.disarm();
    rotations.loseNextReply = true;
    const lost = await rotate(endpoint.id, 'rotate-lost', { force: true });
    expectProblem(lost, 503, 'service_unavailable');

    const retried = await rotate(endpoint.id, 'rotate-lost', { force: true });
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotency-replayed']).toBe('true');
    const stream = await rotor.store.read(`webhookEndpoint-${endpoint.id}`);
    const rotated = stream.filter((e) => e.type === 'SecretRotated');
    expect(rotated).toHaveLength(1);
    expect(rotated[0].data).toMatchObject({ key: { keyId: retried.body.key_id } });
  });

  it('does not record a refusal: the retry is decided again once the cause is gone', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    const first = await rotate(endpoint.id, 'rotate-1');
    expect(first.status).toBe(200);
    expectProblem(await rotate(endpoint.id, 'rotate-2'), 409, 'rotation_in_progress');
    const revoked = await http(rotor)
      .post(`${ENDPOINTS}/${endpoint.id}/secret/revoke-previous`)
      .set('Authorization', key.auth)
      .send({});
    expect(revoked.status).toBe(200);

    const retried = await rotate(endpoint.id, 'rotate-2');
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotency-replayed']).toBeUndefined();
    const events = (await rotor.allEvents()).length;
    const replayedFirst = await rotate(endpoint.id, 'rotate-1');
    expect(replayedFirst.status).toBe(200);
    expect(replayedFirst.headers['idempotency-replayed']).toBe('true');
    expect(replayedFirst.body).toEqual(first.body);
    expect((await rotor.allEvents()).length).toBe(events);
  });

  it('does not store a 503 that never reached the command service: the retry runs', async () => {
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

  it('answers a replay of a since deleted endpoint with 404: its secret died with its data key', async () => {
    const first = await register('create-then-delete');
    expect(first.status).toBe(201);
    const deleted = await http(rotor)
      .delete(`${ENDPOINTS}/${first.body.id}`)
      .set('Authorization', key.auth);
    expect(deleted.status).toBe(204);
    expectProblem(await register('create-then-delete'), 404, 'endpoint_not_found');
  });

  it('replays revoke-previous; signing ignores the key and signs again', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    expect((await rotate(endpoint.id, 'rotate-before-revoke')).status).toBe(200);
    const send = (path: string, body: object, idempotencyKey: string) =>
      http(rotor)
        .post(`${ENDPOINTS}/${endpoint.id}/${path}`)
        .set('Authorization', key.auth)
        .set('Idempotency-Key', idempotencyKey)
        .send(body);

    const revoked = await send('secret/revoke-previous', {}, 'revoke-1');
    expect(revoked.status).toBe(200);
    const again = await send('secret/revoke-previous', {}, 'revoke-1');
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.body).toEqual(revoked.body);

    const signature = { payload: 'x', msg_id: 'msg_1', timestamp: 1_700_000_000 };
    const signed = await send('signatures', signature, 'sign-1');
    expect(signed.status).toBe(200);
    const signedAgain = await send('signatures', signature, 'sign-1');
    expect(signedAgain.status).toBe(200);
    expect(signedAgain.headers['idempotency-replayed']).toBeUndefined();
    expect(signedAgain.body).toEqual(signed.body);
  });

  it('refuses a malformed Idempotency-Key: 422 naming the header', async () => {
    const body = expectProblem(await register('x'.repeat(256)), 422, 'invalid_request');
    expect(body.param).toBe('Idempotency-Key');
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
