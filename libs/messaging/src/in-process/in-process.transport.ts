import { isUndefined } from '@nestjs/common/utils/shared.utils';
import {
  ClientProxy,
  NatsContext,
  Server,
  Transport,
  type CustomTransportStrategy,
  type IncomingRequest,
  type IncomingResponse,
  type ReadPacket,
  type WritePacket,
} from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants';
import { EventEmitter } from 'events';
import { InProcessBus, type InProcessReply } from './in-process-bus';

/**
 * Nest's NATS transport without NATS, for the all-in-one mode. Both ends copy
 * ServerNats/ClientNats step by step (same packets `{ id, pattern, data }` and
 * `{ id, err, response, isDisposed }`, same base-class machinery: `getHandlerByPattern`,
 * `send`, the exception filters, a `NatsContext`), with JSON text in place of the socket.
 * So a handler cannot tell which transport called it, and a caller gets the same values and
 * the same error objects, including what an `RpcException` becomes.
 */
export interface InProcessServerOptions {
  /** Queue group, as `queue` in Nest's NATS options: one reply per group. */
  readonly queue?: string;
}

type Listener = (...args: unknown[]) => void;

export class InProcessServer
  extends Server<Record<string, Listener>>
  implements CustomTransportStrategy
{
  /**
   * Poses as NATS, so a `@MessagePattern(subject, Transport.NATS)` binds here too: the
   * all-in-one mode runs the very controllers the distributed mode runs.
   */
  override transportId = Transport.NATS;
  private readonly events = new EventEmitter();
  private unsubscribes: Array<() => void> = [];

  constructor(
    private readonly bus: InProcessBus,
    private readonly options: InProcessServerOptions = {},
  ) {
    super();
    this.initializeSerializer({});
    this.initializeDeserializer({});
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    for (const [channel, handler] of this.messageHandlers) {
      const queue = (handler.extras?.queue as string | undefined) ?? this.options.queue;
      this.unsubscribes.push(
        this.bus.subscribe(
          channel,
          (raw, reply) => {
            this.handleMessage(channel, raw, reply).catch((error: unknown) =>
              this.logger.error(error),
            );
          },
          queue,
        ),
      );
    }
    this._status$.next('connected');
    callback();
  }

  close(): void {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    this.events.removeAllListeners();
  }

  /** The bus plays the part of the NATS connection. */
  unwrap<T>(): T {
    return this.bus as T;
  }

  /** Nothing to report: the bus cannot disconnect. */
  on<K extends string, C extends Listener>(event: K, callback: C): void {
    this.events.on(event, callback);
  }

  /** ServerNats.handleMessage, minus the bytes. */
  private async handleMessage(
    channel: string,
    raw: string,
    reply: InProcessReply | undefined,
  ): Promise<void> {
    const context = new NatsContext([channel, undefined]);
    const message = (await this.deserializer.deserialize(JSON.parse(raw), {
      channel,
      replyTo: reply ? '_INBOX.in-process' : undefined,
    })) as IncomingRequest;
    if (isUndefined(message.id)) {
      await this.handleEvent(channel, message, context);
      return;
    }
    const publish = this.getPublisher(reply, message.id, context);
    const handler = this.getHandlerByPattern(channel);
    if (!handler) {
      publish({ status: 'error', err: NO_MESSAGE_HANDLER });
      return;
    }
    this.onProcessingStartHook(this.transportId, context, async () => {
      const response$ = this.transformToObservable(await handler(message.data, context));
      if (response$) this.send(response$, publish);
    });
  }

  private getPublisher(
    reply: InProcessReply | undefined,
    id: string,
    context: NatsContext,
  ): (packet: WritePacket) => void {
    if (!reply) return () => undefined;
    return (packet) => {
      const outgoing = this.serializer.serialize(Object.assign(packet, { id }));
      this.onProcessingEndHook?.(this.transportId, context);
      reply(JSON.stringify(outgoing));
    };
  }
}

export class InProcessClient extends ClientProxy<Record<string, Listener>> {
  private readonly events = new EventEmitter();

  constructor(private readonly bus: InProcessBus) {
    super();
    this.initializeSerializer({});
    this.initializeDeserializer({});
  }

  async connect(): Promise<InProcessBus> {
    this._status$.next('connected');
    return this.bus;
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }

  /** The bus plays the part of the NATS connection. */
  unwrap<T>(): T {
    return this.bus as T;
  }

  /** Nothing to report: the bus cannot disconnect. */
  override on<K extends string, C extends Listener>(event: K, callback: C): void {
    this.events.on(event, callback);
  }

  /** ClientNats.publish + createSubscriptionHandler, minus the bytes. */
  protected publish(
    partialPacket: ReadPacket,
    callback: (packet: WritePacket) => void,
  ): () => void {
    let listening = true;
    try {
      const packet = this.assignPacketId(partialPacket);
      const channel = this.normalizePattern(partialPacket.pattern);
      const raw = JSON.stringify(this.serializer.serialize(packet));
      this.bus.publish(channel, raw, (answer) => {
        if (!listening) return;
        const message = this.deserializer.deserialize(JSON.parse(answer)) as IncomingResponse;
        if (message.id && message.id !== packet.id) return;
        const { err, response, isDisposed } = message;
        if (isDisposed || err) callback({ err, response, isDisposed: true });
        else callback({ err, response });
      });
    } catch (err) {
      callback({ err });
    }
    return () => {
      listening = false;
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const channel = this.normalizePattern(packet.pattern);
    this.bus.publish(channel, JSON.stringify(this.serializer.serialize(packet)));
    return undefined as T;
  }
}
