import { v1aVerifies, waitFor } from '@rotor/testing';
import {
  ENDPOINTS,
  UNKNOWN_ID,
  expectProblem,
  http,
  itDocumentsEveryStatusItSaw,
  registerEndpoint,
} from './http';
import { startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

interface PublicKeyList {
  data: { key_id: string; public_key: string; status: string; expires_at?: string }[];
}

/**
 * GET /v1/webhooks/endpoints/{id}/public-keys, as a receiver uses it: without an API key,
 * cached by Cache-Control and revalidated by ETag; every v1a signature of a delivery
 * verifies with a key the list held.
 */
describe('public key discovery (e2e)', () => {
  let rotor: RotorTestApp;
  let key: IssuedKey;
  beforeAll(async () => {
    rotor = await startRotorApp();
    key = await rotor.issueKey('acme');
  });
  afterAll(() => rotor?.close());

  const payload = '{"type":"order.paid"}';
  const fetchKeys = (id: string) => http(rotor).get(`${ENDPOINTS}/${id}/public-keys`);
  const listed = async (id: string) =>
    ((await fetchKeys(id)).body as PublicKeyList).data.map((k) => k.public_key);
  const sign = async (id: string) =>
    (
      await http(rotor)
        .post(`${ENDPOINTS}/${id}/signatures`)
        .set('Authorization', key.auth)
        .send({ payload })
    ).body.headers as Record<string, string>;
  /** Every v1a entry verifies with some key of the list (a receiver that knows only it). */
  const everyV1aVerifies = (keys: string[], headers: Record<string, string>) => {
    const entries = headers['webhook-signature'].split(' ').filter((e) => e.startsWith('v1a,'));
    return (
      entries.length > 0 &&
      entries.every((entry) =>
        keys.some((pk) => v1aVerifies(pk, { ...headers, 'webhook-signature': entry }, payload)),
      )
    );
  };
  const rotate = async (id: string, body: Record<string, unknown>) => {
    const response = await http(rotor)
      .post(`${ENDPOINTS}/${id}/secret/rotate`)
      .set('Authorization', key.auth)
      .send(body);
    expect(response.status).toBe(200);
    return response.body as Record<string, string>;
  };
  const ed25519Endpoint = () =>
    registerEndpoint(rotor, key, { url: 'https://example.com/hooks', signing: 'ed25519' });

  it('needs no API key: 200 with the key, Cache-Control and an ETag; If-None-Match gives 304', async () => {
    const endpoint = await ed25519Endpoint();
    await waitFor(async () => (await fetchKeys(endpoint.id)).status === 200, 'the public keys');

    const response = await fetchKeys(endpoint.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: [
        {
          key_id: endpoint.key_id,
          public_key: endpoint.public_key,
          status: 'current',
          created_at: expect.any(String),
        },
      ],
    });
    expect(response.headers['cache-control']).toBe('public, max-age=60');
    const etag = response.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const again = await fetchKeys(endpoint.id).set('If-None-Match', etag);
    expect(again.status).toBe(304);
    expect(again.text).toBeFalsy();
    const other = await fetchKeys(endpoint.id).set('If-None-Match', '"something-else"');
    expect(other.status).toBe(200);
  });

  it('answers unknown, HMAC-only and deleted endpoints with the same 404, so none can be told apart', async () => {
    const hmac = await registerEndpoint(rotor, key);
    const doomed = await ed25519Endpoint();
    await waitFor(async () => (await fetchKeys(doomed.id)).status === 200, 'the public keys');
    expect(
      (await http(rotor).delete(`${ENDPOINTS}/${doomed.id}`).set('Authorization', key.auth)).status,
    ).toBe(204);
    await waitFor(async () => (await fetchKeys(doomed.id)).status === 404, 'the deletion');

    const shapes = [];
    for (const id of [UNKNOWN_ID, hmac.id, doomed.id]) {
      const problem = expectProblem(await fetchKeys(id), 404, 'endpoint_not_found');
      shapes.push(
        JSON.stringify({
          ...problem,
          detail: undefined,
          instance: undefined,
          request_id: undefined,
        }),
      );
      expect(problem.detail).toBe(`endpoint ${id} not found`);
      expect(String(problem.detail)).not.toMatch(/hmac|deleted|tenant|acme/i);
    }
    expect(new Set(shapes).size).toBe(1);
    expectProblem(await fetchKeys('we_nope'), 422);
  });

  it('lists a new key as soon as the rotation is answered; every v1a of each overlap verifies with the listed keys', async () => {
    const endpoint = await ed25519Endpoint();
    await waitFor(async () => (await fetchKeys(endpoint.id)).status === 200, 'the public keys');
    const etagBefore = (await fetchKeys(endpoint.id)).headers.etag;

    // Ed25519 -> Ed25519.
    const second = await rotate(endpoint.id, { expire_current_in: 3600 });
    await waitFor(
      async () => (await listed(endpoint.id)).length === 2,
      'the new key in the public keys',
    );
    const afterRotation = await fetchKeys(endpoint.id);
    expect(afterRotation.headers.etag).not.toBe(etagBefore);
    expect((afterRotation.body as PublicKeyList).data.map((k) => [k.public_key, k.status])).toEqual(
      [
        [second.public_key, 'current'],
        [endpoint.public_key, 'previous'],
      ],
    );
    await waitFor(
      async () => (await sign(endpoint.id))['webhook-signature'].split(' ').length === 2,
      "the signer's view",
    );
    expect(everyV1aVerifies(await listed(endpoint.id), await sign(endpoint.id))).toBe(true);

    // Ed25519 -> HMAC: the old Ed25519 key is still listed while it signs.
    const hmac = await rotate(endpoint.id, {
      signing: 'hmac-sha256',
      expire_current_in: 3600,
      force: true,
    });
    expect(hmac.secret).toMatch(/^whsec_/);
    await waitFor(
      async () => (await sign(endpoint.id))['webhook-signature'].startsWith('v1,'),
      "the signer's view of the switch",
    );
    expect(await listed(endpoint.id)).toContain(second.public_key);
    expect(everyV1aVerifies(await listed(endpoint.id), await sign(endpoint.id))).toBe(true);

    // HMAC -> Ed25519.
    const back = await rotate(endpoint.id, {
      signing: 'ed25519',
      expire_current_in: 3600,
      force: true,
    });
    await waitFor(
      async () => (await listed(endpoint.id))[0] === back.public_key,
      'the new key in the public keys',
    );
    await waitFor(
      async () => (await sign(endpoint.id))['webhook-signature'].startsWith('v1a,'),
      "the signer's view of the switch back",
    );
    expect(everyV1aVerifies(await listed(endpoint.id), await sign(endpoint.id))).toBe(true);
    // The forced switch back ended the second key at once: it stays listed, as expired,
    // while its last signatures may still be checked (300 s), then leaves.
    const list = ((await fetchKeys(endpoint.id)).body as PublicKeyList).data;
    expect(list.map((k) => [k.public_key, k.status])).toEqual([
      [back.public_key, 'current'],
      [second.public_key, 'expired'],
      [endpoint.public_key, 'expired'],
    ]);
    expect(
      Number(/max-age=(\d+)/.exec((await fetchKeys(endpoint.id)).headers['cache-control'])![1]),
    ).toBeLessThanOrEqual(60);
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
