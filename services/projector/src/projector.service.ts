import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import {
  API_KEYS_BUCKET,
  API_KEY_STREAM_PREFIX,
  applyApiKeyEvent,
  type ApiKeyView,
} from '@rotor/access';
import { BUCKETS } from '@rotor/contracts';
import { dataKeyStreamName } from '@rotor/crypto';
import { START, type EventStore, type RecordedEvent, type Subscription } from '@rotor/event-store';
import type { KvBucket, KvBucketFactory } from '@rotor/messaging';
import type { EndpointView, KeyRingDraft } from '@rotor/projections';
import { EVENT_STORE, KV_BUCKETS } from '@rotor/runtime';
import { endpointIdOf, project } from './projection';
import {
  CHECKPOINT_EVERY,
  CHECKPOINT_KEY,
  PROJECTED_STREAM_PREFIXES,
  PROJECTOR_STATE_BUCKET,
} from './projector.constants';

/**
 * Keeps the views in the KV buckets in step with the store: a catch-up subscription from
 * its saved checkpoint, then live. The store is the truth; the views can always be
 * rebuilt from it, and applying an event twice changes nothing, so a checkpoint that
 * lags behind the views after a crash only costs a few replayed events.
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ProjectorService.name);
  private subscription?: Subscription;
  private endpoints!: KvBucket<EndpointView>;
  private keyRings!: KvBucket<KeyRingDraft>;
  private state!: KvBucket<{ position: string }>;
  private apiKeys!: KvBucket<ApiKeyView>;
  private readonly endpointCache = new Map<string, EndpointView>();
  private readonly keyRingCache = new Map<string, KeyRingDraft>();
  private sinceCheckpoint = 0;
  private caughtUp = false;
  /** The last position applied: read by health checks and the lag metric. */
  lastPosition: string = START;
  lastEventAt?: Date;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.endpoints = await this.buckets.bucket<EndpointView>(BUCKETS.endpoints);
    this.keyRings = await this.buckets.bucket<KeyRingDraft>(BUCKETS.keyRing);
    this.state = await this.buckets.bucket<{ position: string }>(PROJECTOR_STATE_BUCKET);
    this.apiKeys = await this.buckets.bucket<ApiKeyView>(API_KEYS_BUCKET);
    const from = (await this.state.get(CHECKPOINT_KEY))?.position ?? START;
    this.lastPosition = from;
    this.logger.log(`projecting from ${from === START ? 'the start' : `position ${from}`}`);
    this.subscription = this.store.subscribeAll(from, {
      filter: { streamPrefixes: PROJECTED_STREAM_PREFIXES },
      onEvent: (event) => this.apply(event),
      onCaughtUp: () => {
        this.caughtUp = true;
        void this.saveCheckpoint();
        this.logger.log(`caught up at position ${this.lastPosition}`);
      },
      onError: (error) => this.logger.error(`projection stopped: ${error.message}`, error.stack),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
    if (this.state) await this.saveCheckpoint();
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  private async apply(event: RecordedEvent): Promise<void> {
    const endpointId = endpointIdOf(event);
    if (endpointId !== undefined) {
      const current = {
        endpointView: await this.cached(this.endpointCache, this.endpoints, endpointId),
        keyRing: await this.cached(this.keyRingCache, this.keyRings, endpointId),
      };
      const update = project(event, current);
      if (update?.endpointView) {
        this.endpointCache.set(endpointId, update.endpointView);
        await this.endpoints.put(endpointId, update.endpointView);
      }
      if (update?.keyRing) {
        this.keyRingCache.set(endpointId, update.keyRing);
        await this.keyRings.put(endpointId, update.keyRing);
      }
      // Crypto-shredding, should the command service have died between the deletion and its
      // own shred: deleting the data-key stream needs no KEK, so the projector holds none.
      if (update?.shred) await this.store.deleteStream(dataKeyStreamName(endpointId));
    }
    if (event.stream.startsWith(API_KEY_STREAM_PREFIX)) await this.projectApiKey(event.stream);
    this.lastPosition = event.position;
    this.lastEventAt = new Date();
    this.sinceCheckpoint += 1;
    if (this.caughtUp || this.sinceCheckpoint >= CHECKPOINT_EVERY) await this.saveCheckpoint();
  }

  /**
   * The gateway looks keys up by hash, but a revocation names only the key id: fold the
   * key's (short) stream from the store so any event yields the whole view.
   */
  private async projectApiKey(stream: string): Promise<void> {
    const events = await this.store.read(stream);
    if (events.length === 0) return;
    const view = events.reduce<ApiKeyView | undefined>(applyApiKeyEvent, undefined)!;
    await this.apiKeys.put(view.hashedKey, view);
  }

  private async cached<T>(
    cache: Map<string, T>,
    bucket: KvBucket<T>,
    key: string,
  ): Promise<T | undefined> {
    if (cache.has(key)) return cache.get(key);
    const value = await bucket.get(key);
    if (value !== undefined) cache.set(key, value);
    return value;
  }

  private async saveCheckpoint(): Promise<void> {
    this.sinceCheckpoint = 0;
    await this.state.put(CHECKPOINT_KEY, { position: this.lastPosition });
  }
}
