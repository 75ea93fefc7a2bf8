export interface RpcRequestOptions {
  /** Deadline for the reply, in ms; then an `RpcTimeoutError`. */
  readonly timeoutMs: number;
}

/**
 * Request-reply as the callers see it: a promise, typed errors, no framework. Throws
 * `RpcReplyError` (the service refused), `RpcTimeoutError`, or `RpcTransportError` (nobody
 * serves the subject, or the request could not be sent). Implemented over NATS
 * (`NatsRpcClient`) and over the in-process bus (`InProcessRpcClient`), with the same bytes.
 */
export interface RpcClient {
  /** Without `options`, the client's default deadline applies. */
  request<TReq, TRes>(subject: string, payload: TReq, options?: RpcRequestOptions): Promise<TRes>;
}

export const DEFAULT_RPC_TIMEOUT_MS = 5_000;
