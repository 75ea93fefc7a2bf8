import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { BUCKETS, type ServiceHealth } from '@rotor/contracts';
import { GuardedEventStore, type EventStore } from '@rotor/event-store';
import { describeError, type KvBucket, type KvBucketFactory } from '@rotor/messaging';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CLOCK, EVENT_STORE, KV_BUCKETS, type Clock } from '../tokens';
import {
  HEALTH_RECORD_TTL_SECONDS,
  HEALTH_REPORT_INTERVAL_MS,
  failed,
  healthRecord,
  passed,
  projectionCheck,
} from './readiness';
import { ServiceReadiness } from './service-readiness';

/** How a service uses the event store, which decides what its readiness checks there. */
export type StoreUse = 'writes' | 'reads' | 'none';

const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

interface HealthOptions {
  readonly service: string;
  readonly store: StoreUse;
}

/** Unique per process and per service module: `<host>-<pid>-<random>`, a valid KV key part. */
const instanceId = (): string =>
  `${hostname()
    .replace(/[^-\w]/g, '_')
    .slice(0, 64)}-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * Writes this service's readiness to the health bucket (`<service>.<instance>`) every
 * HEALTH_REPORT_INTERVAL_MS, through the KvBucketFactory port, so the gateway learns it
 * over NATS (or the in-memory KV of the all-in-one mode) without opening the store. A
 * failed write (NATS away) is simply retried at the next tick.
 */
@Injectable()
export class HealthReporter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Health');
  private readonly instance = instanceId();
  private bucket?: KvBucket<ServiceHealth>;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** The record last written (or that would have been): for tests and logs. */
  latest?: ServiceHealth;

  constructor(
    readonly readiness: ServiceReadiness,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
    @Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory,
    // Absent in the services that hold no store (RUNTIME_NEEDS): they report no store check.
    @Optional() @Inject(EVENT_STORE) private readonly store: EventStore | undefined,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    const eventStore = this.store;
    if (eventStore && this.options.store === 'writes')
      this.readiness.register('event_store', async () => {
        // A probe that takes the write lock and allocates pages, then rolls back.
        if (eventStore.checkWritable) await eventStore.checkWritable();
        else if (!(await eventStore.ping()))
          return failed('event_store', 'the store does not answer');
        return passed('event_store');
      });
    // Events the audit guard refused (forged, or cut short of the last anchor): the store
    // was tampered with, and this service refuses to act on part of it until it is restored.
    if (eventStore instanceof GuardedEventStore)
      this.readiness.register('audit', () => {
        const latest = eventStore.latestRefusal;
        return Promise.resolve(
          latest
            ? failed(
                'audit',
                `${eventStore.refused} events refused as tampered with since start, the last: ` +
                  `${latest.message} (run audit verify)`,
              )
            : passed('audit'),
        );
      });
    if (eventStore && this.options.store === 'reads')
      this.readiness.register('event_store', async () =>
        (await eventStore.ping())
          ? passed('event_store')
          : failed('event_store', 'the store does not answer'),
      );
  }

  get key(): string {
    return `${this.options.service}.${this.instance}`;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), HEALTH_REPORT_INTERVAL_MS);
    this.timer.unref();
    void this.tick();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    // Gone on purpose: say so at once rather than let the record go stale.
    await this.bucket?.delete(this.key).catch(() => undefined);
  }

  /** Evaluates every check and writes the record; never throws. */
  tick(): Promise<void> {
    this.ticking ??= this.report().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async report(): Promise<void> {
    const { checks, projection } = await this.readiness.evaluate();
    const all = projection ? [...checks, projectionCheck(projection)] : checks;
    this.latest = healthRecord(
      { service: this.options.service, instance: this.instance },
      all,
      this.clock(),
      projection,
    );
    try {
      this.bucket ??= await this.buckets.bucket<ServiceHealth>(BUCKETS.health, {
        ttlSeconds: HEALTH_RECORD_TTL_SECONDS,
      });
      await this.bucket.put(this.key, this.latest);
    } catch (error) {
      this.logger.debug(`health record not written: ${describeError(error)}`);
    }
  }
}

/**
 * Readiness for one service module: `imports: [HealthModule.forService('signer')]`, then
 * inject ServiceReadiness and register the service's checks.
 */
@Module({})
export class HealthModule {
  static forService(service: string, options: { store?: StoreUse } = {}): DynamicModule {
    return {
      module: HealthModule,
      providers: [
        { provide: HEALTH_OPTIONS, useValue: { service, store: options.store ?? 'none' } },
        { provide: ServiceReadiness, useValue: new ServiceReadiness(service) },
        HealthReporter,
      ],
      exports: [ServiceReadiness, HealthReporter],
    };
  }
}
