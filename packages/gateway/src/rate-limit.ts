import type { Clock } from './clock.js';

/**
 * Token buckets per source address: `perMinute` events, refilled continuously, bursts up to
 * `perMinute`. Buckets that are full again are dropped so memory follows active sources only.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #ratePerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
    /** Upper bound on tracked sources; beyond it, full buckets are swept. */
    private readonly maxSources = 10_000,
  ) {
    this.#ratePerMs = perMinute / 60_000;
  }

  /** Takes one token for `source`; false when its bucket is empty. */
  allow(source: string): boolean {
    const now = this.clock.now();
    const bucket = this.#buckets.get(source) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.#ratePerMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(source, bucket);
      return false;
    }
    bucket.tokens -= 1;
    this.#buckets.set(source, bucket);
    if (this.#buckets.size > this.maxSources) this.#sweep(now);
    return true;
  }

  #sweep(now: number): void {
    for (const [source, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#ratePerMs >= this.perMinute) this.#buckets.delete(source);
    }
  }
}
