import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import {
  ClientProxy,
  ClientProxyFactory,
  Transport,
  type MicroserviceOptions,
  type NatsOptions,
} from '@nestjs/microservices';
import { InProcessBus } from '../in-process/in-process-bus';
import { InProcessClient, InProcessServer } from '../in-process/in-process.transport';
import { NATS_RECONNECT_OPTIONS, natsServerAndCredentials } from '../nats/nats-connection';

export interface NatsServerOptions {
  readonly url: string;
  /** Queue group (`queueGroupOf(service)`): one instance answers each request. */
  readonly queue: string;
  /** Connection name shown by the server, e.g. `rotor-command`. */
  readonly name?: string;
  /**
   * On close, after unsubscribing, how long in-flight handlers get to reply before the
   * connection closes (ms, default 2000; Nest's own default is 10 s).
   */
  readonly gracePeriodMs?: number;
}

/** For `NestFactory.createMicroservice` / `app.connectMicroservice`, distributed mode. */
export function natsServerOptions(options: NatsServerOptions): MicroserviceOptions {
  const nats: NatsOptions = {
    transport: Transport.NATS,
    options: {
      ...natsServerAndCredentials(options.url),
      queue: options.queue,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...NATS_RECONNECT_OPTIONS,
      gracefulShutdown: true,
      gracePeriod: options.gracePeriodMs ?? 2_000,
    },
  };
  return nats;
}

/** The all-in-one counterpart of `natsServerOptions`: same handlers, on the shared bus. */
export function inProcessServerOptions(bus: InProcessBus, queue?: string): MicroserviceOptions {
  return { strategy: new InProcessServer(bus, queue === undefined ? {} : { queue }) };
}

/**
 * A `ClientProxy` over NATS under `token`, closed when the application shuts down (as
 * `ClientsModule` does), connecting lazily on the first request.
 */
export function natsClientProvider(
  token: InjectionToken,
  url: string,
  options: { readonly name?: string } = {},
): FactoryProvider<ClientProxy> {
  return {
    provide: token,
    useFactory: () =>
      closeOnShutdown(
        ClientProxyFactory.create({
          transport: Transport.NATS,
          options: {
            ...natsServerAndCredentials(url),
            ...(options.name === undefined ? {} : { name: options.name }),
            ...NATS_RECONNECT_OPTIONS,
          },
        }),
      ),
  };
}

/** The all-in-one counterpart of `natsClientProvider`. */
export function inProcessClientProvider(
  token: InjectionToken,
  bus: InProcessBus,
): FactoryProvider<ClientProxy> {
  return { provide: token, useFactory: () => closeOnShutdown(new InProcessClient(bus)) };
}

function closeOnShutdown(client: ClientProxy): ClientProxy {
  return Object.assign(client, { onApplicationShutdown: () => client.close() });
}
