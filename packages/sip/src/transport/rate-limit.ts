import type { Clock } from '../clock.js';

const MAX_SOURCES = 65_536;

/**
 * A token bucket per source address: `rate` messages per second with a burst of one second.
 * Buckets are dropped oldest-first when the table grows past a fixed size, so a flood of
 * spoofed sources cannot grow memory without bound.
 */
export class SourceRateLimiter {
  readonly #rate: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(rate: number, clock: Clock) {
    this.#rate = rate;
    this.#clock = clock;
  }

  /** Takes one token for `source`; false when the source is over its rate. */
  allow(source: string): boolean {
    if (!Number.isFinite(this.#rate)) return true;
    const now = this.#clock.now();
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      bucket = { tokens: this.#rate, at: now };
      this.#buckets.set(source, bucket);
      if (this.#buckets.size > MAX_SOURCES) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    } else {
      bucket.tokens = Math.min(this.#rate, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
