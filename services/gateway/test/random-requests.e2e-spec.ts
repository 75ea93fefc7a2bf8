import fc from 'fast-check';
import type { Test } from 'supertest';
import { waitFor } from '@rotor/testing';
import { ENDPOINTS, PROBLEM_MEMBERS, http, registerEndpoint } from './http';
import { startRotorApp, type RotorTestApp } from './rotor-app';

/**
 * Random and malformed requests against the whole system: whatever arrives, the gateway
 * answers without a 5xx, every error is problem+json, and a refused request writes nothing.
 */
describe('random requests (property, e2e)', () => {
  let rotor: RotorTestApp;
  let auths: string[];
  let ids: string[];

  beforeAll(async () => {
    rotor = await startRotorApp();
    // /health is 503 until every service has reported ready once (every 2 s): not a 5xx
    // the random requests may cause.
    await waitFor(
      async () => (await http(rotor).get('/health')).status === 200,
      'every service to report ready',
      15_000,
    );
    const [all, readOnly, other, revoked] = await Promise.all([
      rotor.issueKey('acme'),
      rotor.issueKey('acme', ['endpoints:read', 'audit:read']),
      rotor.issueKey('globex'),
      rotor.issueKey('acme'),
    ]);
    await rotor.revokeKey(revoked);
    const mine = await registerEndpoint(rotor, all);
    const theirs = await registerEndpoint(rotor, other);
    auths = [all.auth, readOnly.auth, other.auth, revoked.auth];
    ids = [mine.id, theirs.id];
  });
  afterAll(() => rotor?.close());

  const segment = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/),
    fc.constantFrom(
      '%',
      '%zz',
      '%00',
      '..',
      '.',
      '%2F',
      'we_',
      `we_${'0'.repeat(32)}`,
      'WE_abc',
      '%E2%82',
    ),
  );
  const idLike = fc.oneof(
    fc.constantFrom(0, 1).map((i) => () => ids[i]),
    fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{0,40}$/), segment).map((s) => () => `we_${s}`),
    segment.map((s) => () => s),
  );
  const suffix = fc.constantFrom(
    '',
    '/secret/rotate',
    '/secret/revoke-previous',
    '/signatures',
    '/events',
    '/secret',
    '/',
  );
  const path = fc.oneof(
    fc.tuple(idLike, suffix).map(
      ([id, rest]) =>
        () =>
          `${ENDPOINTS}/${id()}${rest}`,
    ),
    fc
      .constantFrom(
        ENDPOINTS,
        `${ENDPOINTS}/`,
        '/health',
        '/metrics',
        '/',
        '/v1',
        '/docs',
        '/openapi.json',
      )
      .map((p) => () => p),
    fc.array(segment, { maxLength: 5 }).map((parts) => () => `/${parts.join('/')}`),
  );
  const query = fc.option(
    fc.oneof(
      fc.record({
        limit: fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), segment),
        cursor: fc.option(segment, { nil: undefined }),
      }),
      fc.dictionary(fc.stringMatching(/^[a-z_[\]]{1,8}$/), segment, { maxKeys: 3 }),
    ),
    { nil: undefined },
  );
  const authorization = fc.oneof(
    fc.constantFrom(0, 1, 2, 3).map((i) => () => auths[i]),
    fc
      .constantFrom(undefined, '', 'Bearer', 'Basic Zm9vOmJhcg==', 'Bearer rk_short', 'bearer  x y')
      .map((a) => () => a),
    fc.stringMatching(/^[A-Za-z0-9_-]{0,50}$/).map((s) => () => `Bearer rk_${s}`),
  );
  const contentType = fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/merge-patch+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'nonsense',
  );
  const jsonBody = fc.oneof(
    fc.record(
      {
        url: fc.oneof(fc.webUrl(), fc.string(), fc.integer(), fc.constant(null)),
        description: fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 700 }),
        ),
        expire_current_in: fc.oneof(
          fc.constantFrom(0, 3600, 86_400, 86_401, -1, 1.5, '60', null),
          fc.integer({ min: 3600, max: 86_400 }),
        ),
        force: fc.oneof(fc.boolean(), fc.constantFrom('true', 1, null)),
        payload: fc.oneof(fc.string(), fc.jsonValue()),
        msg_id: fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[\x21-\x7e]{1,20}$/)),
        timestamp: fc.oneof(fc.integer(), fc.double(), fc.string()),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  );
  const body = fc.option(
    fc.oneof(
      jsonBody.map((value) => JSON.stringify(value) ?? 'null'),
      fc.constantFrom('{', '{"url":', '[1,2', 'nul', '"str"', '42', '{"a":1}}', '\u0000', ''),
      fc.string({ maxLength: 50 }),
    ),
    { nil: undefined },
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
    path,
    query,
    authorization,
    contentType,
    body,
    idempotencyKey: fc.option(fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,300}$/), fc.uuid()), {
      nil: undefined,
    }),
    requestId: fc.option(fc.stringMatching(/^[\x21-\x7e]{0,200}$/), { nil: undefined }),
  });

  type RandomRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;
  const send = (r: RandomRequest): Test => {
    const agent = http(rotor);
    let req = (
      {
        GET: agent.get,
        POST: agent.post,
        PUT: agent.put,
        PATCH: agent.patch,
        DELETE: agent.delete,
        HEAD: agent.head,
        OPTIONS: agent.options,
      } as Record<string, (url: string) => Test>
    )[r.method].call(agent, r.path());
    if (r.query) req = req.query(r.query as Record<string, string>);
    const auth = r.authorization();
    if (auth !== undefined) req = req.set('Authorization', auth);
    if (r.idempotencyKey !== undefined) req = req.set('Idempotency-Key', r.idempotencyKey);
    if (r.requestId !== undefined) req = req.set('X-Request-Id', r.requestId);
    if (r.body !== undefined) {
      req = req.set('Content-Type', r.contentType ?? 'application/octet-stream');
      req = req.send(r.body);
    }
    return req;
  };

  it('never answers 5xx; every error is problem+json; refused requests write nothing', async () => {
    // The store's state in short: how many events, and the last global position.
    const fingerprint = async () => {
      const all = await rotor.allEvents();
      return `${all.length}@${all.at(-1)?.position ?? 'start'}`;
    };
    let before = await fingerprint();
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const response = await send(r);
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        const where = `${r.method} ${r.path()} -> ${response.status}`;
        expect({ where, status: response.status < 500 }).toEqual({ where, status: true });
        const after = await fingerprint();
        if (response.status >= 400) {
          expect({ where, type: response.headers['content-type'] }).toEqual({
            where,
            type: expect.stringMatching(/^application\/problem\+json/),
          });
          if (r.method !== 'HEAD') {
            const problem = JSON.parse(response.text) as Record<string, unknown>;
            for (const member of PROBLEM_MEMBERS) expect(problem).toHaveProperty(member);
            expect(problem.status).toBe(response.status);
          }
          expect({ where, store: after }).toEqual({ where, store: before });
        }
        before = after;
      }),
      {
        numRuns: 2000,
        // A valid key lacking the scope is rare among random requests (a handful in 2,000):
        // one such request first, so the coverage check below never depends on luck.
        examples: [
          [
            {
              method: 'POST',
              path: () => `${ENDPOINTS}/${ids[0]}/secret/rotate`,
              query: undefined,
              authorization: () => auths[1],
              contentType: 'application/json',
              body: '{}',
              idempotencyKey: undefined,
              requestId: undefined,
            },
          ],
        ],
      },
    );
    // The generator reaches past the front door: auth, validation and the services answer.
    for (const status of [200, 401, 403, 404, 415, 422])
      expect(seen.get(status) ?? 0).toBeGreaterThan(0);
  });
});
