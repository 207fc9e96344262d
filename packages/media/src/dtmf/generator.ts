import { MediaError } from '../errors.js';
import { DTMF_COLUMN_FREQUENCIES, DTMF_ROW_FREQUENCIES, digitPosition } from './digits.js';
import type { DtmfDigit } from './digits.js';

/**
 * Peak of a 0 dBm0 sine in 16-bit linear PCM: the G.711 digital milliwatt (ITU-T G.711 Tables
 * 5/6) peaks at 5662 on µ-law's 14-bit scale, ×4 for 16 bits.
 */
export const DBM0_PEAK = 22648;

export interface DtmfGeneratorOptions {
  readonly sampleRate: number;
  /** Level of the low-group tone (default -10 dBm0; ITU-T Q.23 §4 and the usual -8/-10 pair). */
  readonly lowGroupDbm0?: number;
  /** Level of the high-group tone (default -8 dBm0: 2 dB above the low group, Q.23 §4). */
  readonly highGroupDbm0?: number;
  /** Silence kept between queued digits (default 60 ms; Q.24 needs at least 40). */
  readonly interDigitGapMs?: number;
  /** Shortest tone produced (default 60 ms; Q.24 detectors need at least 40). */
  readonly minToneMs?: number;
}

interface QueuedTone {
  readonly digit: DtmfDigit;
  /** Remaining samples, or Infinity while the digit's end is not yet known. */
  remaining: number;
}

/**
 * DTMF tone generator (ITU-T Q.23 frequencies and levels): digits are queued, `render()` writes
 * them into the audio stream with the configured gaps. A digit may be started without a length
 * and ended later (`end()`), which is how an RFC 4733 event is played out as it arrives.
 */
export class DtmfGenerator {
  readonly sampleRate: number;
  readonly #lowAmplitude: number;
  readonly #highAmplitude: number;
  readonly #gapSamples: number;
  readonly #minSamples: number;
  readonly #queue: QueuedTone[] = [];
  #current: QueuedTone | undefined;
  #played = 0;
  #gapLeft = 0;
  #lowStep = 0;
  #highStep = 0;
  #lowPhase = 0;
  #highPhase = 0;

  constructor(options: DtmfGeneratorOptions) {
    if (!(options.sampleRate >= 4000)) {
      throw new MediaError('INVALID_ARGUMENT', `DTMF needs a sample rate of at least 4000 Hz`);
    }
    this.sampleRate = options.sampleRate;
    this.#lowAmplitude = DBM0_PEAK * 10 ** ((options.lowGroupDbm0 ?? -10) / 20);
    this.#highAmplitude = DBM0_PEAK * 10 ** ((options.highGroupDbm0 ?? -8) / 20);
    this.#gapSamples = Math.round(((options.interDigitGapMs ?? 60) * this.sampleRate) / 1000);
    this.#minSamples = Math.round(((options.minToneMs ?? 60) * this.sampleRate) / 1000);
  }

  /** Whether a tone or a queued digit is still to be played. */
  get busy(): boolean {
    return this.#current !== undefined || this.#queue.length > 0 || this.#gapLeft > 0;
  }

  /** Queues a digit of `durationMs`, or open-ended (until {@link end}) when omitted. */
  play(digit: DtmfDigit, durationMs?: number): void {
    const remaining =
      durationMs === undefined
        ? Infinity
        : Math.max(this.#minSamples, Math.round((durationMs * this.sampleRate) / 1000));
    this.#queue.push({ digit, remaining });
  }

  /** Ends the open-ended digit after `totalDurationMs` of tone in all (at least the minimum). */
  end(totalDurationMs: number): void {
    const open =
      this.#current?.remaining === Infinity
        ? this.#current
        : this.#queue.find((t) => t.remaining === Infinity);
    if (open === undefined) return;
    const total = Math.max(
      this.#minSamples,
      Math.round((totalDurationMs * this.sampleRate) / 1000),
    );
    open.remaining = open === this.#current ? Math.max(0, total - this.#played) : total;
  }

  /** Drops everything queued and stops at once. */
  cancel(): void {
    this.#queue.length = 0;
    this.#current = undefined;
    this.#gapLeft = 0;
  }

  /**
   * Writes the next `length` samples of tone into `out` when a digit or its gap is playing and
   * returns true; returns false and leaves `out` alone when idle.
   */
  render(out: Int16Array, length = out.length): boolean {
    if (!this.busy) return false;
    for (let i = 0; i < length; i++) {
      if (this.#current === undefined) {
        if (this.#gapLeft > 0) {
          this.#gapLeft--;
          out[i] = 0;
          continue;
        }
        const next = this.#queue.shift();
        if (next === undefined) {
          out.fill(0, i, length);
          break;
        }
        this.#begin(next);
      }
      const tone = this.#current!;
      out[i] = Math.round(
        this.#lowAmplitude * Math.sin(this.#lowPhase) +
          this.#highAmplitude * Math.sin(this.#highPhase),
      );
      this.#lowPhase += this.#lowStep;
      this.#highPhase += this.#highStep;
      if (this.#lowPhase > 2 * Math.PI) this.#lowPhase -= 2 * Math.PI;
      if (this.#highPhase > 2 * Math.PI) this.#highPhase -= 2 * Math.PI;
      this.#played++;
      if (tone.remaining !== Infinity && --tone.remaining <= 0) {
        this.#current = undefined;
        this.#gapLeft = this.#gapSamples;
      }
    }
    return true;
  }

  #begin(tone: QueuedTone): void {
    const { row, column } = digitPosition(tone.digit);
    this.#current = tone;
    this.#played = 0;
    this.#lowPhase = 0;
    this.#highPhase = 0;
    this.#lowStep = (2 * Math.PI * DTMF_ROW_FREQUENCIES[row]!) / this.sampleRate;
    this.#highStep = (2 * Math.PI * DTMF_COLUMN_FREQUENCIES[column]!) / this.sampleRate;
  }
}
