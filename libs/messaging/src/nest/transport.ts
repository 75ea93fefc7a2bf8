import type { MicroserviceOptions } from '@nestjs/microservices';
import type { InProcessBus } from '../in-process/in-process-bus';
import { InProcessLink } from '../in-process/in-process-rpc';
import { NatsLink } from '../nats/nats-link';
import { natsCallerOf } from '../nats/nats-connection';
import { RpcServer, type RpcServerOptions } from '../rpc-server';

export interface NatsServerOptions extends RpcServerOptions {
  readonly url: string;
  /** Queue group (`queueGroupOf(service)`): one instance answers each request. */
  readonly queue: string;
  /** Connection name shown by the server, e.g. `rotor-command`. */
  readonly name?: string;
}

/** For `NestFactory.createMicroservice` / `app.connectMicroservice`, distributed mode. */
export function natsServerOptions(options: NatsServerOptions): MicroserviceOptions {
  const { url, queue, name = queue, gracePeriodMs } = options;
  const link = new NatsLink({ url, name, caller: natsCallerOf(url, queue) });
  return { strategy: new RpcServer(link, { queue, gracePeriodMs }) };
}

/** The all-in-one counterpart of `natsServerOptions`: same handlers, same JSON, on the bus. */
export function inProcessServerOptions(bus: InProcessBus, queue?: string): MicroserviceOptions {
  return { strategy: new RpcServer(new InProcessLink(bus), { queue }) };
}
