import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { BUCKETS, type ServiceHealth } from '@rotor/contracts';
import {
  ResilientWatch,
  warnWatchFailure,
  type KvBucketFactory,
  type LoopStatus,
} from '@rotor/messaging';
import { HEALTH_RECORD_TTL_SECONDS, KV_BUCKETS } from '@rotor/runtime';

/**
 * Every service's latest readiness record, from the health bucket: how the gateway learns
 * whether the services behind it are ready without opening the store or asking each one.
 */
@Injectable()
export class ServiceHealthView implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ServiceHealth');
  private readonly byKey = new Map<string, ServiceHealth>();
  private watch?: ResilientWatch<ServiceHealth>;

  constructor(@Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory) {}

  async onApplicationBootstrap(): Promise<void> {
    this.watch = new ResilientWatch<ServiceHealth>({
      open: () =>
        this.buckets.bucket<ServiceHealth>(BUCKETS.health, {
          ttlSeconds: HEALTH_RECORD_TTL_SECONDS,
        }),
      onEntry: (entry) => {
        if (entry.value === undefined) this.byKey.delete(entry.key);
        else this.byKey.set(entry.key, entry.value);
      },
      onFailure: warnWatchFailure(this.logger, 'health watch'),
    });
    await this.watch.loaded;
  }

  async onModuleDestroy(): Promise<void> {
    await this.watch?.stop();
  }

  get watchStatus(): LoopStatus | undefined {
    return this.watch?.state;
  }

  /**
   * The records as they stand. An instance that died keeps its last record here (a
   * JetStream expiry is not announced): drop what is well past any staleness bound.
   */
  records(now: Date): ServiceHealth[] {
    const forgetBefore = now.getTime() - HEALTH_RECORD_TTL_SECONDS * 1000;
    for (const [key, record] of this.byKey)
      if (Date.parse(record.updatedAt) < forgetBefore) this.byKey.delete(key);
    return [...this.byKey.values()];
  }
}
