import { Module } from '@nestjs/common';
import { ApiKeyIndex } from './auth/api-key-index';
import { EndpointsController } from './endpoints/endpoints.controller';
import { EndpointsService } from './endpoints/endpoints.service';
import { GatewayMetrics } from './ops/gateway-metrics';
import { HealthProbe } from './ops/health';
import { OpsController } from './ops/ops.controller';
import { ServiceHealthView } from './ops/service-health-view';
import { RotorServices } from './rpc/rotor-services';

/**
 * The REST facade (DESIGN §5). Needs RuntimeModule (config, KV buckets, RPC client, clock)
 * from the hosting process, and `configureGateway(app)` on the HTTP app for the middleware,
 * the problem filter and the OpenAPI routes. It keeps no idempotency records: the command
 * service does that, in the store (idempotency/idempotency-key.ts).
 */
@Module({
  controllers: [EndpointsController, OpsController],
  providers: [
    ApiKeyIndex,
    EndpointsService,
    GatewayMetrics,
    HealthProbe,
    RotorServices,
    ServiceHealthView,
  ],
  exports: [ApiKeyIndex, GatewayMetrics],
})
export class GatewayModule {}
