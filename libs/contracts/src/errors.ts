import type { ErrorBody, ErrorReply, FieldError } from './generated/rotor.v1';

/**
 * Errors over NATS. A handler that fails throws `RpcException(errorReply(...))`; Rotor's
 * transport (libs/messaging) sends the ErrorReply as the reply, `{"error": ErrorBody}`, and
 * the caller's RpcClient throws it as an `RpcReplyError` carrying that ErrorBody.
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
