import { SrtpError } from './errors.js';

/**
 * RFC 3711 §3.3.2 sliding replay window over packet indices (48-bit SRTP indices or 31-bit
 * SRTCP indices; both fit a JS number exactly). The bitmap is a ring indexed by `index mod size`,
 * so advancing never shifts memory.
 */
export class ReplayWindow {
  readonly size: number;
  readonly #bits: Uint32Array;
  #highest = -1;

  /** `size` is rounded up to a multiple of 32 (at least 64, RFC 3711 §3.3.2 minimum). */
  constructor(size = 64) {
    if (!Number.isInteger(size) || size < 1 || size > 32768) {
      throw new SrtpError('SRTP_INVALID_ARGUMENT', `replay window size ${size} not in 1..32768`);
    }
    this.size = Math.max(64, Math.ceil(size / 32) * 32);
    this.#bits = new Uint32Array(this.size / 32);
  }

  /** The highest index accepted so far (-1 before the first). */
  get highest(): number {
    return this.#highest;
  }

  /** Throws SRTP_REPLAYED / SRTP_TOO_OLD if `index` must be dropped; changes nothing. */
  check(index: number): void {
    if (index > this.#highest) return;
    if (this.#highest - index >= this.size) {
      throw new SrtpError(
        'SRTP_TOO_OLD',
        `packet index ${index} is older than the replay window (highest ${this.#highest})`,
      );
    }
    const slot = index % this.size;
    if (this.#bits[slot >>> 5]! & (1 << (slot & 31))) {
      throw new SrtpError('SRTP_REPLAYED', `packet index ${index} was already received`);
    }
  }

  /** Records `index` as received; call only after the packet authenticated. */
  accept(index: number): void {
    if (index > this.#highest) {
      const advance = this.#highest < 0 ? this.size : index - this.#highest;
      if (advance >= this.size) {
        this.#bits.fill(0);
      } else {
        for (let i = this.#highest + 1; i < index; i++) {
          const slot = i % this.size;
          this.#bits[slot >>> 5]! &= ~(1 << (slot & 31));
        }
      }
      this.#highest = index;
    }
    const slot = index % this.size;
    this.#bits[slot >>> 5]! |= 1 << (slot & 31);
  }
}
