/**
 * Token buckets in memory, one per caller (terminal id, operator token, or address for the
 * unauthenticated enrolment endpoint). A bucket holds `capacity` tokens and gains
 * `refillPerSecond`; a request takes one or is refused with the seconds until the next.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    bucket.tokens = this.tokensAt(bucket, t);
    bucket.at = t;
    if (this.buckets.size > 100_000) this.prune(t);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.refillPerSecond);
  }

  /** 0 when `key` has a token left, else the seconds to wait; takes nothing. */
  peek(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = this.tokensAt(bucket, this.now());
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.refillPerSecond);
  }

  /** Full buckets carry no information: forget them so memory stays bounded. */
  private prune(t: number): void {
    for (const [key, b] of this.buckets) {
      if (this.tokensAt(b, t) >= this.capacity) this.buckets.delete(key);
    }
  }

  /**
   * A clock set back (by an operator, or NTP stepping it) refills nothing; it must not drain the
   * bucket either, or every caller is refused until the clock catches up again.
   */
  private tokensAt(bucket: { tokens: number; at: number }, t: number): number {
    const elapsedMs = Math.max(0, t - bucket.at);
    return Math.min(this.capacity, bucket.tokens + (elapsedMs / 1000) * this.refillPerSecond);
  }
}
