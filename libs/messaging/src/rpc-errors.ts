import type { ErrorBody, ErrorReply, FieldError } from '@rotor/contracts';

/**
 * The one family of RPC failures a caller of `RpcClient` sees. A refusal carries the wire's
 * own `ErrorBody` (proto `ErrorReply.error`) unchanged; `status` is the HTTP status the
 * gateway answers with.
 */

/** The service answered with `{"error": ErrorBody}`. */
export class RpcReplyError extends Error {
  override readonly name = 'RpcReplyError';

  constructor(
    readonly subject: string,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }

  get code(): string {
    return this.body.code;
  }

  get status(): number {
    return this.body.status;
  }

  get param(): string | undefined {
    return this.body.param;
  }

  get errors(): readonly FieldError[] {
    return this.body.errors ?? [];
  }

  /** The reply as it came over the wire, e.g. to answer the same error further on. */
  reply(): ErrorReply {
    return { error: this.body };
  }
}

/** No reply within the deadline: the service is stuck, paused, or NATS is away. */
export class RpcTimeoutError extends Error {
  override readonly name = 'RpcTimeoutError';

  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply on ${subject} within ${timeoutMs} ms`);
  }
}

/**
 * The request did not reach a service, or its reply was unreadable: nobody serves the
 * subject (NATS "no responders": `noResponders`), the connection is closed, or the payload
 * cannot be encoded as JSON.
 */
export class RpcTransportError extends Error {
  override readonly name = 'RpcTransportError';

  constructor(
    readonly subject: string,
    cause: unknown,
    readonly noResponders = false,
  ) {
    super(
      noResponders
        ? `no service serves ${subject}`
        : `request on ${subject} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** A service that did not answer, for whatever reason: the caller may retry later. */
export const isRpcUnavailable = (error: unknown): error is RpcTimeoutError | RpcTransportError =>
  error instanceof RpcTimeoutError || error instanceof RpcTransportError;
