import { Logger, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import { SwaggerModule } from '@nestjs/swagger';
import type { RotorConfig } from '@rotor/config';
import { ROTOR_CONFIG } from '@rotor/runtime';
import { ApiKeyIndex } from './auth/api-key-index';
import { AuthFailureLimiter } from './auth/auth-failure-limiter';
import { accessLogMiddleware } from './http/access-log.middleware';
import { problemOnClientError } from './http/client-error';
import { jsonBodyMiddleware } from './http/json-body.middleware';
import { ProblemFilter } from './http/problem.filter';
import { requestIdMiddleware } from './http/request-id.middleware';
import { ROUTES } from './gateway.constants';
import { buildOpenApiDocument } from './openapi';
import { GatewayMetrics } from './ops/gateway-metrics';

/**
 * What the HTTP app hosting GatewayModule needs, in both modes: call it after
 * `NestFactory.create(..., { bodyParser: false })` and before `listen`/`init`. It adds
 * the request id, the access log and metrics, the JSON body parser (MAX_BODY_BYTES), the
 * problem+json filter for every error (unknown routes included), and GET /openapi.json and
 * /docs. Validation pipes, guards and the idempotency interceptor sit on the controllers,
 * so they cannot be forgotten here. Bind microservices with `connectMicroservice` without
 * `inheritAppConfig`: this filter speaks HTTP only.
 */
export function configureGateway(app: INestApplication): INestApplication {
  const config = app.get<RotorConfig>(ROTOR_CONFIG);
  const express = (app as NestExpressApplication).getHttpAdapter().getInstance();
  express.disable('x-powered-by');
  (app.getHttpServer() as Server).on('clientError', problemOnClientError);
  app.use(requestIdMiddleware);
  app.use(accessLogMiddleware(app.get(GatewayMetrics), new Logger('Http')));
  // Before the body is read: an address that keeps failing authentication costs nothing.
  const keys = app.get(ApiKeyIndex);
  app.use(app.get(AuthFailureLimiter).middleware((bearer) => keys.lookup(bearer) !== undefined));
  // Responses of the API may hold a secret (a new one, shown once): never cached.
  app.use(
    '/v1',
    (_req: unknown, res: { setHeader(n: string, v: string): void }, next: () => void) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
  );
  app.use(jsonBodyMiddleware(config.maxBodyBytes));
  app.useGlobalFilters(new ProblemFilter());
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(ROUTES.docs.path, app, document, {
    jsonDocumentUrl: ROUTES.openapi.path,
    raw: ['json'],
    customSiteTitle: 'Rotor API',
  });
  return app;
}
