import { generateApiKey } from '@rotor/access';
import { waitFor } from '@rotor/testing';
import {
  ENDPOINTS,
  UNKNOWN_ID,
  expectProblem,
  http,
  itDocumentsEveryStatusItSaw,
  registerEndpoint,
  type CreatedEndpoint,
} from './http';
import { CapturingLogger, startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

const KEY_ID = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;
const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('gateway: the REST facade over every service (e2e)', () => {
  let rotor: RotorTestApp;
  let acme: IssuedKey;
  let globex: IssuedKey;
  let readOnly: IssuedKey;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    rotor = await startRotorApp({}, { logger });
    [acme, globex, readOnly] = await Promise.all([
      rotor.issueKey('acme'),
      rotor.issueKey('globex'),
      rotor.issueKey('acme', ['endpoints:read']),
    ]);
  });
  afterAll(() => rotor?.close());

  // Each test registers what it reads, so any one of them runs alone or in any order.
  describe('routes', () => {
    const rotate = (endpoint: CreatedEndpoint, body: Record<string, unknown>) =>
      http(rotor)
        .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
        .set('Authorization', acme.auth)
        .send(body);
    const revokePrevious = (endpoint: CreatedEndpoint) =>
      http(rotor)
        .post(`${ENDPOINTS}/${endpoint.id}/secret/revoke-previous`)
        .set('Authorization', acme.auth);
    /** Rotated with a 10-minute overlap, then rotated again by force: three keys. */
    const rotatedTwice = async (): Promise<CreatedEndpoint> => {
      const endpoint = await registerEndpoint(rotor, acme);
      expect((await rotate(endpoint, { expire_current_in: 600 })).status).toBe(200);
      expect((await rotate(endpoint, { force: true })).status).toBe(200);
      return endpoint;
    };
    /** The value of one series in a /metrics text, 0 when absent. */
    const sample = (metrics: string, series: string): number => {
      const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };

    it('POST /v1/webhooks/endpoints registers an endpoint and shows its secret once', async () => {
      const response = await http(rotor)
        .post(ENDPOINTS)
        .set('Authorization', acme.auth)
        .send({ url: 'https://example.com/webhooks', description: 'orders' });
      expect(response.status).toBe(201);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
      expect(response.body).toEqual({
        id: expect.stringMatching(/^we_[0-9a-f]{32}$/),
        url: 'https://example.com/webhooks',
        description: 'orders',
        status: 'active',
        created_at: expect.stringMatching(RFC_3339),
        updated_at: expect.stringMatching(RFC_3339),
        key_id: expect.stringMatching(KEY_ID),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
        keys: [
          {
            key_id: response.body.key_id,
            status: 'current',
            created_at: expect.stringMatching(RFC_3339),
            hint: expect.stringMatching(/^whsec_…/),
            fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
            signing: 'hmac-sha256',
            origin: 'generated',
          },
        ],
      });
      const endpoint = response.body as CreatedEndpoint;
      await waitFor(
        async () =>
          (await http(rotor).get(`${ENDPOINTS}/${endpoint.id}`).set('Authorization', acme.auth))
            .status === 200,
        'the endpoint in the query view',
      );
    });

    it('GET /v1/webhooks/endpoints/{id} shows the endpoint and its keys, never a secret', async () => {
      const endpoint = await registerEndpoint(rotor, acme, {
        url: 'https://example.com/webhooks',
        description: 'orders',
      });
      const response = await http(rotor)
        .get(`${ENDPOINTS}/${endpoint.id}`)
        .set('Authorization', readOnly.auth);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: endpoint.id,
        url: 'https://example.com/webhooks',
        description: 'orders',
        keys: [{ key_id: endpoint.key_id, status: 'current' }],
      });
      expect(response.text).not.toContain(endpoint.secret);
      expect(response.body).not.toHaveProperty('secret');
    });

    it("GET /v1/webhooks/endpoints lists the tenant's endpoints in pages", async () => {
      // A tenant of its own: the count is this test's, whatever else ran.
      const lister = await rotor.issueKey('lister');
      const endpoint = await registerEndpoint(rotor, lister);
      const second = await registerEndpoint(rotor, lister, { url: 'http://localhost:9000/hook' });
      const first = await http(rotor).get(`${ENDPOINTS}?limit=1`).set('Authorization', lister.auth);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        data: [expect.objectContaining({ id: second.id })],
        next_cursor: expect.any(String),
      });
      expect(first.body.data[0].description).toBeNull();
      const next = await http(rotor)
        .get(ENDPOINTS)
        .query({ limit: 1, cursor: first.body.next_cursor })
        .set('Authorization', lister.auth);
      expect(next.body.data.map((e: { id: string }) => e.id)).toEqual([endpoint.id]);
      const all = await http(rotor).get(ENDPOINTS).set('Authorization', lister.auth);
      expect(all.body.next_cursor).toBeNull();
      expect(all.text).not.toContain('whsec_' + endpoint.secret.slice(6, 20));
    });

    it('POST .../secret/rotate rotates, refuses a second rotation during the overlap, forces one', async () => {
      const endpoint = await registerEndpoint(rotor, acme);
      const rotated = await rotate(endpoint, { expire_current_in: 600 });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toEqual({
        id: endpoint.id,
        key_id: expect.stringMatching(KEY_ID),
        secret: expect.stringMatching(/^whsec_/),
        previous_key_id: endpoint.key_id,
        previous_secret_expires_at: expect.stringMatching(RFC_3339),
      });
      const expiresIn = Date.parse(rotated.body.previous_secret_expires_at) - Date.now();
      expect(expiresIn).toBeGreaterThan(590_000);
      expect(expiresIn).toBeLessThanOrEqual(600_000);

      const refused = await rotate(endpoint, {});
      expectProblem(refused, 409, 'rotation_in_progress');

      const forced = await rotate(endpoint, { force: true });
      expect(forced.status).toBe(200);
      expect(forced.body.previous_key_id).toBe(rotated.body.key_id);
    });

    it('POST .../secret/revoke-previous ends the overlap and answers the endpoint', async () => {
      const endpoint = await rotatedTwice();
      const response = await revokePrevious(endpoint);
      expect(response.status).toBe(200);
      expect(response.body.id).toBe(endpoint.id);
      expect(response.body.keys.map((k: { status: string }) => k.status)).toEqual([
        'current',
        'expired',
        'expired',
      ]);
      expect(response.body.keys[1]).toMatchObject({
        expiry_reason: 'revoked',
        expired_at: expect.stringMatching(RFC_3339),
      });
    });

    it('POST .../signatures answers the Standard Webhooks headers, with defaults', async () => {
      const endpoint = await registerEndpoint(rotor, acme);
      let response;
      await waitFor(async () => {
        response = await http(rotor)
          .post(`${ENDPOINTS}/${endpoint.id}/signatures`)
          .set('Authorization', acme.auth)
          .send({ payload: '{"type":"ping"}' });
        return (
          response.status === 200 &&
          response.body.headers['webhook-signature'].split(' ').length === 1
        );
      }, 'the signer to hold the current key only');
      const { headers } = response!.body;
      expect(headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
      expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

      const fixed = await http(rotor)
        .post(`${ENDPOINTS}/${endpoint.id}/signatures`)
        .set('Authorization', acme.auth)
        .send({ payload: 'x', msg_id: 'msg_fixed', timestamp: 1_700_000_000 });
      expect(fixed.body.headers).toMatchObject({
        'webhook-id': 'msg_fixed',
        'webhook-timestamp': '1700000000',
      });
    });

    it('GET .../events answers the redacted history, oldest first', async () => {
      const endpoint = await rotatedTwice();
      expect((await revokePrevious(endpoint)).status).toBe(200);
      const response = await http(rotor)
        .get(`${ENDPOINTS}/${endpoint.id}/events`)
        .set('Authorization', acme.auth);
      expect(response.status).toBe(200);
      expect(response.body.data.map((e: { type: string }) => e.type)).toEqual([
        'EndpointRegistered',
        'SecretRotated',
        'PreviousSecretExpired',
        'SecretRotated',
        'PreviousSecretExpired',
      ]);
      expect(response.body.data[0]).toEqual({
        type: 'EndpointRegistered',
        version: 3,
        occurred_at: expect.stringMatching(RFC_3339),
        actor: acme.id,
        request_id: expect.any(String),
        data: expect.objectContaining({
          endpoint_id: endpoint.id,
          tenant_id: 'acme',
          key: expect.objectContaining({
            key_id: endpoint.key_id,
            hint: expect.any(String),
            origin: 'generated',
          }),
        }),
      });
      expect(response.body.next_cursor).toBeNull();
      expect(response.text).not.toContain('ciphertext');
      expect(response.text).not.toContain(endpoint.secret);
    });

    it('DELETE .../{id} answers 204; the endpoint is then gone', async () => {
      const doomed = await registerEndpoint(rotor, acme);
      const response = await http(rotor)
        .delete(`${ENDPOINTS}/${doomed.id}`)
        .set('Authorization', acme.auth);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expectProblem(
        await http(rotor)
          .post(`${ENDPOINTS}/${doomed.id}/secret/rotate`)
          .set('Authorization', acme.auth)
          .send({}),
        404,
        'endpoint_not_found',
      );
      await waitFor(
        async () =>
          (await http(rotor).get(`${ENDPOINTS}/${doomed.id}`).set('Authorization', acme.auth))
            .status === 404,
        'the deletion in the query view',
      );
    });

    it('GET /health reports NATS, the API keys and the readiness of every service', async () => {
      // Each service writes its record every 2 s: ready once all have reported.
      const response = await waitFor(
        async () => {
          const answer = await http(rotor).get('/health');
          return answer.status === 200 ? answer : undefined;
        },
        'every service to report ready',
        15_000,
      );
      expect(response.body).toEqual({
        status: 'ok',
        checks: {
          nats: { status: 'ok', latency_ms: expect.any(Number) },
          api_keys: { status: 'ok' },
          command: { status: 'ok' },
          projector: { status: 'ok' },
          expiry: { status: 'ok' },
          signer: { status: 'ok' },
          query: { status: 'ok' },
        },
      });
      const metrics = await http(rotor).get('/metrics');
      expect(metrics.text).toMatch(/rotor_projection_lag_events \d+/);
      expect(metrics.text).toMatch(/rotor_projection_lag_seconds [\d.]+/);
      expect(metrics.text).toMatch(/rotor_service_ready\{service="projector"\} 1/);
    });

    it('GET /metrics exposes requests by route and status, rotations and signing latency', async () => {
      // The counters are the app's, shared by every test: this one counts what it adds.
      const refusedRotations =
        'rotor_http_requests_total{method="POST",route="/v1/webhooks/endpoints/{id}/secret/rotate",status="409"}';
      const forcedRotations = 'rotor_secret_rotations_total{forced="true"}';
      const before = (await http(rotor).get('/metrics')).text;
      const endpoint = await registerEndpoint(rotor, acme);
      expect((await rotate(endpoint, { expire_current_in: 600 })).status).toBe(200);
      expectProblem(await rotate(endpoint, {}), 409, 'rotation_in_progress');
      expect((await rotate(endpoint, { force: true })).status).toBe(200);

      const response = await http(rotor).get('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(sample(response.text, refusedRotations) - sample(before, refusedRotations)).toBe(1);
      expect(sample(response.text, forcedRotations) - sample(before, forcedRotations)).toBe(1);
      expect(response.text).toMatch(/rotor_signing_duration_seconds_count \d+/);
    });

    it('sends commands as the API key, with the request id, and keeps a sane X-Request-Id', async () => {
      const created = await http(rotor)
        .post(ENDPOINTS)
        .set('Authorization', acme.auth)
        .set('X-Request-Id', 'trace-abc.123')
        .send({ url: 'https://example.com/traced' });
      expect(created.headers['x-request-id']).toBe('trace-abc.123');
      const [registered] = await rotor.store.read(`webhookEndpoint-${created.body.id}`);
      expect(registered.metadata).toMatchObject({ actor: acme.id, requestId: 'trace-abc.123' });

      const replaced = await http(rotor).get('/health').set('X-Request-Id', 'bad id with spaces');
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const failing = await http(rotor).get('/nope').set('X-Request-Id', 'trace-404');
      expect(failing.headers['x-request-id']).toBe('trace-404');
      expect(failing.body.request_id).toBe('trace-404');
    });
  });

  describe('errors, all application/problem+json', () => {
    let endpoint: CreatedEndpoint;
    beforeAll(async () => {
      endpoint = await registerEndpoint(rotor, acme);
    });

    it('401 without a key: a bare Bearer challenge', async () => {
      const response = await http(rotor).get(ENDPOINTS);
      expectProblem(response, 401, 'unauthenticated');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="rotor"');
      const basic = await http(rotor).get(ENDPOINTS).set('Authorization', 'Basic dXNlcjpwdw==');
      expect(basic.headers['www-authenticate']).toBe('Bearer realm="rotor"');
    });

    it('401 with an unknown, malformed or revoked key: error="invalid_token"', async () => {
      const revocable = await rotor.issueKey('acme');
      expect((await http(rotor).get(ENDPOINTS).set('Authorization', revocable.auth)).status).toBe(
        200,
      );
      await rotor.revokeKey(revocable);
      for (const token of [generateApiKey(), 'rk_nope', revocable.key]) {
        const response = await http(rotor).get(ENDPOINTS).set('Authorization', `Bearer ${token}`);
        expectProblem(response, 401, 'invalid_api_key');
        expect(response.headers['www-authenticate']).toMatch(
          /^Bearer realm="rotor", error="invalid_token"/,
        );
      }
    });

    it('403 naming the scope the key lacks, on every route that needs another', async () => {
      const calls = [
        http(rotor).post(ENDPOINTS).send({ url: 'https://example.com' }),
        http(rotor).delete(`${ENDPOINTS}/${endpoint.id}`),
        http(rotor).post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`).send({}),
        http(rotor).post(`${ENDPOINTS}/${endpoint.id}/secret/revoke-previous`),
        http(rotor).post(`${ENDPOINTS}/${endpoint.id}/signatures`).send({ payload: 'x' }),
        http(rotor).get(`${ENDPOINTS}/${endpoint.id}/events`),
      ];
      const scopes = [
        'endpoints:write',
        'endpoints:write',
        'secrets:rotate',
        'secrets:rotate',
        'signatures:create',
        'audit:read',
      ];
      for (const [i, call] of calls.entries()) {
        const body = expectProblem(
          await call.set('Authorization', readOnly.auth),
          403,
          'insufficient_scope',
        );
        expect(body.detail).toContain(scopes[i]);
      }
    });

    it("404 for another tenant's endpoint on every route, exactly as for a missing one", async () => {
      const id = endpoint.id;
      const calls = (as: string) => [
        http(rotor).get(`${ENDPOINTS}/${id}`).set('Authorization', as),
        http(rotor).delete(`${ENDPOINTS}/${id}`).set('Authorization', as),
        http(rotor)
          .post(`${ENDPOINTS}/${id}/secret/rotate`)
          .set('Authorization', as)
          .send({ force: true }),
        http(rotor).post(`${ENDPOINTS}/${id}/secret/revoke-previous`).set('Authorization', as),
        http(rotor)
          .post(`${ENDPOINTS}/${id}/signatures`)
          .set('Authorization', as)
          .send({ payload: 'x' }),
        http(rotor).get(`${ENDPOINTS}/${id}/events`).set('Authorization', as),
      ];
      for (const call of calls(globex.auth)) {
        const body = expectProblem(await call, 404, 'endpoint_not_found');
        expect(JSON.stringify(body)).not.toContain('acme');
      }
      const listed = await http(rotor).get(ENDPOINTS).set('Authorization', globex.auth);
      expect(listed.body.data.map((e: { id: string }) => e.id)).not.toContain(id);
      // ...and the endpoint is untouched.
      const mine = await http(rotor).get(`${ENDPOINTS}/${id}`).set('Authorization', acme.auth);
      expect(mine.body.keys).toHaveLength(1);
      expect(
        (await http(rotor).get(`${ENDPOINTS}/${id}/events`).set('Authorization', acme.auth)).body
          .data,
      ).toHaveLength(1);
      const missing = await http(rotor)
        .get(`${ENDPOINTS}/${UNKNOWN_ID}`)
        .set('Authorization', acme.auth);
      expectProblem(missing, 404, 'endpoint_not_found');
    });

    it('422 naming the field for invalid input', async () => {
      const noUrl = expectProblem(
        await http(rotor)
          .post(ENDPOINTS)
          .set('Authorization', acme.auth)
          .send({ description: 'x' }),
        422,
        'invalid_request',
      );
      expect(noUrl.param).toBe('url');
      expect(noUrl.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ param: 'url' })]),
      );
      const tooLong = expectProblem(
        await http(rotor)
          .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
          .set('Authorization', acme.auth)
          .send({ expire_current_in: 86_401 }),
        422,
        // The domain's code, as over NATS: one rule, one answer.
        'invalid_grace_period',
      );
      expect(tooLong.param).toBe('expire_current_in');
      const unknownField = expectProblem(
        await http(rotor)
          .post(ENDPOINTS)
          .set('Authorization', acme.auth)
          .send({ url: 'https://e.com', tenant_id: 'globex' }),
        422,
      );
      expect(unknownField.param).toBe('tenant_id');
      const badLimit = expectProblem(
        await http(rotor).get(`${ENDPOINTS}?limit=500`).set('Authorization', acme.auth),
        422,
      );
      expect(badLimit.param).toBe('limit');
      const badCursor = expectProblem(
        await http(rotor).get(`${ENDPOINTS}?cursor=nonsense`).set('Authorization', acme.auth),
        422,
      );
      expect(badCursor.param).toBe('cursor');
      const array = expectProblem(
        await http(rotor)
          .post(ENDPOINTS)
          .set('Authorization', acme.auth)
          .set('Content-Type', 'application/json')
          .send('[]'),
        422,
      );
      expect(array.detail).toMatch(/JSON object/);
    });

    it('422 with param id for a malformed id, on every route that takes one', async () => {
      for (const bad of ['we_123', 'WE_' + 'a'.repeat(32), 'we_' + 'A'.repeat(32), 'endpoint']) {
        const calls = [
          http(rotor).get(`${ENDPOINTS}/${bad}`),
          http(rotor).delete(`${ENDPOINTS}/${bad}`),
          http(rotor).post(`${ENDPOINTS}/${bad}/secret/rotate`).send({}),
          http(rotor).post(`${ENDPOINTS}/${bad}/secret/revoke-previous`),
          http(rotor).post(`${ENDPOINTS}/${bad}/signatures`).send({ payload: 'x' }),
          http(rotor).get(`${ENDPOINTS}/${bad}/events`),
        ];
        for (const call of calls) {
          const body = expectProblem(
            await call.set('Authorization', acme.auth),
            422,
            'invalid_request',
          );
          expect(body.param).toBe('id');
        }
      }
    });

    it('413 for a body over MAX_BODY_BYTES', async () => {
      const response = await http(rotor)
        .post(`${ENDPOINTS}/${endpoint.id}/signatures`)
        .set('Authorization', acme.auth)
        .send({ payload: 'x'.repeat(70 * 1024) });
      expectProblem(response, 413, 'payload_too_large');
    });

    it('415 for a body that is not JSON', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const response = await http(rotor)
          .post(ENDPOINTS)
          .set('Authorization', acme.auth)
          .set('Content-Type', type)
          .send('url=https://example.com');
        expectProblem(response, 415, 'unsupported_media_type');
      }
    });

    it('400 for a body that does not parse', async () => {
      const response = await http(rotor)
        .post(ENDPOINTS)
        .set('Authorization', acme.auth)
        .set('Content-Type', 'application/json')
        .send('{"url": "https://example.com", "secret": "whsec_leak"');
      const body = expectProblem(response, 400, 'invalid_json');
      expect(JSON.stringify(body)).not.toContain('whsec_leak');
    });

    it('404 for an unknown route, 405 for a known one with another method', async () => {
      expectProblem(await http(rotor).get('/v2/nothing'), 404, 'not_found');
      expectProblem(await http(rotor).post('/').send({}), 404, 'not_found');
      const wrongMethod = await http(rotor).put(ENDPOINTS).set('Authorization', acme.auth).send({});
      expectProblem(wrongMethod, 405, 'method_not_allowed');
      expect(wrongMethod.headers.allow).toBe('POST, GET');
    });

    it('never logs a secret, an API key or an Authorization header', async () => {
      const created = await http(rotor)
        .post(ENDPOINTS)
        .set('Authorization', acme.auth)
        .send({ url: 'https://e.com/x' });
      // The access log line is written when the response has gone out.
      const text = await waitFor(() => {
        const lines = logger.lines.join('\n');
        return lines.includes(created.headers['x-request-id']) ? lines : undefined;
      }, 'the access log line of the registration');
      for (const secret of [
        created.body.secret,
        endpoint.secret,
        acme.key,
        readOnly.key,
        'Bearer ',
      ])
        expect(text).not.toContain(secret);
      expect(text.toLowerCase()).not.toContain('authorization');
    });
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
