import { createParamDecorator, Logger, type ExecutionContext } from '@nestjs/common';
import {
  BaseRpcContext,
  Server,
  Transport,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import { errorReply, INVALID_REQUEST, isErrorReply } from '@rotor/contracts';
import { firstValueFrom, isObservable } from 'rxjs';
import {
  decodeRequest,
  encodeReply,
  INTERNAL_ERROR_REPLY,
  INTERNAL_ERROR_TEXT,
  isCallerToken,
  servedSubject,
} from './wire';

/** Sends the reply text of one request. */
export type Respond = (text: string) => void;

/**
 * What the server needs of a message bus: NATS (nats/nats-link.ts) or the in-process bus
 * (in-process/in-process-link.ts). `respond` is absent when the message has no reply subject.
 */
export interface MessageLink {
  open(): Promise<void>;
  serve(
    subject: string,
    queue: string | undefined,
    onMessage: (subject: string, data: Uint8Array | string, respond: Respond | undefined) => void,
  ): void;
  /** Resolves once the server has every subscription made so far (a NATS PING). */
  flush(): Promise<void>;
  /** Stops taking messages; those already taken still get their replies. */
  stopServing(): Promise<void>;
  close(): Promise<void>;
  /** The NATS connection or the bus underneath. */
  unwrap(): unknown;
}

export interface RpcServerOptions {
  /** Queue group (`queueGroupOf(service)`): one instance answers each request. */
  readonly queue?: string;
  /** On close, how long requests in flight get to reply (ms, default 2000). */
  readonly gracePeriodMs?: number;
}

/**
 * The context argument of a Rotor handler (`@Ctx()`): the subject as published and the
 * caller token it ends with.
 */
export class RpcContext extends BaseRpcContext<[subject: string, caller: string]> {
  /** The subject as published, caller suffix included: `rotor.command.rotate-secret.gateway`. */
  getSubject(): string {
    return this.args[0];
  }

  /** Who called: the last token of the subject, the caller's NATS user name. */
  getCaller(): string {
    return this.args[1];
  }
}

/** The caller token of a request, from a handler's `@Ctx()` argument. */
export function callerOf(context: unknown): string {
  if (context instanceof RpcContext) return context.getCaller();
  throw new Error('callerOf: not the context of a Rotor RPC request');
}

/** `handle(@Payload() request: R, @Caller() caller: string)`. */
export const Caller = createParamDecorator((_: unknown, host: ExecutionContext): string =>
  callerOf(host.switchToRpc().getContext()),
);

/**
 * Nest's transport for Rotor's wire format (wire.ts), over any `MessageLink`. It keeps what
 * Nest gives a controller (`@MessagePattern`, pipes such as ContractPipe, guards,
 * interceptors, exception filters) and replaces the rest of Nest's NATS transport: no
 * envelope, no route lookup per message (each subscription holds its handler), no rxjs unless
 * a handler answers with an Observable (which is how an exception filter answers), one JSON
 * encode per reply. No message can take the process down or go unanswered: a malformed one
 * gets a 400 `invalid_request`, an unexpected failure a 500 `internal_error` without
 * internals, and a message without a reply subject is dropped with one log line.
 */
export class RpcServer extends Server implements CustomTransportStrategy {
  /** Binds `@MessagePattern(subject, Transport.NATS)` handlers as well as plain ones. */
  override transportId = Transport.NATS;
  private readonly log = new Logger('RpcServer');
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly link: MessageLink,
    private readonly options: RpcServerOptions = {},
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.link
      .open()
      .then(() => {
        for (const [subject, handler] of this.messageHandlers) this.serve(subject, handler);
        // Listening means served: a request sent right after must not meet "no responders".
        return this.link.flush();
      })
      .then(() => this._status$.next('connected'))
      .then(() => callback(), callback);
  }

  async close(): Promise<void> {
    await this.link.stopServing();
    await settledWithin([...this.inFlight], this.options.gracePeriodMs ?? 2_000);
    await this.link.close();
    this._status$.next('disconnected');
  }

  /** The NATS connection (once listening), or the in-process bus. */
  unwrap<T>(): T {
    return this.link.unwrap() as T;
  }

  /** Connection events are the link's business (nats.js reconnects by itself). */
  on(): void {}

  private serve(subject: string, handler: MessageHandler): void {
    if (handler.isEventHandler) {
      this.log.warn(
        `${subject}: event handlers are not served; Rotor's subjects are request-reply`,
      );
      return;
    }
    const queue = (handler.extras?.queue as string | undefined) ?? this.options.queue;
    const callerAt = subject.length + 1;
    this.link.serve(servedSubject(subject), queue, (received, data, respond) => {
      if (!respond) {
        this.log.warn(`dropped a message on ${received}: no reply subject`);
        return;
      }
      const caller = received.slice(callerAt);
      const context = new RpcContext([received, caller]);
      // A handler may trust the token's form: it names a NATS user (wire.ts).
      if (!isCallerToken(caller)) return this.answer(respond, context, BAD_CALLER);
      const task = this.handle(handler, data, context, respond);
      this.inFlight.add(task);
      void task.finally(() => this.inFlight.delete(task));
    });
  }

  /** Never rejects: every path ends in exactly one reply. */
  private async handle(
    handler: MessageHandler,
    data: Uint8Array | string,
    context: RpcContext,
    respond: Respond,
  ): Promise<void> {
    const request = decodeRequest(data);
    if (!request.ok) return this.answer(respond, context, request.error);
    let reply: unknown;
    try {
      const result: unknown = await handler(request.value, context);
      reply = isObservable(result)
        ? await firstValueFrom(result, { defaultValue: undefined })
        : result;
    } catch (error) {
      // Exception filters answer with a failing Observable: Rotor's filter with an
      // ErrorReply, Nest's default one with `{ status: 'error', message }`.
      reply = isErrorReply(error) ? error : this.unexpected(context, error);
    }
    this.answer(respond, context, reply);
  }

  private answer(respond: Respond, context: RpcContext, reply: unknown): void {
    let text: string;
    try {
      text = encodeReply(reply);
    } catch (error) {
      text = encodeReply(this.unexpected(context, error));
    }
    try {
      respond(text);
    } catch (error) {
      // Too big for the server's max_payload, or the connection is closed: say so, once.
      this.log.error(`cannot reply on ${context.getSubject()}: ${describe(error)}`);
      if (text !== INTERNAL_ERROR_TEXT) this.answer(respond, context, INTERNAL_ERROR_REPLY);
    }
  }

  private unexpected(context: RpcContext, error: unknown) {
    this.log.error(`a handler of ${context.getSubject()} failed: ${describe(error)}`);
    return INTERNAL_ERROR_REPLY;
  }
}

const BAD_CALLER = errorReply(
  INVALID_REQUEST,
  "the subject's last token must be the caller's NATS user name (letters, digits, '-', '_')",
  400,
);

const describe = (error: unknown): string => {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
};

async function settledWithin(tasks: Promise<unknown>[], ms: number): Promise<void> {
  if (tasks.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(tasks),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
