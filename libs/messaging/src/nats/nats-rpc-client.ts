import { ErrorCode, type NatsConnection } from 'nats';
import { DEFAULT_RPC_TIMEOUT_MS, type RpcClient, type RpcRequestOptions } from '../rpc-client';
import { RpcTimeoutError, RpcTransportError } from '../rpc-errors';
import { assertCallerToken, callerSubject, decodeReply, encodeRequest } from '../wire';

const encoder = new TextEncoder();

/**
 * `RpcClient` over nats.js `request()`, publishing as `caller` (wire.ts). Build it on a
 * connection from `connectNats` with the same `caller`: that connection reconnects forever
 * (NATS_RECONNECT_OPTIONS), so the client keeps working after an outage of any length; while
 * NATS is away a request fails with its deadline, never hangs.
 */
export class NatsRpcClient implements RpcClient {
  constructor(
    private readonly connection: NatsConnection,
    private readonly caller: string,
    private readonly defaults: RpcRequestOptions = { timeoutMs: DEFAULT_RPC_TIMEOUT_MS },
  ) {
    assertCallerToken(caller);
  }

  async request<TReq, TRes>(
    subject: string,
    payload: TReq,
    { timeoutMs }: RpcRequestOptions = this.defaults,
  ): Promise<TRes> {
    const body = encoder.encode(encodeRequest(subject, payload));
    let reply;
    try {
      reply = await this.connection.request(callerSubject(subject, this.caller), body, {
        timeout: timeoutMs,
      });
    } catch (error) {
      throw requestFailure(subject, timeoutMs, error);
    }
    return decodeReply<TRes>(subject, reply.data);
  }
}

function requestFailure(subject: string, timeoutMs: number, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === ErrorCode.Timeout) return new RpcTimeoutError(subject, timeoutMs);
  return new RpcTransportError(subject, error, code === ErrorCode.NoResponders);
}
