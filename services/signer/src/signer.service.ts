import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
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
import type { KvBucketFactory, KvWatch } from '@rotor/messaging';
import type { KeyRingDraft } from '@rotor/projections';
import { CLOCK, DATA_KEY_VAULT, KV_BUCKETS, type Clock } from '@rotor/runtime';
import { KeyRing } from './key-ring';

/** Signs payloads with every key valid at the signing time (Standard Webhooks headers). */
@Injectable()
export class SignerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SignerService.name);
  readonly ring: KeyRing;
  private watch?: KvWatch;
  private ready!: Promise<void>;

  constructor(
    @Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory,
    @Inject(DATA_KEY_VAULT) vault: DataKeyVault,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.ring = new KeyRing(vault);
  }

  async onApplicationBootstrap(): Promise<void> {
    const started = Date.now();
    const bucket = await this.buckets.bucket<KeyRingDraft>(BUCKETS.keyRing);
    this.ready = new Promise<void>((resolve) => {
      void bucket
        .watch(
          (entry) => this.ring.update(entry.key, entry.value),
          () => {
            this.logger.log(
              `key ring loaded: ${this.ring.size} endpoints in ${Date.now() - started} ms`,
            );
            resolve();
          },
        )
        .then((watch) => (this.watch = watch));
    });
    await this.ready;
  }

  async onModuleDestroy(): Promise<void> {
    await this.watch?.stop();
  }

  sign(request: SignRequest): SignReply {
    const outcome = this.signOne(request);
    if ('error' in outcome) throw new RpcException({ error: outcome.error });
    return outcome;
  }

  signBatch(request: SignBatchRequest): SignBatchReply {
    return { results: request.items.map((item) => this.signOne(item)) };
  }

  private signOne(
    request: SignRequest,
  ): SignReply | { error: ReturnType<typeof errorReply>['error'] } {
    const keys = this.ring.signingKeys(request.endpointId, this.clock().getTime());
    if (!keys || keys.length === 0)
      return errorReply('endpoint_not_found', `endpoint ${request.endpointId} not found`, 404);
    const headers = signatureHeaders({
      msgId: request.msgId,
      timestamp: request.timestamp,
      payload: request.payload,
      secrets: keys,
    });
    return {
      headers: {
        webhookId: headers['webhook-id'],
        webhookTimestamp: headers['webhook-timestamp'],
        webhookSignature: headers['webhook-signature'],
      },
    };
  }
}
