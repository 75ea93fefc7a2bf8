import { DEFAULT_RPC_TIMEOUT_MS, type RpcClient, type RpcRequestOptions } from '../rpc-client';
import { RpcTimeoutError, RpcTransportError } from '../rpc-errors';
import type { MessageLink, Respond } from '../rpc-server';
import { assertCallerToken, callerSubject, decodeReply, encodeRequest } from '../wire';
import type { InProcessBus } from './in-process-bus';

/**
 * Rotor's wire format on the all-in-one mode's bus: the same JSON text and subjects as over
 * NATS (wire.ts), so a handler and a caller cannot tell the two apart.
 */
export class InProcessLink implements MessageLink {
  private unsubscribes: Array<() => void> = [];

  constructor(private readonly bus: InProcessBus) {}

  async open(): Promise<void> {}

  serve(
    subject: string,
    queue: string | undefined,
    onMessage: (subject: string, data: string, respond: Respond | undefined) => void,
  ): void {
    this.unsubscribes.push(
      this.bus.subscribe(subject, (raw, reply, received) => onMessage(received, raw, reply), queue),
    );
  }

  /** Subscriptions on the bus take effect at once. */
  async flush(): Promise<void> {}

  async stopServing(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  async close(): Promise<void> {}

  unwrap(): InProcessBus {
    return this.bus;
  }
}

/** `RpcClient` on the in-process bus, publishing as `caller`; the counterpart of `NatsRpcClient`. */
export class InProcessRpcClient implements RpcClient {
  constructor(
    private readonly bus: InProcessBus,
    private readonly caller: string,
    private readonly defaults: RpcRequestOptions = { timeoutMs: DEFAULT_RPC_TIMEOUT_MS },
  ) {
    assertCallerToken(caller);
  }

  request<TReq, TRes>(
    subject: string,
    payload: TReq,
    { timeoutMs }: RpcRequestOptions = this.defaults,
  ): Promise<TRes> {
    return new Promise<TRes>((resolve, reject) => {
      const body = encodeRequest(subject, payload);
      const timer = setTimeout(() => reject(new RpcTimeoutError(subject, timeoutMs)), timeoutMs);
      const delivered = this.bus.publish(callerSubject(subject, this.caller), body, (answer) => {
        clearTimeout(timer);
        try {
          resolve(decodeReply<TRes>(subject, answer));
        } catch (error) {
          reject(error);
        }
      });
      // As NATS answers "no responders" at once, so does the bus.
      if (delivered === 0) {
        clearTimeout(timer);
        reject(new RpcTransportError(subject, undefined, true));
      }
    });
  }
}
