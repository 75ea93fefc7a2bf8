import { v1aVerifies, waitFor } from '@rotor/testing';
import { Webhook } from 'standardwebhooks';
import {
  ENDPOINTS,
  expectProblem,
  http,
  itDocumentsEveryStatusItSaw,
  registerEndpoint,
  signingKeyCount,
} from './http';
import { startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

/**
 * What a receiver of an Ed25519 endpoint sees (black box): it holds only `whpk_` public
 * keys and verifies each `v1a` entry with plain node:crypto; through every overlap (Ed25519
 * to Ed25519, HMAC to Ed25519 and back) a delivery verifies under every key still valid.
 */
describe('Ed25519 endpoints: register -> sign -> rotate -> switch (e2e)', () => {
  let rotor: RotorTestApp;
  let key: IssuedKey;
  beforeAll(async () => {
    rotor = await startRotorApp();
    key = await rotor.issueKey('acme');
  });
  afterAll(() => rotor?.close());

  const payload = JSON.stringify({ type: 'order.paid', id: 'ord_1', note: 'héllo' });
  const signingKeys = (endpointId: string) => signingKeyCount(rotor, key, endpointId);

  const sign = async (endpointId: string, body = payload) => {
    const response = await http(rotor)
      .post(`${ENDPOINTS}/${endpointId}/signatures`)
      .set('Authorization', key.auth)
      .send({ payload: body });
    expect(response.status).toBe(200);
    return response.body.headers as Record<string, string>;
  };
  const schemes = (headers: Record<string, string>) =>
    headers['webhook-signature'].split(' ').map((entry) => entry.slice(0, entry.indexOf(',')));
  const hmacVerifies = (secret: string, headers: Record<string, string>): boolean => {
    try {
      new Webhook(secret).verify(payload, headers, { jsonParse: false });
      return true;
    } catch {
      return false;
    }
  };
  const rotate = async (endpointId: string, body: Record<string, unknown>) => {
    const response = await http(rotor)
      .post(`${ENDPOINTS}/${endpointId}/secret/rotate`)
      .set('Authorization', key.auth)
      .send(body);
    expect(response.status).toBe(200);
    return response.body as Record<string, string>;
  };
  const keysOf = async (endpointId: string) =>
    (await http(rotor).get(`${ENDPOINTS}/${endpointId}`).set('Authorization', key.auth)).body
      .keys as Record<string, unknown>[];

  it('registers with a public key (never a private key), lists it, and signs v1a with it', async () => {
    const endpoint = await registerEndpoint(rotor, key, {
      url: 'https://example.com/webhooks',
      signing: 'ed25519',
    });

    expect(endpoint.secret).toBeUndefined();
    expect(endpoint.public_key).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(JSON.stringify(endpoint)).not.toMatch(/whsk_/);
    expect(await keysOf(endpoint.id)).toEqual([
      expect.objectContaining({
        key_id: endpoint.key_id,
        status: 'current',
        signing: 'ed25519',
        public_key: endpoint.public_key,
        hint: `whpk_…${(endpoint.public_key as string).slice(-4)}`,
      }),
    ]);
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 1,
      "the signer's view of the endpoint",
    );

    const headers = await sign(endpoint.id);
    expect(schemes(headers)).toEqual(['v1a']);
    expect(v1aVerifies(endpoint.public_key as string, headers, payload)).toBe(true);
    expect(v1aVerifies(endpoint.public_key as string, headers, `${payload} `)).toBe(false);
  });

  it('Ed25519 to Ed25519: one v1a per valid key, newest first, both verifying; one after revoke', async () => {
    const endpoint = await registerEndpoint(rotor, key, {
      url: 'https://example.com/webhooks',
      signing: 'ed25519',
    });
    const oldKey = endpoint.public_key as string;

    const rotated = await rotate(endpoint.id, { expire_current_in: 3600 });
    expect(rotated.secret).toBeUndefined();
    const newKey = rotated.public_key;
    expect(newKey).toMatch(/^whpk_/);
    expect(newKey).not.toBe(oldKey);
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 2,
      "the signer's view of the rotation",
    );

    const during = await sign(endpoint.id);
    expect(schemes(during)).toEqual(['v1a', 'v1a']);
    const [first, second] = during['webhook-signature'].split(' ');
    expect(v1aVerifies(newKey, { ...during, 'webhook-signature': first }, payload)).toBe(true);
    expect(v1aVerifies(oldKey, { ...during, 'webhook-signature': second }, payload)).toBe(true);

    const revoked = await http(rotor)
      .post(`${ENDPOINTS}/${endpoint.id}/secret/revoke-previous`)
      .set('Authorization', key.auth);
    expect(revoked.status).toBe(200);
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 1,
      "the signer's view of the revocation",
    );

    const after = await sign(endpoint.id);
    expect(v1aVerifies(newKey, after, payload)).toBe(true);
    expect(v1aVerifies(oldKey, after, payload)).toBe(false);
  });

  it('a forced rotation during an overlap supersedes the older key; grace 0 ends the old key at once', async () => {
    const endpoint = await registerEndpoint(rotor, key, {
      url: 'https://example.com/webhooks',
      signing: 'ed25519',
    });
    const second = await rotate(endpoint.id, { expire_current_in: 3600 });
    const third = await rotate(endpoint.id, { expire_current_in: 3600, force: true });
    await waitFor(
      async () => v1aVerifies(third.public_key, await sign(endpoint.id), payload),
      "the signer's view of the forced rotation",
    );
    const forced = await sign(endpoint.id);
    expect(schemes(forced)).toEqual(['v1a', 'v1a']);
    expect(v1aVerifies(second.public_key, forced, payload)).toBe(true);
    expect(v1aVerifies(endpoint.public_key as string, forced, payload)).toBe(false);

    const fourth = await rotate(endpoint.id, { expire_current_in: 0, force: true });
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 1,
      "the signer's view of grace 0",
    );
    const alone = await sign(endpoint.id);
    expect(schemes(alone)).toEqual(['v1a']);
    expect(v1aVerifies(fourth.public_key, alone, payload)).toBe(true);
    expect(v1aVerifies(third.public_key, alone, payload)).toBe(false);
  });

  it('HMAC to Ed25519 and back: every delivery of each overlap carries a v1 and a v1a that verify', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    const secret = endpoint.secret;
    expect(secret).toMatch(/^whsec_/);

    const toEd = await rotate(endpoint.id, { signing: 'ed25519', expire_current_in: 3600 });
    expect(toEd.secret).toBeUndefined();
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 2,
      "the signer's view of the switch",
    );
    const switching = await sign(endpoint.id);
    expect(schemes(switching)).toEqual(['v1a', 'v1']);
    expect(v1aVerifies(toEd.public_key, switching, payload)).toBe(true);
    expect(hmacVerifies(secret, switching)).toBe(true);
    expect((await keysOf(endpoint.id)).map((k) => k.signing)).toEqual(['ed25519', 'hmac-sha256']);

    // A rotation without `signing` keeps the scheme the endpoint has now: Ed25519.
    const stillEd = await rotate(endpoint.id, { expire_current_in: 3600, force: true });
    expect(stillEd.public_key).toMatch(/^whpk_/);

    const back = await rotate(endpoint.id, {
      signing: 'hmac-sha256',
      expire_current_in: 3600,
      force: true,
    });
    expect(back.secret).toMatch(/^whsec_/);
    expect(back.public_key).toBeUndefined();
    await waitFor(
      async () => hmacVerifies(back.secret, await sign(endpoint.id)),
      "the signer's view of the switch back",
    );
    const returning = await sign(endpoint.id);
    expect(schemes(returning)).toEqual(['v1', 'v1a']);
    expect(hmacVerifies(back.secret, returning)).toBe(true);
    expect(v1aVerifies(stillEd.public_key, returning, payload)).toBe(true);
    expect(hmacVerifies(secret, returning)).toBe(false);
  });

  it('refuses an unknown scheme as a 422 naming signing, at registration and rotation', async () => {
    const registered = await http(rotor)
      .post(ENDPOINTS)
      .set('Authorization', key.auth)
      .send({ url: 'https://example.com/webhooks', signing: 'rsa' });
    const problem = expectProblem(registered, 422);
    expect(JSON.stringify(problem)).toContain('signing');

    const endpoint = await registerEndpoint(rotor, key);
    const rotated = await http(rotor)
      .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
      .set('Authorization', key.auth)
      .send({ signing: 'ED25519' });
    expect(JSON.stringify(expectProblem(rotated, 422))).toContain('signing');
  });

  it.each([
    [{ every_seconds: 59, grace_seconds: 0 }, 'rotation_policy.every_seconds'],
    [{ every_seconds: 3600, grace_seconds: -1 }, 'rotation_policy.grace_seconds'],
    [{ every_seconds: 600, grace_seconds: 600 }, 'rotation_policy.grace_seconds'],
    [{ every_seconds: 600 }, 'rotation_policy.grace_seconds'],
  ])('refuses the rotation policy %j as a 422 naming %s', async (rotation_policy, param) => {
    const response = await http(rotor)
      .post(ENDPOINTS)
      .set('Authorization', key.auth)
      .send({ url: 'https://example.com/webhooks', signing: 'ed25519', rotation_policy });
    const problem = expectProblem(response, 422);
    expect(JSON.stringify(problem)).toContain(param);
  });

  it('never writes a private key anywhere in the store', async () => {
    const events = await rotor.allEvents();
    expect(events.some((e) => JSON.stringify(e.data).includes('"algorithm":"ed25519"'))).toBe(true);
    expect(JSON.stringify(events)).not.toMatch(/whsk_/);
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
