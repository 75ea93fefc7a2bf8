import type { ErrorBody, ErrorReply, FieldError } from './generated/rotor.v1';

/**
 * Errors over NATS. A handler that fails throws `RpcException(errorReply(...))`; NestJS
 * sends the object as the error of the reply and the client's observable errors with it.
 * `RotorRpcError.from` turns whatever a client caught back into an Error carrying an
 * ErrorReply, so callers (the gateway above all) map one shape to HTTP.
 */
export const INVALID_REQUEST = 'invalid_request';
export const INTERNAL_ERROR = 'internal_error';

export interface ErrorExtra {
  /** The input field to blame (its JSON name). */
  readonly param?: string;
  readonly errors?: readonly FieldError[];
}

export const errorReply = (
  code: string,
  message: string,
  status: number,
  extra: ErrorExtra = {},
): ErrorReply => ({
  error: {
    code,
    message,
    status,
    ...(extra.param === undefined ? {} : { param: extra.param }),
    errors: extra.errors ?? [],
  },
});

/** 422 invalid_request: the request broke its contract; `errors` names each field. */
export const invalidRequest = (message: string, errors: readonly FieldError[]): ErrorReply =>
  errorReply(INVALID_REQUEST, message, 422, { errors });

/** Shape check, lenient on extras: enough to tell an error reply from a normal one. */
export const isErrorReply = (value: unknown): value is ErrorReply => {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, status } = error as Partial<Record<keyof ErrorBody, unknown>>;
  return (
    typeof code === 'string' &&
    typeof message === 'string' &&
    typeof status === 'number' &&
    Number.isInteger(status)
  );
};

/** An error reply received over NATS, as an Error a caller can throw and catch. */
export class RotorRpcError extends Error {
  override readonly name = 'RotorRpcError';

  constructor(
    readonly reply: ErrorReply,
    options?: { readonly cause?: unknown },
  ) {
    super(reply.error.message, options);
  }

  get code(): string {
    return this.reply.error.code;
  }

  get status(): number {
    return this.reply.error.status;
  }

  get param(): string | undefined {
    return this.reply.error.param;
  }

  get errors(): readonly FieldError[] {
    return this.reply.error.errors ?? [];
  }

  /**
   * Whatever a client caught: an ErrorReply (or a RotorRpcError) keeps its code and status;
   * anything else (NestJS's "Internal server error", a transport failure) becomes
   * 500 internal_error, with the original as `cause` and nothing of it in the message.
   */
  static from(caught: unknown): RotorRpcError {
    if (caught instanceof RotorRpcError) return caught;
    if (isErrorReply(caught)) return new RotorRpcError(caught);
    return new RotorRpcError(errorReply(INTERNAL_ERROR, 'internal error', 500), { cause: caught });
  }
}

/** For replies that may be an ErrorReply: the reply, or a thrown RotorRpcError. */
export const unwrapReply = <T>(reply: T | ErrorReply): T => {
  if (isErrorReply(reply)) throw new RotorRpcError(reply);
  return reply;
};
