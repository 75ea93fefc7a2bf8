/**
 * What travels back when a handler refuses a request: handlers throw
 * `new RpcException(payload)` with this shape, and the caller's `RpcClient` throws it again
 * as an `RpcReplyError`. `status` is the HTTP status the gateway answers with.
 * (Local until libs/contracts exports the wire type; same fields.)
 */
export interface RpcErrorPayload {
  readonly code: string;
  readonly message: string;
  readonly status: number;
  readonly param?: string;
  readonly errors?: readonly RpcFieldError[];
}

export interface RpcFieldError {
  /** The JSON path of the field (contracts' FieldError). */
  readonly field?: string;
  readonly param?: string;
  readonly code?: string;
  readonly message: string;
}

/** The remote handler answered with an error. */
export class RpcReplyError extends Error implements RpcErrorPayload {
  readonly code: string;
  readonly status: number;
  readonly param?: string;
  readonly errors?: readonly RpcFieldError[];

  constructor(
    readonly subject: string,
    payload: RpcErrorPayload,
  ) {
    super(payload.message);
    this.name = 'RpcReplyError';
    this.code = payload.code;
    this.status = payload.status;
    if (payload.param !== undefined) this.param = payload.param;
    if (payload.errors !== undefined) this.errors = payload.errors;
  }

  /** The payload as it came over the wire, e.g. to answer the same error further on. */
  toPayload(): RpcErrorPayload {
    const { code, message, status, param, errors } = this;
    return {
      code,
      message,
      status,
      ...(param === undefined ? {} : { param }),
      ...(errors === undefined ? {} : { errors }),
    };
  }
}

/** No reply within the deadline: nobody listens on the subject, or the handler is stuck. */
export class RpcTimeoutError extends Error {
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply on ${subject} within ${timeoutMs} ms`);
    this.name = 'RpcTimeoutError';
  }
}

/** The request never got out (no connection to NATS, a payload that is not JSON...). */
export class RpcTransportError extends Error {
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(
      `request on ${subject} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'RpcTransportError';
  }
}

export const isRpcErrorPayload = (value: unknown): value is RpcErrorPayload => {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message, status } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string' && typeof status === 'number';
};
