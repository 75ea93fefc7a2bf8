import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { GatewayModule } from './gateway.module';
import { ProblemResource } from './http/problem.resource';

/**
 * The OpenAPI 3.1 document of the REST facade, from the controllers' decorators. Nest's
 * generator still writes 3.0's `nullable: true`; 3.1 (JSON Schema 2020-12) spells it as a
 * `null` type, so the document is rewritten before it is served.
 */
export const buildOpenApiDocument = (app: INestApplication): OpenAPIObject => {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Rotor')
    .setDescription(
      'Webhook signing secrets and their zero-downtime rotation. Authenticate with an API key ' +
        '(`Authorization: Bearer rk_...`). Errors are RFC 9457 problem details ' +
        '(`application/problem+json`). Every POST accepts an `Idempotency-Key`.',
    )
    .setVersion('1')
    // Relative: the document is served by the gateway it describes, on whatever host and
    // port that one listens (an empty `servers` fails Redocly's no-empty-servers).
    .addServer('/', 'The gateway serving this document')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      // Not a JWT (Nest's default): an opaque key, which secret scanners recognise by rk_.
      bearerFormat: 'rk_ + 43 base64url characters (opaque API key)',
      description: 'An API key: rk_ + 43 base64url characters.',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    include: [GatewayModule],
    extraModels: [ProblemResource],
    operationIdFactory: (_controller, method) => method,
  });
  return toJsonSchemaNulls(document) as OpenAPIObject;
};

/** `nullable: true` (OpenAPI 3.0) -> a `null` type (OpenAPI 3.1), everywhere. */
export const toJsonSchemaNulls = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(toJsonSchemaNulls);
  if (typeof value !== 'object' || value === null) return value;
  const { nullable, ...rest } = value as Record<string, unknown>;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([k, v]) => [k, toJsonSchemaNulls(v)]),
  );
  if (nullable !== true) return nullable === undefined ? converted : { ...converted, nullable };
  if (typeof converted.type === 'string') return { ...converted, type: [converted.type, 'null'] };
  return { oneOf: [converted, { type: 'null' }] };
};
