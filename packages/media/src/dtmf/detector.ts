import { MediaError } from '../errors.js';
import { DBM0_PEAK } from './generator.js';
import { DTMF_COLUMN_FREQUENCIES, DTMF_ROW_FREQUENCIES, digitAt } from './digits.js';
import type { DtmfDigit } from './digits.js';

export interface DetectedDigit {
  readonly digit: DtmfDigit;
  /** Position of the tone's start in the processed stream, in samples. */
  readonly startSample: number;
  /** Estimated tone duration in ms. */
  readonly durationMs: number;
}

export interface DtmfDetectorOptions {
  readonly sampleRate: number;
  /** Called once a digit is recognised (after about 30 ms of tone). */
  readonly onDigitStart?: (digit: DtmfDigit, startSample: number) => void;
  /** Called when the recognised digit's tone ends, with its duration. */
  readonly onDigit?: (detected: DetectedDigit) => void;
  /** Weakest tone accepted, per frequency (default -30 dBm0; Q.24 asks for at least -25). */
  readonly minLevelDbm0?: number;
  /** How much weaker the high group may be than the low group (default 8 dB). */
  readonly maxTwistDb?: number;
  /** How much weaker the low group may be than the high group (default 4 dB, "reverse twist"). */
  readonly maxReverseTwistDb?: number;
  /** How far the strongest tone of a group must exceed the others of its group (default 10 dB). */
  readonly minPeakRatioDb?: number;
  /** Share of the block's energy the two tones must hold (default 0.75). */
  readonly minToneEnergyRatio?: number;
}

/**
 * In-band DTMF detector (ITU-T Q.24 behaviour): Goertzel filters at the eight Q.23 frequencies
 * over 25.6 ms blocks with 50% overlap. A block is a hit when one row and one column tone stand
 * out (level, twist, peak over the rest of each group) and hold most of the block's energy
 * (which is what rejects speech, whose energy is spread over harmonics and formants). Two hits
 * in a row start a digit (about 30 ms of tone; 23 ms bursts are rejected), three misses end it
 * (a pause of about 30 ms), and only then may the next digit start.
 */
export class DtmfDetector {
  readonly sampleRate: number;
  readonly #blockSize: number;
  readonly #hop: number;
  readonly #coefficients: Float64Array;
  readonly #ring: Float64Array;
  readonly #powers = new Float64Array(8);
  readonly #onStart: ((digit: DtmfDigit, startSample: number) => void) | undefined;
  readonly #onDigit: ((detected: DetectedDigit) => void) | undefined;
  readonly #minPower: number;
  readonly #maxTwist: number;
  readonly #maxReverseTwist: number;
  readonly #peakRatio: number;
  readonly #energyRatio: number;

  #ringPosition = 0;
  #sinceHop = 0;
  #processed = 0;
  #candidate: DtmfDigit | undefined;
  #candidateHits = 0;
  #candidateStart = 0;
  #active: DtmfDigit | undefined;
  #activeStart = 0;
  #lastHitEnd = 0;
  #misses = 0;

  constructor(options: DtmfDetectorOptions) {
    if (!(options.sampleRate >= 8000)) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        'the DTMF detector needs a sample rate of at least 8000 Hz',
      );
    }
    this.sampleRate = options.sampleRate;
    this.#blockSize = Math.round((options.sampleRate * 205) / 8000);
    this.#hop = Math.floor(this.#blockSize / 2);
    // Each tone is probed at its nominal frequency and 1% either side, so tones within the
    // ±1.5% Q.24 must accept keep nearly full power while tones 3.5% off lose most of it.
    this.#coefficients = new Float64Array(24);
    const frequencies = [...DTMF_ROW_FREQUENCIES, ...DTMF_COLUMN_FREQUENCIES];
    frequencies.forEach((f, i) => {
      for (let j = 0; j < 3; j++) {
        const probe = f * (1 + (j - 1) * 0.01);
        this.#coefficients[i * 3 + j] = 2 * Math.cos((2 * Math.PI * probe) / options.sampleRate);
      }
    });
    this.#ring = new Float64Array(this.#blockSize);
    this.#onStart = options.onDigitStart;
    this.#onDigit = options.onDigit;
    // Goertzel power of a sine of amplitude A over N samples is (A·N/2)².
    const minAmplitude = DBM0_PEAK * 10 ** ((options.minLevelDbm0 ?? -30) / 20);
    this.#minPower = ((minAmplitude * this.#blockSize) / 2) ** 2;
    this.#maxTwist = 10 ** ((options.maxTwistDb ?? 8) / 10);
    this.#maxReverseTwist = 10 ** ((options.maxReverseTwistDb ?? 4) / 10);
    this.#peakRatio = 10 ** ((options.minPeakRatioDb ?? 10) / 10);
    this.#energyRatio = options.minToneEnergyRatio ?? 0.75;
  }

  /** Feeds PCM (mono, at `sampleRate`); callbacks fire from inside this call. */
  process(pcm: Int16Array, length = pcm.length): void {
    for (let i = 0; i < length; i++) {
      this.#ring[this.#ringPosition] = pcm[i]!;
      this.#ringPosition = (this.#ringPosition + 1) % this.#blockSize;
      this.#processed++;
      if (++this.#sinceHop === this.#hop) {
        this.#sinceHop = 0;
        if (this.#processed >= this.#blockSize) this.#analyse();
      }
    }
  }

  /** Ends a digit still sounding (call at the end of a stream). */
  flush(): void {
    if (this.#active !== undefined) this.#finish();
  }

  #analyse(): void {
    const n = this.#blockSize;
    let energy = 0;
    this.#powers.fill(0);
    for (let k = 0; k < 24; k++) {
      const c = this.#coefficients[k]!;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0, at = this.#ringPosition; i < n; i++) {
        const x = this.#ring[at]!;
        if (++at === n) at = 0;
        if (k === 0) energy += x * x;
        const s = x + c * s1 - s2;
        s2 = s1;
        s1 = s;
      }
      const power = s1 * s1 + s2 * s2 - c * s1 * s2;
      const tone = (k / 3) | 0;
      if (power > this.#powers[tone]!) this.#powers[tone] = power;
    }
    const digit = this.#classify(energy);
    const blockEnd = this.#processed;
    if (digit !== undefined && digit === this.#active) {
      this.#misses = 0;
      this.#lastHitEnd = blockEnd;
      return;
    }
    if (this.#active !== undefined) {
      // A different digit or no tone: three such blocks end the digit (a pause of about 30 ms;
      // Q.24 bridges interruptions of 10 ms and splits on pauses of 40 ms).
      if (++this.#misses < 3) return;
      this.#finish();
    }
    if (digit === undefined) {
      this.#candidate = undefined;
      this.#candidateHits = 0;
      return;
    }
    if (digit !== this.#candidate) {
      this.#candidate = digit;
      this.#candidateHits = 1;
      this.#candidateStart = blockEnd - n;
      return;
    }
    if (++this.#candidateHits >= 2) {
      this.#active = digit;
      this.#activeStart = this.#candidateStart;
      this.#lastHitEnd = blockEnd;
      this.#misses = 0;
      this.#candidate = undefined;
      this.#candidateHits = 0;
      this.#onStart?.(digit, this.#activeStart);
    }
  }

  #classify(energy: number): DtmfDigit | undefined {
    const p = this.#powers;
    const row = strongest(p, 0);
    const column = strongest(p, 4);
    const rowPower = p[row]!;
    const columnPower = p[column]!;
    if (rowPower < this.#minPower || columnPower < this.#minPower) return undefined;
    // Twist (Q.24 §4.2): the two tones' levels may differ only so much.
    if (rowPower > columnPower * this.#maxTwist || columnPower > rowPower * this.#maxReverseTwist) {
      return undefined;
    }
    for (let k = 0; k < 4; k++) {
      if (k !== row && p[k]! * this.#peakRatio > rowPower) return undefined;
      if (k + 4 !== column && p[k + 4]! * this.#peakRatio > columnPower) return undefined;
    }
    // Component energy from Goertzel power: (A·N/2)² → A²·N/2 = power · 2 / N.
    const toneEnergy = ((rowPower + columnPower) * 2) / this.#blockSize;
    if (toneEnergy < energy * this.#energyRatio) return undefined;
    return digitAt(row, column - 4);
  }

  #finish(): void {
    const digit = this.#active!;
    // A block hits once most of it is tone, so the hits span about the tone itself, give or
    // take the half-block hop (±13 ms).
    const spanSamples = this.#lastHitEnd - this.#activeStart + this.#blockSize / 8;
    const durationMs = Math.max(0, (spanSamples * 1000) / this.sampleRate);
    this.#active = undefined;
    this.#misses = 0;
    this.#onDigit?.({ digit, startSample: this.#activeStart, durationMs });
  }
}

function strongest(powers: Float64Array, from: number): number {
  let best = from;
  for (let k = from + 1; k < from + 4; k++) if (powers[k]! > powers[best]!) best = k;
  return best;
}
