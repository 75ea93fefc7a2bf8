import { Inject, Injectable } from '@nestjs/common';
import {
  SUBJECTS,
  type DeleteEndpointReply,
  type DeleteEndpointRequest,
  type EndpointView,
  type GetEndpointRequest,
  type GetHistoryReply,
  type GetHistoryRequest,
  type GetPublicKeysReply,
  type GetPublicKeysRequest,
  type ListEndpointsReply,
  type ListEndpointsRequest,
  type RegisterEndpointReply,
  type RegisterEndpointRequest,
  type RevokePreviousSecretReply,
  type RevokePreviousSecretRequest,
  type RotateSecretReply,
  type RotateSecretRequest,
  type SignReply,
  type SignRequest,
} from '@rotor/contracts';
import type { RotorConfig } from '@rotor/config';
import type { RpcClient } from '@rotor/messaging';
import { ROTOR_CONFIG, RPC_CLIENT } from '@rotor/runtime';
import { problemFromRpcError } from './rpc-problem';

/**
 * The gateway's only way to the other services (DESIGN §4): one typed method per subject
 * it uses. Every failure leaves as a `ProblemException` ready for the filter.
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

  registerEndpoint(request: RegisterEndpointRequest, requestId: string) {
    return this.call<RegisterEndpointReply>(SUBJECTS.command.registerEndpoint, request, requestId);
  }

  rotateSecret(request: RotateSecretRequest, requestId: string) {
    return this.call<RotateSecretReply>(SUBJECTS.command.rotateSecret, request, requestId);
  }

  revokePreviousSecret(request: RevokePreviousSecretRequest, requestId: string) {
    return this.call<RevokePreviousSecretReply>(
      SUBJECTS.command.revokePreviousSecret,
      request,
      requestId,
    );
  }

  deleteEndpoint(request: DeleteEndpointRequest, requestId: string) {
    return this.call<DeleteEndpointReply>(SUBJECTS.command.deleteEndpoint, request, requestId);
  }

  getEndpoint(request: GetEndpointRequest, requestId: string) {
    return this.call<EndpointView>(SUBJECTS.query.getEndpoint, request, requestId);
  }

  listEndpoints(request: ListEndpointsRequest, requestId: string) {
    return this.call<ListEndpointsReply>(SUBJECTS.query.listEndpoints, request, requestId);
  }

  getHistory(request: GetHistoryRequest, requestId: string) {
    return this.call<GetHistoryReply>(SUBJECTS.query.getHistory, request, requestId);
  }

  getPublicKeys(request: GetPublicKeysRequest, requestId: string) {
    return this.call<GetPublicKeysReply>(SUBJECTS.query.getPublicKeys, request, requestId);
  }

  sign(request: SignRequest, requestId: string) {
    return this.call<SignReply>(SUBJECTS.signer.sign, request, requestId);
  }

  /** The raw round trip, for health checks: resolves or rejects as the client does. */
  ping<T>(subject: string, payload: unknown): Promise<T> {
    return this.rpc.request<unknown, T>(subject, payload, { timeoutMs: this.timeoutMs });
  }

  private async call<TRes>(subject: string, payload: unknown, requestId: string): Promise<TRes> {
    try {
      return await this.rpc.request<unknown, TRes>(subject, payload, { timeoutMs: this.timeoutMs });
    } catch (error) {
      throw problemFromRpcError(error, subject, requestId);
    }
  }
}
