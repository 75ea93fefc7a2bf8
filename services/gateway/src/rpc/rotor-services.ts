import { Inject, Injectable } from '@nestjs/common';
import type { ReplyOf, RequestOf, RpcSubject } from '@rotor/contracts';
import type { RotorConfig } from '@rotor/config';
import type { RpcClient } from '@rotor/messaging';
import { ROTOR_CONFIG, RPC_CLIENT } from '@rotor/runtime';
import { problemFromRpcError } from './rpc-problem';

/**
 * The gateway's only way to the other services (DESIGN §4): `call(SUBJECTS.x.y, request)`,
 * typed by the generated contract of its subject, so a request or reply type is never paired
 * with a subject by hand, and a new route needs nothing here. Every failure leaves as a
 * `ProblemException` ready for the filter.
 */
@Injectable()
export class RotorServices {
  private readonly timeoutMs: number;

  constructor(
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(ROTOR_CONFIG) config: RotorConfig,
  ) {
    this.timeoutMs = config.natsRequestTimeoutMs;
  }

  /** The raw round trip, for health checks: resolves or rejects as the client does. */
  ping<T>(subject: string, payload: unknown): Promise<T> {
    return this.rpc.request<unknown, T>(subject, payload, { timeoutMs: this.timeoutMs });
  }

  /** One request to a subject and its reply, typed by the generated contract (`RotorRpcs`). */
  async call<S extends RpcSubject>(
    subject: S,
    request: RequestOf<S>,
    requestId: string,
  ): Promise<ReplyOf<S>> {
    try {
      return await this.rpc.request<RequestOf<S>, ReplyOf<S>>(subject, request, {
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      throw problemFromRpcError(error, subject, requestId);
    }
  }
}
