import { Controller, Header, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ROUTES } from '../gateway.constants';
import { ApiProblems, ApiSuccess } from '../http/openapi.decorators';
import { ProblemException } from '../http/problem';
import { Route } from '../route.decorator';
import { GatewayMetrics } from './gateway-metrics';
import { HealthProbe, type HealthCheck } from './health';
import { HealthCheckResource, HealthResource } from './ops.resources';

/** `projector: <why>; signer: <why>`: the reasons, in one line. */
const describeFailures = (checks: Record<string, HealthCheck>): string =>
  Object.entries(checks)
    .filter(([, check]) => check.status !== 'ok')
    .map(([name, check]) => `${name}: ${check.detail ?? 'failing'}`)
    .join('; ')
    .slice(0, 2000);

/** Unauthenticated operational routes: for load balancers and Prometheus. */
@ApiTags('operations')
@ApiExtraModels(HealthCheckResource)
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthProbe,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Route(ROUTES.health)
  @Header('Cache-Control', 'no-store')
  // `security: []`: public on purpose, which the document must say (Redocly security-defined).
  @ApiOperation({
    summary:
      'Ready when NATS answers and every service reports ready (503 with the reasons if not)',
    security: [],
  })
  @ApiSuccess(200, 'Healthy.', HealthResource)
  @ApiProblems(500, 503)
  async check(): Promise<HealthResource> {
    const { healthy, checks } = await this.health.check();
    if (!healthy)
      throw new ProblemException({
        status: 503,
        code: 'unhealthy',
        detail: describeFailures(checks),
        headers: { 'Retry-After': '5' },
        extensions: { checks },
      });
    return { status: 'ok', checks };
  }

  @Route(ROUTES.metrics)
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)', security: [] })
  @ApiProduces('text/plain')
  @ApiSuccess(200, 'The metrics.')
  @ApiProblems(500)
  async scrape(@Res() response: Response): Promise<void> {
    const body = await this.metrics.registry.metrics();
    response.status(200).type(this.metrics.registry.contentType).send(body);
  }
}
