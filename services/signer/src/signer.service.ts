import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import {
  BUCKETS,
  errorReply,
  type SignBatchReply,
  type SignBatchRequest,
  type SignReply,
  type SignRequest,
} from '@rotor/contracts';
import { signatureHeaders, type DataKeyVault } from '@rotor/crypto';
import { ResilientWatch, warnWatchFailure, type KvBucketFactory } from '@rotor/messaging';
import type { KeyRingView } from '@rotor/projections';
import { CLOCK, DATA_KEY_VAULT, KV_BUCKETS, ServiceReadiness, type Clock } from '@rotor/runtime';
import { KeyRing } from './key-ring';

/** Signs payloads with every key valid at the signing time (Standard Webhooks headers). */
@Injectable()
export class SignerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SignerService.name);
  readonly ring: KeyRing;
  private watch?: ResilientWatch<KeyRingView>;

  constructor(
    @Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory,
    @Inject(DATA_KEY_VAULT) vault: DataKeyVault,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly readiness?: ServiceReadiness,
  ) {
    this.ring = new KeyRing(vault);
    this.readiness?.registerLoop('key_ring_watch', () => this.watch?.state);
  }

  async onApplicationBootstrap(): Promise<void> {
    const started = Date.now();
    // Self-healing: after an outage the watch comes back and the ring converges again.
    this.watch = new ResilientWatch<KeyRingView>({
      open: () => this.buckets.bucket<KeyRingView>(BUCKETS.keyRing),
      onEntry: (entry) => this.ring.update(entry.key, entry.value),
      onInitialDone: () =>
        this.logger.log(
          `key ring loaded: ${this.ring.size} endpoints in ${Date.now() - started} ms`,
        ),
      onFailure: warnWatchFailure(this.logger, 'key ring watch'),
    });
    await this.watch.loaded;
  }

  async onModuleDestroy(): Promise<void> {
    await this.watch?.stop();
  }

  async sign(request: SignRequest): Promise<SignReply> {
    const outcome = await this.signOne(request);
    if ('error' in outcome) throw new RpcException({ error: outcome.error });
    return outcome;
  }

  async signBatch(request: SignBatchRequest): Promise<SignBatchReply> {
    return { results: await Promise.all(request.items.map((item) => this.signOne(item))) };
  }

  private async signOne(
    request: SignRequest,
  ): Promise<SignReply | { error: ReturnType<typeof errorReply>['error'] }> {
    const otherTenant =
      request.tenantId !== undefined && this.ring.tenantOf(request.endpointId) !== request.tenantId;
    const keys = otherTenant
      ? undefined
      : await this.ring.signingKeys(request.endpointId, this.clock().getTime());
    if (!keys || keys.length === 0)
      return errorReply('endpoint_not_found', `endpoint ${request.endpointId} not found`, 404);
    return {
      headers: signatureHeaders({
        msgId: request.msgId,
        timestamp: request.timestamp,
        payload: request.payload,
        secrets: keys,
      }),
    };
  }
}
