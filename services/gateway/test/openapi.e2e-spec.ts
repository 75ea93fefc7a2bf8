import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIObject } from '@nestjs/swagger';
import { GATEWAY_ROUTES } from '../src/gateway.constants';
import { toJsonSchemaNulls } from '../src/openapi';
import { http } from './http';
import { startRotorApp, type RotorTestApp } from './rotor-app';

const SERVED_BY_SWAGGER = ['/openapi.json', '/docs'];

describe('GET /openapi.json and /docs (e2e)', () => {
  let rotor: RotorTestApp;
  let document: OpenAPIObject;
  beforeAll(async () => {
    rotor = await startRotorApp();
    const response = await http(rotor).get('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = response.body as OpenAPIObject;
  });
  afterAll(() => rotor?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    expect(JSON.stringify(document)).not.toContain('"nullable"');
  });

  it('documents exactly the routes of the gateway, each /v1 route behind the bearer scheme', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const expected = GATEWAY_ROUTES.filter((r) => !SERVED_BY_SWAGGER.includes(r.path)).map(
      (r) => `${r.method} ${r.path}`,
    );
    expect(documented.sort()).toEqual(expected.sort());
    expect(document.components?.securitySchemes?.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      // The opaque rk_ key as it is, not a JWT (a client would try to decode one).
      bearerFormat: expect.stringMatching(/^rk_/),
    });
    for (const route of GATEWAY_ROUTES.filter((r) => r.scope)) {
      const operation = (document.paths[route.path] as Record<string, { security?: unknown }>)[
        route.method.toLowerCase()
      ];
      expect(operation.security).toEqual([{ bearer: [] }]);
    }
  });

  it('names its server and says of every operation which security it needs, [] when public', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    for (const [path, item] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(item as Record<string, object>))
        expect({ at: `${method} ${path}`, security: 'security' in operation }).toEqual({
          at: `${method} ${path}`,
          security: true,
        });
    expect((document.paths['/health'] as { get: { security: unknown } }).get.security).toEqual([]);
    expect(
      (document.paths['/v1/webhooks/endpoints/{id}/public-keys'] as { get: { security: unknown } })
        .get.security,
    ).toEqual([]);
  });

  it('documents every error as problem+json, and every POST with Idempotency-Key', () => {
    for (const [path, item] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(
        item as Record<string, Record<string, never>>,
      )) {
        const responses = operation.responses as Record<
          string,
          { content?: Record<string, unknown> }
        >;
        const errors = Object.entries(responses).filter(([status]) => Number(status) >= 400);
        expect({ at: `${method} ${path}`, errors: errors.length > 0 }).toEqual({
          at: `${method} ${path}`,
          errors: true,
        });
        for (const [, response] of errors)
          expect(response.content?.['application/problem+json']).toEqual({
            schema: { $ref: '#/components/schemas/ProblemResource' },
          });
        const needsApiKey = GATEWAY_ROUTES.some(
          (r) => r.path === path && r.method === method.toUpperCase() && r.scope !== undefined,
        );
        if (needsApiKey)
          for (const status of ['401', '403', '429', '500', '503'])
            expect(responses).toHaveProperty(status);
        if (method === 'post')
          expect(operation.parameters as unknown as { name: string }[]).toEqual(
            expect.arrayContaining([
              expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
            ]),
          );
      }
    expect(document.components?.schemas?.ProblemResource).toMatchObject({
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'code']),
    });
  });

  it('serves the interactive docs at /docs', async () => {
    const response = await http(rotor).get('/docs');
    expect(response.status).toBe(200);
    expect(response.text).toContain('swagger-ui');
  });

  it('spells nullable fields as a null type', () => {
    expect(toJsonSchemaNulls({ type: 'string', nullable: true })).toEqual({
      type: ['string', 'null'],
    });
    expect(toJsonSchemaNulls({ $ref: '#/x', nullable: true })).toEqual({
      oneOf: [{ $ref: '#/x' }, { type: 'null' }],
    });
    const schema = (
      document.components?.schemas?.EndpointListResource as { properties: Record<string, unknown> }
    ).properties.next_cursor;
    expect(schema).toMatchObject({ type: ['string', 'null'] });
  });
});
