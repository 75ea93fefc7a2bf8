import { Module } from '@nestjs/common';
import { ApiKeyIndex } from './auth/api-key-index';
import { AuthFailureLimiter } from './auth/auth-failure-limiter';
import { EndpointsController } from './endpoints/endpoints.controller';
import { PublicKeysController } from './endpoints/public-keys.controller';
import { GatewayMetrics } from './ops/gateway-metrics';
import { HealthProbe } from './ops/health';
import { OpsController } from './ops/ops.controller';
import { ServiceHealthView } from './ops/service-health-view';
import { RotorServices } from './rpc/rotor-services';

/**
 * The REST facade (DESIGN §5). Needs RuntimeModule (config, KV buckets, RPC client, clock;
 * never the KEK ring or the store) from the hosting process, and `configureGateway(app)` on
 * the HTTP app for the middleware, the problem filter and the OpenAPI routes. It keeps no
 * idempotency records: the command service does that, in the store.
 */
@Module({
  controllers: [EndpointsController, PublicKeysController, OpsController],
  providers: [
    ApiKeyIndex,
    { provide: AuthFailureLimiter, useFactory: () => new AuthFailureLimiter() },
    GatewayMetrics,
    HealthProbe,
    RotorServices,
    ServiceHealthView,
  ],
  exports: [ApiKeyIndex, AuthFailureLimiter, GatewayMetrics],
})
export class GatewayModule {}
