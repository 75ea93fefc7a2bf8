import type { OpenAPIObject } from '@nestjs/swagger';
import { waitFor } from '@rotor/testing';
import request, { type Response } from 'supertest';
import type { IssuedKey, RecordedResponse, RotorTestApp } from './rotor-app';

export const ENDPOINTS = '/v1/webhooks/endpoints';
export const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'instance', 'code'] as const;

/** A response is RFC 9457 problem details with the given status (and code). */
export const expectProblem = (
  response: Response,
  status: number,
  code?: string,
): Record<string, unknown> => {
  expect({ status: response.status, body: response.body as unknown }).toMatchObject({ status });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(response.text) as Record<string, unknown>;
  for (const member of PROBLEM_MEMBERS) expect(body).toHaveProperty(member);
  expect(body.status).toBe(status);
  if (code) expect(body.code).toBe(code);
  return body;
};

export const http = (rotor: RotorTestApp) => request(rotor.server);

export interface CreatedEndpoint {
  readonly id: string;
  readonly secret: string;
  readonly key_id: string;
  readonly [field: string]: unknown;
}

/** Registers an endpoint and waits until the query side shows it (eventual consistency). */
export const registerEndpoint = async (
  rotor: RotorTestApp,
  key: IssuedKey,
  body: Record<string, unknown> = { url: 'https://example.com/webhooks' },
): Promise<CreatedEndpoint> => {
  const created = await http(rotor).post(ENDPOINTS).set('Authorization', key.auth).send(body);
  expect(created.status).toBe(201);
  const endpoint = created.body as CreatedEndpoint;
  await waitFor(
    async () =>
      (await http(rotor).get(`${ENDPOINTS}/${endpoint.id}`).set('Authorization', key.auth))
        .status === 200,
    `endpoint ${endpoint.id} in the query view`,
  );
  return endpoint;
};

/**
 * How many keys sign for an endpoint, as a receiver sees it: the entries of the
 * webhook-signature header the signatures route answers (0 while the signer does not know it).
 */
export const signingKeyCount = async (
  rotor: RotorTestApp,
  key: IssuedKey,
  endpointId: string,
): Promise<number> => {
  const response = await http(rotor)
    .post(`${ENDPOINTS}/${endpointId}/signatures`)
    .set('Authorization', key.auth)
    .send({ payload: 'probe' });
  return response.status === 200
    ? String(response.body.headers['webhook-signature']).split(' ').length
    : 0;
};

/** A well-formed endpoint id that no test registers. */
export const UNKNOWN_ID = `we_${'f'.repeat(32)}`;

const operationOf = (document: OpenAPIObject, method: string, path: string) => {
  const verb = method === 'HEAD' ? 'get' : method.toLowerCase();
  for (const [template, item] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    const operation = (item as Record<string, { responses?: Record<string, unknown> }>)[verb];
    if (pattern.test(path) && operation) return { template, operation };
  }
  return undefined;
};

/**
 * The last test of each e2e file: every status these tests received on a documented
 * operation is documented for it.
 */
export const itDocumentsEveryStatusItSaw = (rotor: () => RotorTestApp) =>
  it('documents, in /openapi.json, every status these tests received', async () => {
    const seen = [...rotor().responses];
    const document = (await http(rotor()).get('/openapi.json')).body as OpenAPIObject;
    const undocumented = new Set<string>();
    let checked = 0;
    for (const { method, path, status } of seen as RecordedResponse[]) {
      const found = operationOf(document, method, path);
      if (!found) continue;
      checked += 1;
      if (!found.operation.responses?.[String(status)])
        undocumented.add(`${method} ${found.template} -> ${status}`);
    }
    expect(checked).toBeGreaterThan(0);
    expect([...undocumented]).toEqual([]);
  });
