import { Module } from '@nestjs/common';
import { BUCKETS } from '@rotor/contracts';
import type { RotorConfig } from '@rotor/config';
import type { KekRing } from '@rotor/crypto';
import type { KvBucketFactory } from '@rotor/messaging';
import { CLOCK, KEK_RING, KV_BUCKETS, ROTOR_CONFIG, type Clock } from '@rotor/runtime';
import { ApiKeyIndex } from './auth/api-key-index';
import { EndpointsController } from './endpoints/endpoints.controller';
import { EndpointsService } from './endpoints/endpoints.service';
import {
  IDEMPOTENCY_TTL_SECONDS,
  IdempotencyStore,
  type IdempotencyRecord,
} from './idempotency/idempotency-store';
import { IDEMPOTENCY_STORE } from './idempotency/idempotency.interceptor';
import { GatewayMetrics } from './ops/gateway-metrics';
import { HealthProbe } from './ops/health';
import { OpsController } from './ops/ops.controller';
import { ServiceHealthView } from './ops/service-health-view';
import { RotorServices } from './rpc/rotor-services';

/**
 * The REST facade (DESIGN §5). Needs RuntimeModule (config, KEK ring, KV buckets, RPC
 * client, clock) from the hosting process, and `configureGateway(app)` on the HTTP app for
 * the middleware, the problem filter and the OpenAPI routes.
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
    {
      provide: IDEMPOTENCY_STORE,
      useFactory: async (
        buckets: KvBucketFactory,
        kekRing: KekRing,
        config: RotorConfig,
        clock: Clock,
      ) =>
        new IdempotencyStore(
          await buckets.bucket<IdempotencyRecord>(BUCKETS.idempotency, {
            ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
          }),
          kekRing,
          {
            now: () => clock().getTime(),
            // Well past the longest a request can take: every RPC it makes times out first.
            inFlightTimeoutMs: Math.max(60_000, 4 * config.natsRequestTimeoutMs),
          },
        ),
      inject: [KV_BUCKETS, KEK_RING, ROTOR_CONFIG, CLOCK],
    },
  ],
  exports: [ApiKeyIndex, GatewayMetrics],
})
export class GatewayModule {}
