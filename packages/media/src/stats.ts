import { MediaError } from './errors.js';

/**
 * Smallest and largest of the last `capacity` values, each from a monotonic queue (a value is
 * dropped once a newer one is at least as small, or as large): O(1) amortised per push, no
 * copying of the window and no allocation after construction.
 */
export class SlidingMinMax {
  readonly capacity: number;
  readonly #mins: MonotonicQueue;
  readonly #maxes: MonotonicQueue;
  #pushed = 0;
  /**
   * The fronts of the queues, kept in fields by push(): min() and max() are read several times
   * per packet and stay small enough to inline, so the number is not boxed on its way out.
   */
  #min = 0;
  #max = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        `window capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.#mins = new MonotonicQueue(capacity, -1);
    this.#maxes = new MonotonicQueue(capacity, 1);
  }

  /** Values in the window. */
  get size(): number {
    return Math.min(this.#pushed, this.capacity);
  }

  clear(): void {
    this.#pushed = 0;
    this.#mins.clear();
    this.#maxes.clear();
    this.#min = 0;
    this.#max = 0;
  }

  push(value: number): void {
    const index = this.#pushed++;
    const oldest = index - this.capacity + 1;
    this.#mins.incoming = value;
    this.#mins.push(index, oldest);
    this.#maxes.incoming = value;
    this.#maxes.push(index, oldest);
    this.#min = this.#mins.front();
    this.#max = this.#maxes.front();
  }

  /** Smallest value in the window (0 when empty). */
  min(): number {
    return this.#min;
  }

  /** Largest value in the window (0 when empty). */
  max(): number {
    return this.#max;
  }
}

/**
 * Values in push order whose front is the window's extreme: for a minimum (`direction` -1)
 * each value is smaller than all after it. A ring of at least `capacity` entries, a power of
 * two so positions wrap with a mask (an integer division per step cost more than the rest).
 */
class MonotonicQueue {
  readonly #values: Float64Array;
  readonly #indices: Float64Array;
  readonly #mask: number;
  readonly #direction: number;
  #head = 0;
  #length = 0;
  /**
   * The value {@link push} adds, set just before: through a field rather than as an argument,
   * since a fractional number passed to a method V8 does not inline is boxed (allocated).
   */
  incoming = 0;

  constructor(capacity: number, direction: -1 | 1) {
    let size = 1;
    while (size < capacity) size *= 2;
    this.#values = new Float64Array(size);
    this.#indices = new Float64Array(size);
    this.#mask = size - 1;
    this.#direction = direction;
  }

  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  /** Adds `incoming`, pushed as number `index`; entries pushed before `oldest` leave. */
  push(index: number, oldest: number): void {
    const value = this.incoming;
    const mask = this.#mask;
    const values = this.#values;
    const indices = this.#indices;
    const direction = this.#direction;
    let head = this.#head;
    let length = this.#length;
    // Values no more extreme than the new one can never be the extreme again.
    while (length > 0 && (values[(head + length - 1) & mask]! - value) * direction <= 0) length--;
    while (length > 0 && indices[head]! < oldest) {
      head = (head + 1) & mask;
      length--;
    }
    const at = (head + length) & mask;
    values[at] = value;
    indices[at] = index;
    this.#head = head;
    this.#length = length + 1;
  }

  front(): number {
    return this.#length === 0 ? 0 : this.#values[this.#head]!;
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
 * One quantile of non-negative values with exponential forgetting, read from a histogram: each
 * new value weighs 1/`forgetting` times the one before, so old values fade with a half-life of
 * ln 2 / (1 − forgetting) values. Until that many values have come it is close to a plain
 * histogram of all of them, which makes the first estimates as good as the data allows.
 * Instead of scaling every bin down on each value, the weight of new values grows (the bins are
 * rescaled only when it gets large), and the quantile's bin moves by a bin or two per value
 * instead of being searched: O(1) per value, no allocation.
 */
export class ForgettingQuantile {
  readonly binWidth: number;
  readonly quantile: number;
  readonly #forgetting: number;
  readonly #bins: Float64Array;
  #weight = 1;
  #total = 0;
  /** Bin holding the quantile. */
  #index = 0;
  /** Weight in the bins above it. */
  #above = 0;

  constructor(quantile: number, binWidth: number, maxValue: number, forgetting: number) {
    if (
      !(quantile > 0 && quantile <= 1) ||
      !(binWidth > 0) ||
      !(maxValue > 0) ||
      !(forgetting > 0 && forgetting <= 1)
    ) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        'need a quantile and a forgetting factor in (0, 1], binWidth > 0 and maxValue > 0',
      );
    }
    this.quantile = quantile;
    this.binWidth = binWidth;
    this.#forgetting = forgetting;
    this.#bins = new Float64Array(Math.ceil(maxValue / binWidth) + 1);
  }

  clear(): void {
    this.#bins.fill(0);
    this.#weight = 1;
    this.#total = 0;
    this.#index = 0;
    this.#above = 0;
  }

  add(value: number): void {
    // Small enough to be inlined, so the value reaches #addToBin as a bin index: a fractional
    // number passed to a method that is not inlined is boxed (allocated).
    this.#addToBin(Math.min(this.#bins.length - 1, Math.max(0, Math.floor(value / this.binWidth))));
  }

  #addToBin(bin: number): void {
    const bins = this.#bins;
    this.#weight /= this.#forgetting;
    bins[bin]! += this.#weight;
    this.#total += this.#weight;
    if (bin > this.#index) this.#above += this.#weight;
    if (this.#weight > 1e100) this.#rescale();
    // The quantile's bin is the one with at most (1 − q) of the weight above it and more than
    // that from it upwards.
    const tail = (1 - this.quantile) * this.#total;
    while (this.#above > tail && this.#index < bins.length - 1) this.#above -= bins[++this.#index]!;
    while (this.#index > 0 && this.#above + bins[this.#index]! <= tail) {
      this.#above += bins[this.#index--]!;
    }
  }

  /** Upper edge of the bin holding the quantile (0 when empty). */
  value(): number {
    return this.#total === 0 ? 0 : (this.#index + 1) * this.binWidth;
  }

  #rescale(): void {
    const bins = this.#bins;
    let above = 0;
    for (let i = 0; i < bins.length; i++) {
      bins[i]! /= this.#weight;
      if (i > this.#index) above += bins[i]!;
    }
    this.#total /= this.#weight;
    this.#above = above;
    this.#weight = 1;
  }
}
