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
  type GetEndpointRequest,
  type GetHistoryRequest,
  type GetPublicKeysReply,
  type GetPublicKeysRequest,
  type ListEndpointsRequest,
  type ListKeysRequest,
} from '@rotor/contracts';
import { endpointStreamName, isEndpointId, upcast } from '@rotor/domain';
import type { EventStore } from '@rotor/event-store';
import { ResilientWatch, warnWatchFailure, type KvBucketFactory } from '@rotor/messaging';
import { publicKeysAt, type EndpointView } from '@rotor/projections';
import { CLOCK, EVENT_STORE, KV_BUCKETS, ServiceReadiness, type Clock } from '@rotor/runtime';
import { EndpointIndex } from './endpoint-index';
import { redact } from './history';

const notFound = (endpointId: string) =>
  new RpcException(errorReply('endpoint_not_found', `endpoint ${endpointId} not found`, 404));

/** Reads: endpoint views from the projector's bucket, history straight from the store. */
@Injectable()
export class QueryService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly index = new EndpointIndex();
  private readonly logger = new Logger(QueryService.name);
  private watch?: ResilientWatch<EndpointView>;

  constructor(
    @Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly readiness?: ServiceReadiness,
  ) {
    this.readiness?.registerLoop('endpoint_watch', () => this.watch?.state);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.watch = new ResilientWatch<EndpointView>({
      open: () => this.buckets.bucket<EndpointView>(BUCKETS.endpoints),
      onEntry: (entry) => this.index.update(entry.key, entry.value),
      onFailure: warnWatchFailure(this.logger, 'endpoint view watch'),
    });
    await this.watch.loaded;
  }

  async onModuleDestroy(): Promise<void> {
    await this.watch?.stop();
  }

  getEndpoint({ tenantId, endpointId }: GetEndpointRequest) {
    const view = this.index.get(tenantId, endpointId, this.clock());
    if (!view) throw notFound(endpointId);
    return view;
  }

  listEndpoints({ tenantId, limit, cursor, externalId }: ListEndpointsRequest) {
    const page = this.index.list(tenantId, { limit, cursor, externalId }, this.clock());
    if (page === 'bad_cursor')
      throw new RpcException(
        errorReply('invalid_cursor', 'cursor is not one this API returned', 422, {
          param: 'cursor',
        }),
      );
    return page;
  }

  listKeys(request: ListKeysRequest) {
    return { data: this.getEndpoint(request).keys };
  }

  /**
   * The Ed25519 public keys receivers verify with. No tenant: an endpoint id is 128 random
   * bits (or a keyed hash), unguessable, and every endpoint that publishes nothing (unknown,
   * deleted, HMAC only, another tenant's) answers the same 404, so nothing can be enumerated.
   */
  getPublicKeys({ endpointId }: GetPublicKeysRequest): GetPublicKeysReply {
    const view = this.index.byEndpointId(endpointId);
    const published = view && publicKeysAt(view, this.clock());
    if (!published || published.keys.length === 0) throw notFound(endpointId);
    return { data: published.keys, maxAgeSeconds: published.maxAgeSeconds };
  }

  /** The audit history, read from the store itself so it is never behind. */
  async getHistory({ tenantId, endpointId }: GetHistoryRequest) {
    if (!isEndpointId(endpointId)) throw notFound(endpointId);
    const recorded = await this.store.read(endpointStreamName(endpointId));
    const first = recorded[0] && upcast(recorded[0]);
    if (first?.type !== 'EndpointRegistered' || first.data.tenantId !== tenantId)
      throw notFound(endpointId);
    return { data: recorded.map(redact) };
  }
}
