import { API_KEYS_BUCKET } from '@rotor/access';
import { BUCKETS } from '@rotor/contracts';
import type { KvBucket, KvBucketFactory } from '@rotor/messaging';
import { CHECKPOINT_KEY, PROJECTOR_STATE_BUCKET } from '../../../projector/src/projector.constants';
import { compareBucket, type RebuiltViews, type ViewDifference } from './rebuild';

/**
 * The projector's buckets (distributed mode: JetStream KV), read for `--compare` and
 * replaced for `--write`. Each bucket here is paired with the rebuilt map it holds.
 */
const bucketsOf = (views: RebuiltViews): [string, ReadonlyMap<string, unknown>][] => [
  [BUCKETS.endpoints, views.endpoints],
  [BUCKETS.keyRing, views.keyRings],
  [API_KEYS_BUCKET, views.apiKeys],
];

/** Puts in flight at once: a put is a round trip to the server. */
const CONCURRENCY = 64;

async function forEachConcurrently<T>(
  items: Iterable<T>,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function readBucket(bucket: KvBucket<unknown>): Promise<Map<string, unknown>> {
  const live = new Map<string, unknown>();
  await forEachConcurrently(await bucket.keys(), async (key) => {
    const value = await bucket.get(key);
    if (value !== undefined) live.set(key, value);
  });
  return live;
}

export async function compareWithLive(
  factory: KvBucketFactory,
  views: RebuiltViews,
): Promise<ViewDifference[]> {
  const differences: ViewDifference[] = [];
  for (const [name, rebuilt] of bucketsOf(views)) {
    const live = await readBucket(await factory.bucket(name));
    differences.push(...compareBucket(name, rebuilt, live));
  }
  return differences;
}

export interface WriteResult {
  readonly written: number;
  /** Keys the buckets held that no event produces. */
  readonly removed: number;
  readonly checkpoint: string;
}

/**
 * Replaces the views: every rebuilt value put, every key no event produces deleted, then
 * the projector's checkpoint set to the last event folded, so a projector started
 * afterwards continues from there. The checkpoint goes last: a write that dies midway
 * leaves the old checkpoint, and replaying from it is harmless (the projection is
 * idempotent).
 */
export async function writeViews(
  factory: KvBucketFactory,
  views: RebuiltViews,
): Promise<WriteResult> {
  let written = 0;
  let removed = 0;
  for (const [name, rebuilt] of bucketsOf(views)) {
    const bucket = await factory.bucket<unknown>(name);
    await forEachConcurrently(rebuilt, async ([key, value]) => {
      await bucket.put(key, value);
      written += 1;
    });
    const stale = (await bucket.keys()).filter((key) => !rebuilt.has(key));
    await forEachConcurrently(stale, async (key) => {
      await bucket.delete(key);
      removed += 1;
    });
  }
  const state = await factory.bucket<{ position: string }>(PROJECTOR_STATE_BUCKET);
  await state.put(CHECKPOINT_KEY, { position: views.lastPosition });
  return { written, removed, checkpoint: views.lastPosition };
}
