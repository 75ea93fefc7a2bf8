import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import type { ServiceName } from '@rotor/contracts';
import type { RotorConfig } from '@rotor/config';
import { DataKeyVault, type KekRing } from '@rotor/crypto';
import { createEventStore, type EventStore } from '@rotor/event-store';
import {
  InProcessBus,
  InProcessRpcClient,
  InMemoryKvFactory,
  JetStreamKvFactory,
  NatsRpcClient,
  connectNats,
  drainNats,
  natsCallerOf,
  type KvBucketFactory,
  type NatsConnection,
  type RpcClient,
} from '@rotor/messaging';
import {
  CLOCK,
  DATA_KEY_VAULT,
  EVENT_STORE,
  KEK_RING,
  KV_BUCKETS,
  ROTOR_CONFIG,
  RPC_CLIENT,
  type Clock,
} from './tokens';

/** The in-process stand-ins for NATS, shared by every module of the all-in-one process. */
export interface InProcessTransport {
  readonly kind: 'in-process';
  readonly bus: InProcessBus;
  readonly kv: InMemoryKvFactory;
}

export interface RuntimeOptions {
  /** Who this process is: names its NATS connection and the actor of its own events. */
  readonly service: ServiceName | 'all-in-one';
  readonly config: RotorConfig;
  readonly kekRing: KekRing;
  readonly transport: { readonly kind: 'nats' } | InProcessTransport;
  readonly clock?: Clock;
  /** An already open store (tests, tools); otherwise one is opened from `config`. */
  readonly eventStore?: EventStore;
}

const NATS_CONNECTION = Symbol('NATS_CONNECTION');

/** Closes what the runtime opened, after every service has stopped using it. */
@Injectable()
class RuntimeLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('Runtime');
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection | undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.nats) await drainNats(this.nats);
    await this.store.close();
    this.logger.log('closed the event store and drained NATS');
  }
}

/**
 * Binds the ports of `tokens.ts` to adapters, once per process. The service modules never
 * build clients themselves, so the same modules run distributed (NATS, sqlite or
 * EventStoreDB) and all-in-one (in-process transport, sqlite).
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(options: RuntimeOptions): DynamicModule {
    const { config, transport } = options;
    // Who this process calls as (the subject suffix of its requests, its inbox prefix): its
    // NATS user name, or its service name where NATS has no users (and in-process).
    const caller =
      transport.kind === 'nats' ? natsCallerOf(config.natsUrl, options.service) : options.service;
    const providers: Provider[] = [
      { provide: ROTOR_CONFIG, useValue: config },
      { provide: KEK_RING, useValue: options.kekRing },
      { provide: CLOCK, useValue: options.clock ?? (() => new Date()) },
      {
        provide: EVENT_STORE,
        useFactory: () =>
          options.eventStore ??
          createEventStore({
            kind: config.eventStore,
            sqlitePath: config.sqlitePath,
            esdbConnectionString: config.esdbConnectionString,
          }),
      },
      {
        provide: DATA_KEY_VAULT,
        useFactory: (store: EventStore, clock: Clock) =>
          new DataKeyVault(store, options.kekRing, {
            actor: `service:${options.service}`,
            clock,
          }),
        inject: [EVENT_STORE, CLOCK],
      },
      {
        provide: NATS_CONNECTION,
        useFactory: () =>
          transport.kind === 'nats'
            ? connectNats({ url: config.natsUrl, name: `rotor-${options.service}`, caller })
            : undefined,
      },
      {
        provide: KV_BUCKETS,
        useFactory: (nats: NatsConnection | undefined): KvBucketFactory =>
          transport.kind === 'nats' ? new JetStreamKvFactory(nats!) : transport.kv,
        inject: [NATS_CONNECTION],
      },
      {
        provide: RPC_CLIENT,
        // On the runtime's own connection, which reconnects forever: the client outlives
        // NATS outages of any length.
        useFactory: (nats: NatsConnection | undefined): RpcClient => {
          const defaults = { timeoutMs: config.natsRequestTimeoutMs };
          return transport.kind === 'nats'
            ? new NatsRpcClient(nats!, caller, defaults)
            : new InProcessRpcClient(transport.bus, caller, defaults);
        },
        inject: [NATS_CONNECTION],
      },
      RuntimeLifecycle,
    ];
    return {
      module: RuntimeModule,
      providers,
      exports: providers.filter(
        (p): p is Provider & { provide: symbol } => typeof p === 'object' && 'provide' in p,
      ),
    };
  }
}
