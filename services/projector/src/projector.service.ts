import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import {
  API_KEYS_BUCKET,
  API_KEY_STREAM_PREFIX,
  applyApiKeyEvent,
  type ApiKeyView,
} from '@rotor/access';
import { BUCKETS, type ProjectionStatus } from '@rotor/contracts';
import { dataKeyStreamName } from '@rotor/crypto';
import { START, type EventStore, type RecordedEvent } from '@rotor/event-store';
import {
  describeError,
  type KvBucket,
  type KvBucketFactory,
  type LoopStatus,
} from '@rotor/messaging';
import { emptyKeyRing, type EndpointView, type KeyRingView } from '@rotor/projections';
import { EVENT_STORE, KV_BUCKETS, ServiceReadiness } from '@rotor/runtime';
import { endpointIdOf, project } from './projection';
import {
  CHECKPOINT_EVERY,
  CHECKPOINT_KEY,
  PROJECTED_STREAM_PREFIXES,
  PROJECTOR_STATE_BUCKET,
} from './projector.constants';
import { ResilientSubscription } from './resilient-subscription';

const NOT_STARTED: LoopStatus = { running: false, restarts: 0 };

/** Counting the lag stops here: past it, "at least this many" is all health needs. */
export const LAG_COUNT_LIMIT = 10_000;

/**
 * Keeps the views in the KV buckets in step with the store: a catch-up subscription from
 * its saved checkpoint, then live. The store is the truth; the views can always be
 * rebuilt from it, and applying an event twice changes nothing, so a checkpoint that
 * lags behind the views after a crash only costs a few replayed events.
 *
 * It never stops for good: when a KV write fails (NATS away), the subscription ends or the
 * store errs, it backs off (bounded, with jitter) and subscribes again from the last event
 * it applied, for as long as the fault lasts.
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ProjectorService.name);
  private feed?: ResilientSubscription;
  private endpoints!: KvBucket<EndpointView>;
  private keyRings!: KvBucket<KeyRingView>;
  private state!: KvBucket<{ position: string }>;
  private apiKeys!: KvBucket<ApiKeyView>;
  private readonly endpointCache = new Map<string, EndpointView>();
  private readonly keyRingCache = new Map<string, KeyRingView>();
  /** The API-key views written, by stream: what to revoke if a stream turns out forged. */
  private readonly apiKeyViews = new Map<string, ApiKeyView>();
  private sinceCheckpoint = 0;
  private caughtUp = false;
  /** The last position applied: read by health checks and the lag metric. */
  lastPosition: string = START;
  lastEventAt?: Date;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory,
    @Optional() private readonly readiness?: ServiceReadiness,
  ) {
    this.readiness?.registerLoop('projection', () => this.loopStatus);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.endpoints = await this.buckets.bucket<EndpointView>(BUCKETS.endpoints);
    this.keyRings = await this.buckets.bucket<KeyRingView>(BUCKETS.keyRing);
    this.state = await this.buckets.bucket<{ position: string }>(PROJECTOR_STATE_BUCKET);
    this.apiKeys = await this.buckets.bucket<ApiKeyView>(API_KEYS_BUCKET);
    const from = (await this.state.get(CHECKPOINT_KEY))?.position ?? START;
    this.lastPosition = from;
    this.logger.log(`projecting from ${from === START ? 'the start' : `position ${from}`}`);
    this.readiness?.projection(() => this.projectionStatus());
    this.feed = new ResilientSubscription(this.store, {
      from: () => this.lastPosition,
      // The views may have moved while no subscription ran (a CLI rebuild, a failed write):
      // read them again rather than trust what this process last wrote.
      onStart: () => {
        this.endpointCache.clear();
        this.keyRingCache.clear();
        this.caughtUp = false;
      },
      filter: { streamPrefixes: PROJECTED_STREAM_PREFIXES },
      onEvent: (event) => this.apply(event),
      onCaughtUp: () => {
        this.caughtUp = true;
        this.saveCheckpoint().catch((error: unknown) =>
          this.logger.warn(`checkpoint not saved: ${describeError(error)}`),
        );
        this.logger.log(`caught up at position ${this.lastPosition}`);
      },
      onRefused: (refused) => this.quarantine(refused.stream),
      onFailure: (error, delay) =>
        this.logger.warn(
          `projection stopped at position ${this.lastPosition}: ${describeError(error)}; ` +
            `resuming in ${delay} ms`,
        ),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.feed?.stop();
    if (this.state)
      await this.saveCheckpoint().catch((error: unknown) =>
        this.logger.warn(`checkpoint not saved on shutdown: ${describeError(error)}`),
      );
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  /** Whether the subscription runs, and why it last stopped. */
  get loopStatus(): LoopStatus {
    return this.feed?.state ?? NOT_STARTED;
  }

  /**
   * Where the projection stands against the store: the events after the last one applied,
   * counted up to LAG_COUNT_LIMIT, and the age of the oldest of them. Reads the store, so a
   * store that cannot be read shows up here too.
   */
  async projectionStatus(now: Date = new Date()): Promise<ProjectionStatus> {
    const position = this.lastPosition;
    let lagEvents = 0;
    let headPosition = position;
    let oldest: string | undefined;
    for await (const event of this.store.readAll(position, {
      streamPrefixes: PROJECTED_STREAM_PREFIXES,
    })) {
      oldest ??= event.recordedAt;
      headPosition = event.position;
      if (++lagEvents >= LAG_COUNT_LIMIT) break;
    }
    const lagSeconds = oldest ? Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000) : 0;
    return {
      position,
      headPosition,
      lagEvents,
      lagSeconds,
      ...(this.loopStatus.running || !this.loopStatus.lastError
        ? {}
        : { lastError: this.loopStatus.lastError }),
    };
  }

  private async apply(event: RecordedEvent): Promise<void> {
    const endpointId = endpointIdOf(event);
    if (endpointId !== undefined) {
      const current = {
        endpointView: await this.cached(this.endpointCache, this.endpoints, endpointId),
        keyRing: await this.cached(this.keyRingCache, this.keyRings, endpointId),
      };
      const update = project(event, current);
      // The cache learns a view only once the bucket holds it: after a failed put, the
      // replayed event must compute (and write) the same view again.
      if (update?.endpointView) {
        await this.endpoints.put(endpointId, update.endpointView);
        this.endpointCache.set(endpointId, update.endpointView);
      }
      if (update?.keyRing) {
        await this.keyRings.put(endpointId, update.keyRing);
        this.keyRingCache.set(endpointId, update.keyRing);
      }
      // Crypto-shredding, should the command service have died between the deletion and its
      // own shred: deleting the data-key stream needs no KEK, so the projector holds none.
      if (update?.shred) await this.store.deleteStream(dataKeyStreamName(endpointId));
    }
    if (event.stream.startsWith(API_KEY_STREAM_PREFIX)) await this.projectApiKey(event.stream);
    this.lastPosition = event.position;
    this.lastEventAt = new Date();
    this.feed?.madeProgress();
    this.sinceCheckpoint += 1;
    if (this.caughtUp || this.sinceCheckpoint >= CHECKPOINT_EVERY) await this.saveCheckpoint();
  }

  /**
   * The gateway looks keys up by hash, but a revocation names only the key id: fold the
   * key's (short) stream from the store so any event yields the whole view.
   */
  private async projectApiKey(stream: string): Promise<void> {
    let events: RecordedEvent[];
    try {
      events = await this.store.read(stream);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'stream_tampered') throw error;
      return this.quarantine(stream);
    }
    if (events.length === 0) return;
    const view = events.reduce<ApiKeyView | undefined>(applyApiKeyEvent, undefined)!;
    this.apiKeyViews.set(stream, view);
    await this.apiKeys.put(view.hashedKey, view);
  }

  /**
   * The audit guard refused an event of `stream` (guarded-event-store.ts): fail closed.
   * An API key known so far is revoked in the view (a forged key was never projected); an
   * endpoint stops signing (its key ring is emptied, the signer drops it). Its endpoint view
   * is left as it was: the query side shows what was true before the forgery.
   */
  private async quarantine(stream: string): Promise<void> {
    const apiKey = this.apiKeyViews.get(stream);
    if (apiKey) {
      const revoked = { ...apiKey, revoked: true };
      this.apiKeyViews.set(stream, revoked);
      await this.apiKeys.put(apiKey.hashedKey, revoked);
      return;
    }
    const endpointId = endpointIdOf({ stream } as RecordedEvent);
    if (endpointId === undefined) return;
    const current = await this.cached(this.keyRingCache, this.keyRings, endpointId);
    const quarantined: KeyRingView = {
      ...(current ?? emptyKeyRing(endpointId)),
      keys: [],
      deleted: true,
    };
    this.keyRingCache.set(endpointId, quarantined);
    await this.keyRings.put(endpointId, quarantined);
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
