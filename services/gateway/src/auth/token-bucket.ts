/**
 * Token buckets, one per API key: `burst` requests at once, refilled at `perMinute` per
 * minute. Pure apart from the injected clock. Full buckets are forgotten once there are many
 * (a full bucket is what a new one would be), so memory stays bounded by active keys.
 */
export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
}

export type TakeResult =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const SWEEP_ABOVE = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.perMinute > 0) || !(limit.burst >= 1))
      throw new RangeError('a rate limit needs perMinute > 0 and burst >= 1');
    this.perMs = limit.perMinute / 60_000;
  }

  take(key: string): TakeResult {
    const now = this.now();
    const bucket = this.refill(this.buckets.get(key), now);
    this.buckets.set(key, bucket);
    if (this.buckets.size > SWEEP_ABOVE) this.sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)),
    };
  }

  /** What `take` would answer, without taking. */
  peek(key: string): TakeResult {
    const bucket = this.refill(this.buckets.get(key), this.now());
    return bucket.tokens >= 1
      ? { allowed: true, remaining: Math.floor(bucket.tokens) }
      : {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)),
        };
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(bucket: Bucket | undefined, now: number): Bucket {
    if (!bucket) return { tokens: this.limit.burst, updatedAt: now };
    // A clock that steps back refills nothing (and takes nothing away).
    const elapsed = Math.max(0, now - bucket.updatedAt);
    return {
      tokens: Math.min(this.limit.burst, bucket.tokens + elapsed * this.perMs),
      updatedAt: Math.max(now, bucket.updatedAt),
    };
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets)
      if (this.refill(bucket, now).tokens >= this.limit.burst) this.buckets.delete(key);
  }
}
