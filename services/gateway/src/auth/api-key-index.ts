import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import {
  API_KEYS_BUCKET,
  hashApiKey,
  isApiKeyFormat,
  verifyPresentedKey,
  type ApiKeyView,
} from '@rotor/access';
import {
  ResilientWatch,
  warnWatchFailure,
  type KvBucketFactory,
  type KvEntry,
  type LoopStatus,
} from '@rotor/messaging';
import { KV_BUCKETS } from '@rotor/runtime';

/**
 * The API keys, in memory: the projector keeps bucket `rotor_api_keys` (key = the key's
 * SHA-256) in step with the store, and this watch keeps the map in step with the bucket, so
 * authenticating a request costs one hash and one lookup, no round trip.
 */
@Injectable()
export class ApiKeyIndex implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeyIndex');
  private readonly byHash = new Map<string, ApiKeyView>();
  private watch?: ResilientWatch<ApiKeyView>;
  private loaded = false;

  constructor(@Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory) {}

  async onApplicationBootstrap(): Promise<void> {
    this.watch = new ResilientWatch<ApiKeyView>({
      open: () => this.buckets.bucket<ApiKeyView>(API_KEYS_BUCKET),
      onEntry: (entry) => this.apply(entry),
      onInitialDone: () => {
        this.loaded = true;
        this.logger.log(`api keys loaded: ${this.byHash.size}`);
      },
      onFailure: warnWatchFailure(this.logger, 'api key watch'),
    });
    await this.watch.loaded;
  }

  async onModuleDestroy(): Promise<void> {
    await this.watch?.stop();
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The watch keeping the index current: not running means revocations may be missed. */
  get watchStatus(): LoopStatus | undefined {
    return this.watch?.state;
  }

  get size(): number {
    return this.byHash.size;
  }

  apply(entry: Pick<KvEntry<ApiKeyView>, 'key' | 'value'>): void {
    if (entry.value === undefined) this.byHash.delete(entry.key);
    else this.byHash.set(entry.key, entry.value);
  }

  /** The valid key `presented` is, or undefined (unknown, revoked, malformed). */
  lookup(presented: string): ApiKeyView | undefined {
    if (!isApiKeyFormat(presented)) return undefined;
    const view = this.byHash.get(hashApiKey(presented));
    return verifyPresentedKey(presented, view) ? view : undefined;
  }
}
