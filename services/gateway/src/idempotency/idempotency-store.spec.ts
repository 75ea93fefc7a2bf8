import { randomBytes } from 'node:crypto';
import { BUCKETS } from '@rotor/contracts';
import { parseKekRing } from '@rotor/crypto';
import { InMemoryKvFactory, type KvBucket } from '@rotor/messaging';
import { ProblemException } from '../http/problem';
import {
  IDEMPOTENCY_TTL_SECONDS,
  IdempotencyStore,
  recordKeyOf,
  type Admission,
  type IdempotencyRecord,
  type IdempotentRequest,
} from './idempotency-store';

const ring = (primary: string, ids: string[] = [primary]) =>
  parseKekRing(
    JSON.stringify({
      primary,
      keys: Object.fromEntries(ids.map((id) => [id, randomBytes(32).toString('base64')])),
    }),
  );

const refusal = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProblemException) return error.problem;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('IdempotencyStore', () => {
  let now: number;
  let bucket: KvBucket<IdempotencyRecord>;
  let store: IdempotencyStore;
  const kekRing = ring('kek-1');
  const request: IdempotentRequest = {
    apiKeyId: 'ak_0123456789abcdef',
    idempotencyKey: 'create-1',
    method: 'POST',
    path: '/v1/webhooks/endpoints',
    body: { url: 'https://example.com/hook', description: 'd' },
  };
  const secretResponse = { status: 201, body: { id: 'we_1', secret: 'whsec_TOPSECRETTOPSECRET' } };

  beforeEach(async () => {
    now = Date.parse('2025-01-31T12:00:00Z');
    const kv = new InMemoryKvFactory(() => now);
    bucket = await kv.bucket<IdempotencyRecord>(BUCKETS.idempotency, {
      ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
    });
    store = new IdempotencyStore(bucket, kekRing, { now: () => now, inFlightTimeoutMs: 60_000 });
  });

  const proceed = async (r: IdempotentRequest = request) => {
    const admission = await store.admit(r);
    expect(admission.kind).toBe('proceed');
    return admission as Admission & { kind: 'proceed' };
  };

  it('given a new key, lets the request proceed and marks it in flight', async () => {
    const admission = await proceed();
    expect(await bucket.get(admission.recordKey)).toMatchObject({ state: 'in_flight' });
  });

  it('given the same request while the first runs, refuses 409 in flight', async () => {
    await proceed();
    expect(await refusal(store.admit(request))).toMatchObject({
      status: 409,
      code: 'idempotency_request_in_flight',
    });
  });

  it('given a finished request, replays its response, also with keys in another order', async () => {
    await store.complete(await proceed(), secretResponse);
    const reordered = { ...request, body: { description: 'd', url: 'https://example.com/hook' } };
    expect(await store.admit(reordered)).toEqual({ kind: 'replay', response: secretResponse });
  });

  it('replays a stored refusal the same way', async () => {
    const problem = { status: 409, code: 'rotation_in_progress', detail: 'd' };
    await store.complete(await proceed(), { status: 409, problem });
    expect(await store.admit(request)).toEqual({
      kind: 'replay',
      response: { status: 409, problem },
    });
  });

  it.each([
    ['another body', { body: { url: 'https://example.com/other' } }],
    ['another path', { path: '/v1/webhooks/endpoints/we_1/signatures' }],
  ])('given the same key with %s, refuses 422 idempotency_key_reused', async (_what, change) => {
    await store.complete(await proceed(), secretResponse);
    expect(await refusal(store.admit({ ...request, ...change }))).toMatchObject({
      status: 422,
      code: 'idempotency_key_reused',
    });
  });

  it('keeps the keys of different API keys apart', async () => {
    await proceed();
    await proceed({ ...request, apiKeyId: 'ak_fedcba9876543210' });
  });

  it('seals the stored response: no secret at rest, and bound to its record', async () => {
    const admission = await proceed();
    await store.complete(admission, secretResponse);
    const record = await bucket.get(admission.recordKey);
    expect(JSON.stringify(record)).not.toContain('TOPSECRET');
    expect(record).toMatchObject({ state: 'done', kekId: 'kek-1', sealed: expect.any(String) });
    const other = await proceed({ ...request, idempotencyKey: 'create-2' });
    await bucket.put(other.recordKey, { ...record!, fingerprint: other.fingerprint });
    await expect(store.admit({ ...request, idempotencyKey: 'create-2' })).rejects.toThrow(
      /cannot decrypt/,
    );
  });

  it('opens records sealed under an older KEK after the primary changed', async () => {
    const both = ring('kek-old', ['kek-old', 'kek-new']);
    const before = new IdempotencyStore(bucket, both, { now: () => now });
    const admission = await before.admit(request);
    await before.complete(admission as Admission & { kind: 'proceed' }, secretResponse);
    const rotatedRing = parseKekRing(
      JSON.stringify({
        primary: 'kek-new',
        keys: Object.fromEntries(both.ids.map((id) => [id, both.get(id).toString('base64')])),
      }),
    );
    const after = new IdempotencyStore(bucket, rotatedRing, { now: () => now });
    expect(await after.admit(request)).toEqual({ kind: 'replay', response: secretResponse });
  });

  it('after a release (a failure worth retrying), lets the same key proceed again', async () => {
    await store.release(await proceed());
    await proceed();
  });

  it('takes over an in-flight marker left behind by a gateway that died', async () => {
    await proceed();
    now += 60_001;
    await proceed();
  });

  it('forgets a record after 24 hours', async () => {
    await store.complete(await proceed(), secretResponse);
    now += IDEMPOTENCY_TTL_SECONDS * 1000;
    await proceed({ ...request, body: { url: 'https://example.com/new' } });
  });

  it('names records by API key and Idempotency-Key, in a form any KV accepts', () => {
    expect(recordKeyOf('ak_1', 'a key with spaces / and * stars')).toMatch(/^[0-9a-f]{64}$/);
  });
});
