import { Module } from '@nestjs/common';
import { BUCKETS } from '@rotor/contracts';
import type { RotorConfig } from '@rotor/config';
import { generateKekRingText, parseKekRing, type KekRing } from '@rotor/crypto';
import { InMemoryKvFactory, type KvBucketFactory } from '@rotor/messaging';
import { CLOCK, KEK_RING, KV_BUCKETS, ROTOR_CONFIG, type Clock } from '@rotor/runtime';
import { ApiKeyIndex } from './auth/api-key-index';
import { AuthFailureLimiter } from './auth/auth-failure-limiter';
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
import { RotorServices } from './rpc/rotor-services';

/**
 * The REST facade (DESIGN §5). Needs RuntimeModule (config, KV buckets, RPC client, clock;
 * never the KEK ring or the store) from the hosting process, and `configureGateway(app)` on the HTTP app for
 * the middleware, the problem filter and the OpenAPI routes.
 */
@Module({
  controllers: [EndpointsController, OpsController],
  providers: [
    ApiKeyIndex,
    { provide: AuthFailureLimiter, useFactory: () => new AuthFailureLimiter() },
    EndpointsService,
    GatewayMetrics,
    HealthProbe,
    RotorServices,
    {
      provide: IDEMPOTENCY_STORE,
      // Interim, until idempotency moves into the command path (DESIGN §1, helper `idem`):
      // a distributed gateway holds no KEK ring and no NATS right on rotor_idempotency, so
      // its records stay in this process, sealed under a key that never leaves it.
      useFactory: async (
        buckets: KvBucketFactory,
        kekRing: KekRing | undefined,
        config: RotorConfig,
        clock: Clock,
      ) =>
        new IdempotencyStore(
          await (kekRing ? buckets : new InMemoryKvFactory()).bucket<IdempotencyRecord>(
            BUCKETS.idempotency,
            { ttlSeconds: IDEMPOTENCY_TTL_SECONDS },
          ),
          kekRing ?? parseKekRing(generateKekRingText()),
          {
            now: () => clock().getTime(),
            // Well past the longest a request can take: every RPC it makes times out first.
            inFlightTimeoutMs: Math.max(60_000, 4 * config.natsRequestTimeoutMs),
          },
        ),
      inject: [KV_BUCKETS, { token: KEK_RING, optional: true }, ROTOR_CONFIG, CLOCK],
    },
  ],
  exports: [ApiKeyIndex, AuthFailureLimiter, GatewayMetrics],
})
export class GatewayModule {}
