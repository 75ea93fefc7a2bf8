import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  Optional,
  Provider,
} from '@nestjs/common';
import { INTEGRATION_EVENTS, type ServiceName } from '@rotor/contracts';
import type { RotorConfig } from '@rotor/config';
import { DataKeyVault, type KekRing } from '@rotor/crypto';
import { createEventStore, type EventStore } from '@rotor/event-store';
import {
  InMemoryEventLog,
  InProcessBus,
  InProcessRpcClient,
  InMemoryKvFactory,
  JetStreamEventLog,
  JetStreamKvFactory,
  NatsRpcClient,
  connectNats,
  drainNats,
  natsCallerOf,
  type EventLog,
  type KvBucketFactory,
  type NatsConnection,
  type RpcClient,
} from '@rotor/messaging';
import { guardedStore } from './audit';
import {
  CLOCK,
  DATA_KEY_VAULT,
  EVENT_LOG,
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
  /** The integration events, for in-process consumers; one is made when absent. */
  readonly events?: InMemoryEventLog;
}

export type RuntimeService = ServiceName | 'all-in-one';

/** What a process may hold besides NATS: each is a capability, not a convenience. */
export interface RuntimeNeeds {
  /** Opens the event store (reads and appends). */
  readonly eventStore: boolean;
  /** Holds the KEK ring, and with the store the DataKeyVault: it can open every secret. */
  readonly kekRing: boolean;
}

/**
 * Who holds what (DESIGN §2, README: Security model). Only the command service (it makes
 * secrets), the signer (it uses them) and the operator CLI hold the KEK ring; the gateway
 * talks only NATS, so a compromised edge holds neither a store handle nor a key.
 */
export const RUNTIME_NEEDS: Readonly<Record<RuntimeService, RuntimeNeeds>> = {
  command: { eventStore: true, kekRing: true },
  signer: { eventStore: true, kekRing: true },
  cli: { eventStore: true, kekRing: true },
  // Follows the store; crypto-shreds by deleting a stream, which needs no key.
  projector: { eventStore: true, kekRing: false },
  // The history of an endpoint is read from the store, redacted.
  query: { eventStore: true, kekRing: false },
  expiry: { eventStore: false, kekRing: false },
  gateway: { eventStore: false, kekRing: false },
  'all-in-one': { eventStore: true, kekRing: true },
};

export interface RuntimeOptions {
  /** Who this process is: names its NATS connection and the actor of its own events. */
  readonly service: RuntimeService;
  readonly config: RotorConfig;
  /** Required exactly when the service needs it (RUNTIME_NEEDS); refused otherwise. */
  readonly kekRing?: KekRing;
  readonly transport: { readonly kind: 'nats' } | InProcessTransport;
  readonly clock?: Clock;
  /**
   * An already open store (tests, tools); otherwise one is opened from `config` when the
   * service needs one. Tests hosting several services in one module pass it explicitly.
   */
  readonly eventStore?: EventStore;
}

/** A KEK ring handed to a service that must not hold one, or missing where it is needed. */
export class RuntimeNeedsError extends Error {}

/** Which capabilities this process gets: its needs, or what a test hands it explicitly. */
export const capabilitiesOf = (
  options: Pick<RuntimeOptions, 'service' | 'kekRing' | 'eventStore'>,
): RuntimeNeeds => {
  const needs = RUNTIME_NEEDS[options.service];
  if (needs.kekRing !== (options.kekRing !== undefined))
    throw new RuntimeNeedsError(
      needs.kekRing
        ? `${options.service} needs the KEK ring`
        : `${options.service} must not hold the KEK ring (only command, signer and the CLI do)`,
    );
  return {
    eventStore: needs.eventStore || options.eventStore !== undefined,
    kekRing: needs.kekRing,
  };
};

const NATS_CONNECTION = Symbol('NATS_CONNECTION');

/** Closes what the runtime opened, after every service has stopped using it. */
@Injectable()
class RuntimeLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('Runtime');
  constructor(
    @Optional() @Inject(EVENT_STORE) private readonly store: EventStore | undefined,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection | undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.nats) await drainNats(this.nats);
    await this.store?.close();
    this.logger.log(this.store ? 'closed the event store and drained NATS' : 'drained NATS');
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
    const capabilities = capabilitiesOf(options);
    // Every service that holds the ring also opens the store (RUNTIME_NEEDS).
    const kekRing = capabilities.kekRing ? options.kekRing : undefined;
    // A service without a capability gets no provider for it: a module that injects one
    // fails at start, loudly, instead of quietly holding a key it must not have.
    const storeProviders: Provider[] = capabilities.eventStore
      ? [
          {
            provide: EVENT_STORE,
            useFactory: () =>
              guardedStore(
                options.eventStore ??
                  createEventStore({
                    kind: config.eventStore,
                    sqlitePath: config.sqlitePath,
                    sqlite: { onThisThread: config.sqliteThread === 'main' },
                    esdbConnectionString: config.esdbConnectionString,
                  }),
                config,
                kekRing,
              ),
          },
        ]
      : [];
    const keyProviders: Provider[] = kekRing
      ? [
          { provide: KEK_RING, useValue: kekRing },
          {
            provide: DATA_KEY_VAULT,
            useFactory: (store: EventStore, clock: Clock) =>
              new DataKeyVault(store, kekRing, { actor: `service:${options.service}`, clock }),
            inject: [EVENT_STORE, CLOCK],
          },
        ]
      : [];
    const providers: Provider[] = [
      { provide: ROTOR_CONFIG, useValue: config },
      { provide: CLOCK, useValue: options.clock ?? (() => new Date()) },
      ...storeProviders,
      ...keyProviders,
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
        provide: EVENT_LOG,
        useFactory: (nats: NatsConnection | undefined): EventLog =>
          transport.kind === 'nats'
            ? new JetStreamEventLog(
                nats!,
                INTEGRATION_EVENTS.stream,
                INTEGRATION_EVENTS.subjectPrefix,
              )
            : (transport.events ?? new InMemoryEventLog()),
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
