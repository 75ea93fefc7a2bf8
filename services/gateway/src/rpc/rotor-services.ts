import { Inject, Injectable } from '@nestjs/common';
import { SUBJECTS, type ReplyOf, type RequestOf, type RpcSubject } from '@rotor/contracts';
import type { RotorConfig } from '@rotor/config';
import type { RpcClient } from '@rotor/messaging';
import { ROTOR_CONFIG, RPC_CLIENT } from '@rotor/runtime';
import { problemFromRpcError } from './rpc-problem';

/**
 * The gateway's only way to the other services (DESIGN §4): one method per subject it uses,
 * each typed by the generated contract of its subject, so a request or reply type is never
 * paired with a subject by hand. Every failure leaves as a `ProblemException` ready for the
 * filter.
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

  readonly registerEndpoint = this.caller(SUBJECTS.command.registerEndpoint);
  readonly rotateSecret = this.caller(SUBJECTS.command.rotateSecret);
  readonly revokePreviousSecret = this.caller(SUBJECTS.command.revokePreviousSecret);
  readonly deleteEndpoint = this.caller(SUBJECTS.command.deleteEndpoint);
  readonly getEndpoint = this.caller(SUBJECTS.query.getEndpoint);
  readonly listEndpoints = this.caller(SUBJECTS.query.listEndpoints);
  readonly getHistory = this.caller(SUBJECTS.query.getHistory);
  readonly getPublicKeys = this.caller(SUBJECTS.query.getPublicKeys);
  readonly sign = this.caller(SUBJECTS.signer.sign);

  /** The raw round trip, for health checks: resolves or rejects as the client does. */
  ping<T>(subject: string, payload: unknown): Promise<T> {
    return this.rpc.request<unknown, T>(subject, payload, { timeoutMs: this.timeoutMs });
  }

  /** The call of one subject, typed by the generated contract (`RotorRpcs`). */
  private caller<S extends RpcSubject>(subject: S) {
    return (request: RequestOf<S>, requestId: string) => this.call(subject, request, requestId);
  }

  private async call<S extends RpcSubject>(
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
