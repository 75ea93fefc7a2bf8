import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, throwError, timeout } from 'rxjs';
import { isRpcErrorPayload, RpcReplyError, RpcTimeoutError, RpcTransportError } from './rpc-errors';

export interface RpcRequestOptions {
  /** Deadline for the reply, in ms; then an `RpcTimeoutError`. */
  readonly timeoutMs: number;
}

/**
 * Request-reply as the callers see it: a promise, typed errors, no framework. Throws
 * `RpcReplyError` (the handler refused), `RpcTimeoutError`, or `RpcTransportError`.
 */
export interface RpcClient {
  /** Without `options`, the adapter's default deadline applies. */
  request<TReq, TRes>(subject: string, payload: TReq, options?: RpcRequestOptions): Promise<TRes>;
}

export const DEFAULT_RPC_TIMEOUT_MS = 5_000;

/** Over a Nest `ClientProxy`: `ClientNats` in the distributed mode, `InProcessClient` in one. */
export class NestRpcClient implements RpcClient {
  constructor(
    private readonly client: ClientProxy,
    private readonly defaults: RpcRequestOptions = { timeoutMs: DEFAULT_RPC_TIMEOUT_MS },
  ) {}

  async request<TReq, TRes>(
    subject: string,
    payload: TReq,
    { timeoutMs }: RpcRequestOptions = this.defaults,
  ): Promise<TRes> {
    try {
      // A handler that returns nothing completes without a value: that is `undefined`.
      return await firstValueFrom(
        this.client.send<TRes, TReq>(subject, payload).pipe(
          timeout({
            first: timeoutMs,
            with: () => throwError(() => new RpcTimeoutError(subject, timeoutMs)),
          }),
        ),
        { defaultValue: undefined as TRes },
      );
    } catch (error) {
      // NATS answers at once when no one subscribes ("503 no responders"): for the caller
      // that is the same as nobody answering in time.
      if (
        (error as { code?: unknown } | null)?.code === '503' ||
        /no subscribers listening/.test((error as Error | null)?.message ?? '')
      )
        throw new RpcTimeoutError(subject, timeoutMs);
      throw toRpcError(subject, error);
    }
  }
}

/**
 * Nest hands errors over as they came off the wire: our payload from an `RpcException`,
 * `{ status: 'error', message }` from its filter when a handler threw anything else, a bare
 * string when no handler matched, or an `Error` from the client itself.
 */
export function toRpcError(subject: string, wire: unknown): Error {
  if (wire instanceof RpcTimeoutError || wire instanceof RpcReplyError) return wire;
  // The contracts' ErrorReply wraps the payload: `{ error: { code, message, status, ... } }`.
  const inner = (wire as { error?: unknown } | null)?.error;
  const error = isRpcErrorPayload(inner) ? inner : wire;
  if (isRpcErrorPayload(error)) return new RpcReplyError(subject, error);
  if (error instanceof Error) return new RpcTransportError(subject, error);
  if (typeof error === 'string')
    return new RpcReplyError(subject, { code: 'no_handler', message: error, status: 500 });
  const message =
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Record<string, unknown>).message === 'string'
      ? ((error as Record<string, unknown>).message as string)
      : 'Internal server error';
  return new RpcReplyError(subject, { code: 'internal_error', message, status: 500 });
}
