import {
  API_KEY_STREAM_PREFIX,
  API_KEYS_BUCKET,
  applyApiKeyEvent,
  type ApiKeyView,
} from '@rotor/access';
import { BUCKETS } from '@rotor/contracts';
import { canonicalJson, START, type GlobalPosition, type RecordedEvent } from '@rotor/event-store';
import type { EndpointView, KeyRingView } from '@rotor/projections';
import { endpointIdOf, project } from '../../../projector/src/projection';
import { isAfter } from '../audit/chain-verifier';

/**
 * The projector's views rebuilt from the first event: the same pure `project` the
 * projector applies event by event, folded over the same feed in one pass, in memory.
 * The result is what the projector's buckets hold once it has caught up, and where its
 * checkpoint then stands.
 */
export interface RebuiltViews {
  /** Bucket rotor_endpoints: endpoint id -> EndpointView. */
  readonly endpoints: Map<string, EndpointView>;
  /** Bucket rotor_key_ring: endpoint id -> KeyRingView (as the projector writes it). */
  readonly keyRings: Map<string, KeyRingView>;
  /** Bucket rotor_api_keys: key hash -> ApiKeyView. */
  readonly apiKeys: Map<string, ApiKeyView>;
  /** The last event folded: the projector's checkpoint after these views. */
  readonly lastPosition: GlobalPosition;
  readonly events: number;
}

export class ViewsFold {
  private readonly endpoints = new Map<string, EndpointView>();
  private readonly keyRings = new Map<string, KeyRingView>();
  /** API key stream -> its view; keyed by hash only at the end (a revocation names the id). */
  private readonly apiKeysByStream = new Map<string, ApiKeyView>();
  private lastPosition: GlobalPosition = START;
  private events = 0;

  apply(event: RecordedEvent): void {
    this.events += 1;
    this.lastPosition = event.position;
    const endpointId = endpointIdOf(event);
    if (endpointId !== undefined) {
      const change = project(event, {
        endpointView: this.endpoints.get(endpointId),
        keyRing: this.keyRings.get(endpointId),
      });
      if (change?.endpointView) this.endpoints.set(endpointId, change.endpointView);
      if (change?.keyRing) this.keyRings.set(endpointId, change.keyRing);
    } else if (event.stream.startsWith(API_KEY_STREAM_PREFIX)) {
      this.apiKeysByStream.set(
        event.stream,
        applyApiKeyEvent(this.apiKeysByStream.get(event.stream), event),
      );
    }
  }

  result(): RebuiltViews {
    const apiKeys = new Map<string, ApiKeyView>();
    for (const view of this.apiKeysByStream.values()) apiKeys.set(view.hashedKey, view);
    return {
      endpoints: this.endpoints,
      keyRings: this.keyRings,
      apiKeys,
      lastPosition: this.lastPosition,
      events: this.events,
    };
  }
}

export async function rebuildViews(
  feed: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  onEvent?: (event: RecordedEvent) => void,
): Promise<RebuiltViews> {
  const fold = new ViewsFold();
  for await (const event of feed) {
    onEvent?.(event);
    fold.apply(event);
  }
  return fold.result();
}

/** One view, complete: the value the projector's `bucket` holds under `key`. */
export interface RebuiltView {
  readonly bucket: string;
  readonly key: string;
  readonly value: unknown;
}

/** What a stream-by-stream rebuild counts, once every view has been handed out. */
export interface RebuildSummary {
  readonly endpoints: number;
  readonly keyRings: number;
  readonly apiKeys: number;
  readonly lastPosition: GlobalPosition;
  readonly events: number;
}

/**
 * The same fold as `ViewsFold`, over the store stream after stream
 * (`EventStore.readAllByStream`): a view depends on its own stream only (an endpoint's
 * views on its endpoint stream, data-key events change no view, an API key's on its
 * stream), so a stream's views are complete when the next stream starts. They are handed
 * to `emit` then and forgotten: memory holds one stream's views, not every endpoint's.
 */
export class StreamViewsFold {
  private stream: string | undefined;
  private endpoint: { id: string; view?: EndpointView; keyRing?: KeyRingView } | undefined;
  private apiKey: ApiKeyView | undefined;
  private counts = { endpoints: 0, keyRings: 0, apiKeys: 0 };
  private lastPosition: GlobalPosition = START;
  private events = 0;

  constructor(private readonly emit: (view: RebuiltView) => void) {}

  apply(event: RecordedEvent): void {
    if (event.stream !== this.stream) {
      this.flush();
      this.stream = event.stream;
    }
    this.events += 1;
    // Streams come in name order, not in feed order: the checkpoint is the furthest event.
    if (isAfter(event.position, this.lastPosition)) this.lastPosition = event.position;
    const endpointId = endpointIdOf(event);
    if (endpointId !== undefined) {
      const current = this.endpoint?.id === endpointId ? this.endpoint : { id: endpointId };
      const change = project(event, { endpointView: current.view, keyRing: current.keyRing });
      this.endpoint = {
        id: endpointId,
        view: change?.endpointView ?? current.view,
        keyRing: change?.keyRing ?? current.keyRing,
      };
    } else if (event.stream.startsWith(API_KEY_STREAM_PREFIX))
      this.apiKey = applyApiKeyEvent(this.apiKey, event);
  }

  finish(): RebuildSummary {
    this.flush();
    return { ...this.counts, lastPosition: this.lastPosition, events: this.events };
  }

  private flush(): void {
    const { endpoint, apiKey } = this;
    if (endpoint?.view) {
      this.emit({ bucket: BUCKETS.endpoints, key: endpoint.id, value: endpoint.view });
      this.counts.endpoints += 1;
    }
    if (endpoint?.keyRing) {
      this.emit({ bucket: BUCKETS.keyRing, key: endpoint.id, value: endpoint.keyRing });
      this.counts.keyRings += 1;
    }
    if (apiKey) {
      this.emit({ bucket: API_KEYS_BUCKET, key: apiKey.hashedKey, value: apiKey });
      this.counts.apiKeys += 1;
    }
    this.endpoint = undefined;
    this.apiKey = undefined;
  }
}

/** `rebuildViews` over a stream-by-stream feed: each view handed to `emit` when complete. */
export async function rebuildViewsByStream(
  feed: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  emit: (view: RebuiltView) => void,
  onEvent?: (event: RecordedEvent) => void,
): Promise<RebuildSummary> {
  const fold = new StreamViewsFold(emit);
  for await (const event of feed) {
    onEvent?.(event);
    fold.apply(event);
  }
  return fold.finish();
}

export type ViewDifferenceKind =
  /** Rebuilt, absent from the live bucket. */
  | 'missing'
  /** In the live bucket, not rebuilt from any event. */
  | 'extra'
  | 'different';

export interface ViewDifference {
  readonly bucket: string;
  readonly key: string;
  readonly kind: ViewDifferenceKind;
}

/**
 * Where a live bucket differs from the rebuilt one, key by key, sorted. Values are
 * compared as canonical JSON: what a bucket stores, whatever the order of fields.
 */
export const compareBucket = (
  bucket: string,
  rebuilt: ReadonlyMap<string, unknown>,
  live: ReadonlyMap<string, unknown>,
): ViewDifference[] => {
  const differences: ViewDifference[] = [];
  for (const [key, value] of rebuilt) {
    if (!live.has(key)) differences.push({ bucket, key, kind: 'missing' });
    else if (canonicalJson(value) !== canonicalJson(live.get(key)))
      differences.push({ bucket, key, kind: 'different' });
  }
  for (const key of live.keys())
    if (!rebuilt.has(key)) differences.push({ bucket, key, kind: 'extra' });
  return differences.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
};

export const formatDifference = (difference: ViewDifference): string =>
  `DIFF ${difference.bucket} ${difference.key}: ${difference.kind}`;

/** The counts of views rebuilt in memory, as a stream-by-stream rebuild reports them. */
export const summaryOf = (views: RebuiltViews): RebuildSummary => ({
  endpoints: views.endpoints.size,
  keyRings: views.keyRings.size,
  apiKeys: views.apiKeys.size,
  lastPosition: views.lastPosition,
  events: views.events,
});

export const formatRebuildSummary = (summary: RebuildSummary, seconds: number): string =>
  `rebuilt ${summary.endpoints} endpoint view(s), ${summary.keyRings} key ring(s) and ` +
  `${summary.apiKeys} API key view(s) from ${summary.events.toLocaleString('en-US')} events in ` +
  `${seconds.toFixed(2)} s (${Math.round(seconds > 0 ? summary.events / seconds : 0).toLocaleString('en-US')} events/s), ` +
  `up to position ${summary.lastPosition}`;
