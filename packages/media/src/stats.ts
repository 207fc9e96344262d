import { MediaError } from './errors.js';

/**
 * Quantiles over the last `capacity` values: a FIFO ring plus the same values kept sorted, so
 * a push costs two binary searches and one memmove and a quantile read is O(1). No allocation
 * after construction.
 */
export class SlidingQuantile {
  readonly capacity: number;
  readonly #ring: Float64Array;
  readonly #sorted: Float64Array;
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        `window capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.#ring = new Float64Array(capacity);
    this.#sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }

  push(value: number): void {
    if (this.#size === this.capacity) {
      const evicted = this.#ring[this.#head]!;
      const at = this.#lowerBound(evicted);
      this.#sorted.copyWithin(at, at + 1, this.#size);
      this.#size--;
    }
    this.#ring[this.#head] = value;
    this.#head = (this.#head + 1) % this.capacity;
    const at = this.#lowerBound(value);
    this.#sorted.copyWithin(at + 1, at, this.#size);
    this.#sorted[at] = value;
    this.#size++;
  }

  /** Smallest value in the window (0 when empty). */
  min(): number {
    return this.#size === 0 ? 0 : this.#sorted[0]!;
  }

  /** The q-quantile (nearest rank) of the window (0 when empty). */
  quantile(q: number): number {
    if (this.#size === 0) return 0;
    const rank = Math.min(this.#size - 1, Math.max(0, Math.ceil(q * this.#size) - 1));
    return this.#sorted[rank]!;
  }

  #lowerBound(value: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Histogram of non-negative millisecond values in 1 ms bins, for mean and percentiles of a whole call. */
export class DelayHistogram {
  readonly #bins: Uint32Array;
  #count = 0;
  #sum = 0;

  constructor(maxMs: number) {
    this.#bins = new Uint32Array(Math.ceil(maxMs) + 1);
  }

  add(valueMs: number): void {
    const v = valueMs < 0 ? 0 : valueMs;
    const bin = Math.min(this.#bins.length - 1, Math.round(v));
    this.#bins[bin]!++;
    this.#count++;
    this.#sum += v;
  }

  get count(): number {
    return this.#count;
  }

  mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#bins.length; i++) {
      seen += this.#bins[i]!;
      if (seen >= rank) return i;
    }
    return this.#bins.length - 1;
  }
}

/**
 * Histogram of non-negative values with exponential forgetting: each new value weighs
 * 1/`forgetting` times the one before, so old values fade with a half-life of
 * ln 2 / (1 − forgetting) values. Until that many values have come it is close to a plain
 * histogram of all of them, which makes the first estimates as good as the data allows.
 * Instead of scaling every bin down on each value, the weight of new values grows and the bins
 * are rescaled only when it gets large: O(1) per value, O(bins) per quantile, no allocation.
 */
export class ForgettingHistogram {
  readonly binWidth: number;
  readonly #forgetting: number;
  readonly #bins: Float64Array;
  #weight = 1;
  #total = 0;

  constructor(binWidth: number, maxValue: number, forgetting: number) {
    if (!(binWidth > 0) || !(maxValue > 0) || !(forgetting > 0 && forgetting <= 1)) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        'need binWidth > 0, maxValue > 0 and a forgetting factor in (0, 1]',
      );
    }
    this.binWidth = binWidth;
    this.#forgetting = forgetting;
    this.#bins = new Float64Array(Math.ceil(maxValue / binWidth) + 1);
  }

  clear(): void {
    this.#bins.fill(0);
    this.#weight = 1;
    this.#total = 0;
  }

  /** Whether any value has been added since construction or the last clear. */
  get empty(): boolean {
    return this.#total === 0;
  }

  add(value: number): void {
    const bins = this.#bins;
    const bin = Math.min(bins.length - 1, Math.max(0, Math.floor(value / this.binWidth)));
    this.#weight /= this.#forgetting;
    bins[bin]! += this.#weight;
    this.#total += this.#weight;
    if (this.#weight > 1e100) {
      for (let i = 0; i < bins.length; i++) bins[i]! /= this.#weight;
      this.#total /= this.#weight;
      this.#weight = 1;
    }
  }

  /** Upper edge of the bin holding the q-quantile (0 when empty). */
  quantile(q: number): number {
    if (this.#total === 0) return 0;
    const bins = this.#bins;
    const tail = (1 - q) * this.#total;
    let above = 0;
    for (let i = bins.length - 1; i > 0; i--) {
      above += bins[i]!;
      if (above > tail) return (i + 1) * this.binWidth;
    }
    return this.binWidth;
  }
}
