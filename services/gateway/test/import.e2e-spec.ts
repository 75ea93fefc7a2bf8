import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { fingerprintOf, hintOf } from '@rotor/crypto';
import { waitFor } from '@rotor/testing';
import { ENDPOINTS, expectProblem, http, itDocumentsEveryStatusItSaw } from './http';
import { CapturingLogger, startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

const whsec = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('gateway: registering and rotating with a supplied secret (e2e)', () => {
  let rotor: RotorTestApp;
  let acme: IssuedKey;
  const logger = new CapturingLogger();
  /** Every secret these tests sent: none may come back in a response or a log line. */
  const sent: string[] = [];
  const bodies: string[] = [];

  beforeAll(async () => {
    rotor = await startRotorApp({}, { logger });
    acme = await rotor.issueKey('acme');
  });
  afterAll(() => rotor?.close());

  const post = async (path: string, body: Record<string, unknown>) => {
    if (typeof body.secret === 'string') sent.push(body.secret);
    const response = await http(rotor).post(path).set('Authorization', acme.auth).send(body);
    bodies.push(response.text);
    return response;
  };
  const get = (path: string) => http(rotor).get(path).set('Authorization', acme.auth);

  it('given a whsec_ secret and an external id, when registered, then the endpoint signs with it, shows its hint and fingerprint, never the secret', async () => {
    const secret = whsec(32);

    const created = await post(ENDPOINTS, {
      url: 'https://example.com/hooks',
      secret,
      external_id: 'cust_42/hook 7',
    });

    expect(created.status).toBe(201);
    expect(created.body.secret).toBeUndefined();
    expect(created.body).toMatchObject({
      external_id: 'cust_42/hook 7',
      keys: [{ hint: hintOf(secret), fingerprint: fingerprintOf(secret), origin: 'imported' }],
    });
    const { id } = created.body as { id: string };
    await waitFor(async () => (await get(`${ENDPOINTS}/${id}`)).status === 200, 'the view');
    const signed = await post(`${ENDPOINTS}/${id}/signatures`, {
      payload: '{"type":"invoice.paid"}',
      msg_id: 'msg_1',
    });
    expect(signed.status).toBe(200);
    const headers = signed.body.headers as Record<string, string>;
    expect(() => new Webhook(secret).verify('{"type":"invoice.paid"}', headers)).not.toThrow();
  });

  it('given an external id, when the endpoints are searched by it, then only that endpoint is listed', async () => {
    const other = await post(ENDPOINTS, { url: 'https://example.com/b', external_id: 'other' });
    expect(other.status).toBe(201);

    let found: { id: string; external_id: string }[] = [];
    await waitFor(async () => {
      const page = await get(`${ENDPOINTS}?external_id=${encodeURIComponent('cust_42/hook 7')}`);
      found = page.body.data as typeof found;
      return page.status === 200 && found.length === 1;
    }, 'the search by external id');

    expect(found.map((e) => e.external_id)).toEqual(['cust_42/hook 7']);
  });

  it('given an external id already registered, when registered again, then 409', async () => {
    const again = await post(ENDPOINTS, {
      url: 'https://example.com/hooks',
      secret: whsec(32),
      external_id: 'cust_42/hook 7',
    });
    expectProblem(again, 409, 'endpoint_already_exists');
  });

  it.each([
    ['a wrong prefix', `whsk_${randomBytes(32).toString('base64')}`],
    ['bad base64', `whsec_${randomBytes(30).toString('base64')}*`],
    ['too short', whsec(16)],
    ['too long', whsec(65)],
  ])(
    'given a secret with %s, when registered or rotated to, then 422 names secret and never echoes it',
    async (_what, secret) => {
      const registered = await post(ENDPOINTS, { url: 'https://example.com/hooks', secret });
      const existing = await post(ENDPOINTS, { url: 'https://example.com/hooks' });
      const rotated = await post(`${ENDPOINTS}/${existing.body.id as string}/secret/rotate`, {
        secret,
      });

      for (const response of [registered, rotated]) {
        const problem = expectProblem(response, 422, 'invalid_request');
        expect(JSON.stringify(problem.errors)).toContain('"param":"secret"');
        expect(response.text).not.toContain(secret.slice(6, 22));
      }
    },
  );

  it('given a secret and ed25519 signing, when registered, then 422', async () => {
    const response = await post(ENDPOINTS, {
      url: 'https://example.com/hooks',
      secret: whsec(32),
      signing: 'ed25519',
    });
    const problem = expectProblem(response, 422, 'invalid_command');
    expect(problem.param).toBe('signing');
  });

  it('given an endpoint, when rotated to a supplied secret, then both keys sign and the new one is never returned', async () => {
    const created = await post(ENDPOINTS, { url: 'https://example.com/hooks' });
    const { id, secret: first } = created.body as { id: string; secret: string };
    const secret = whsec(40);

    const rotated = await post(`${ENDPOINTS}/${id}/secret/rotate`, { secret });

    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toBeUndefined();
    let signed: Record<string, string> = {};
    await waitFor(async () => {
      const response = await post(`${ENDPOINTS}/${id}/signatures`, { payload: '{"a":1}' });
      signed = response.body.headers as Record<string, string>;
      return response.status === 200 && signed['webhook-signature'].split(' ').length === 2;
    }, 'both keys signing');
    for (const key of [secret, first])
      expect(() => new Webhook(key).verify('{"a":1}', signed)).not.toThrow();
  });

  it('never shows a supplied secret in a response body or a log line', () => {
    expect(sent.length).toBeGreaterThan(0);
    const everything = [...bodies, ...logger.lines].join('\n');
    for (const secret of sent) expect(everything).not.toContain(secret.slice(6, 22));
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
