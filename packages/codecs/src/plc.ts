/**
 * Packet-loss concealment by pitch waveform substitution, after ITU-T G.711 Appendix I, for
 * any mono sample rate (G.711 at 8 kHz, G.722 at 16 kHz).
 *
 * What it shares with Appendix I: the pitch is estimated by normalized cross-correlation over
 * 5–15 ms lags (66–200 Hz) when an erasure starts; the last pitch period is repeated with a
 * quarter-period overlap-add at the wrap point; after 10 ms the repeated segment grows to
 * three periods (less buzz); the signal is attenuated by 20 % per 10 ms after the first 10 ms
 * and is silent after 60 ms; the first good frame is cross-faded with the synthetic
 * continuation over 4 ms plus 4 ms per further 10 ms lost (at most 10 ms).
 *
 * Where it differs: Appendix I delays all output by 3.75 ms so the start of an erasure can be
 * overlap-added too. We keep zero added latency instead; the synthetic signal starts one
 * period back from the last good sample, which is continuous for voiced speech.
 */
export class PitchPlc {
  readonly #rate: number;
  readonly #history: Int16Array;
  readonly #minPitch: number;
  readonly #maxPitch: number;
  readonly #corrWindow: number;
  /** Synthetic segment being repeated (up to three periods) and the one being faded out. */
  readonly #segment: Float32Array;
  readonly #previousSegment: Float32Array;
  #segmentLength = 0;
  #previousLength = 0;
  #segmentPos = 0;
  #previousPos = 0;
  #fadeLeft = 0;
  #fadeLength = 0;
  #pitch = 0;
  /** Samples concealed in the current erasure; 0 while packets arrive. */
  #lost = 0;

  constructor(sampleRate: number) {
    this.#rate = sampleRate;
    // 48.75 ms of history as in Appendix I: enough for 3 periods of the longest pitch + OLA.
    this.#history = new Int16Array(Math.round(sampleRate * 0.04875));
    this.#minPitch = Math.round(sampleRate / 200);
    this.#maxPitch = Math.round(sampleRate / 66.7);
    this.#corrWindow = Math.round(sampleRate * 0.02);
    this.#segment = new Float32Array(3 * this.#maxPitch);
    this.#previousSegment = new Float32Array(3 * this.#maxPitch);
  }

  /** Forgets history (silence is assumed before the next frame). */
  reset(): void {
    this.#history.fill(0);
    this.#lost = 0;
    this.#fadeLeft = 0;
  }

  /**
   * Records a correctly decoded frame. After an erasure it first cross-fades the frame's start
   * with the synthetic continuation, in place.
   */
  receive(decoded: Int16Array): void {
    if (this.#lost > 0) {
      const ms10 = this.#rate / 100;
      const extra = Math.max(0, Math.ceil(this.#lost / ms10) - 1);
      const merge = Math.min(
        decoded.length,
        Math.round((this.#rate / 1000) * Math.min(10, 4 + 4 * extra)),
      );
      for (let i = 0; i < merge; i++) {
        const w = (i + 1) / (merge + 1);
        const synthetic = this.#nextSynthetic();
        decoded[i] = clamp16(w * decoded[i]! + (1 - w) * synthetic);
      }
      this.#lost = 0;
    }
    this.#push(decoded);
  }

  /** Writes `count` concealment samples into `out` (which must hold them). */
  conceal(out: Int16Array, count: number): void {
    if (this.#lost === 0) this.#startErasure();
    for (let i = 0; i < count; i++) out[i] = clamp16(this.#nextSynthetic());
    this.#push(out.subarray(0, count));
  }

  /** One synthetic sample: pitch-repeated history with Appendix I attenuation. */
  #nextSynthetic(): number {
    const ms10 = this.#rate / 100;
    if (this.#lost === ms10 || this.#lost === 2 * ms10) this.#growSegment();
    let value = this.#segment[this.#segmentPos]!;
    this.#segmentPos = (this.#segmentPos + 1) % this.#segmentLength;
    if (this.#fadeLeft > 0) {
      const w = this.#fadeLeft / (this.#fadeLength + 1);
      value = w * this.#previousSegment[this.#previousPos]! + (1 - w) * value;
      this.#previousPos = (this.#previousPos + 1) % this.#previousLength;
      this.#fadeLeft--;
    }
    // 20 % less per 10 ms after the first 10 ms; silent after 60 ms (G.711 Appendix I §I.2.4).
    const gain = this.#lost < ms10 ? 1 : Math.max(0, 1 - (0.2 * (this.#lost - ms10)) / ms10);
    this.#lost++;
    return value * gain;
  }

  #startErasure(): void {
    this.#pitch = this.#estimatePitch();
    this.#fillSegment(1);
    this.#segmentPos = 0;
    this.#fadeLeft = 0;
  }

  /** Grows the repeated segment to 2, then 3 periods, cross-fading from the old one. */
  #growSegment(): void {
    const periods = Math.min(3, Math.round(this.#segmentLength / this.#pitch) + 1);
    if (periods * this.#pitch + (this.#pitch >> 2) > this.#history.length) return;
    this.#previousSegment.set(this.#segment.subarray(0, this.#segmentLength));
    this.#previousLength = this.#segmentLength;
    this.#previousPos = this.#segmentPos;
    this.#fillSegment(periods);
    // Continue in the new segment at the same phase within the pitch period.
    this.#segmentPos = this.#previousPos % this.#pitch;
    this.#fadeLength = Math.max(1, this.#pitch >> 2);
    this.#fadeLeft = this.#fadeLength;
  }

  /**
   * Copies the last `periods` pitch periods of real history; the last quarter period is
   * overlap-added with the samples just before the segment so the wrap point is continuous.
   */
  #fillSegment(periods: number): void {
    const h = this.#history;
    const n = h.length;
    const length = periods * this.#pitch;
    const start = n - length;
    const overlap = Math.max(1, this.#pitch >> 2);
    for (let i = 0; i < length; i++) this.#segment[i] = h[start + i]!;
    for (let j = 0; j < overlap; j++) {
      const w = (j + 1) / (overlap + 1);
      const at = length - overlap + j;
      this.#segment[at] = (1 - w) * h[start + at]! + w * h[start - overlap + j]!;
    }
    this.#segmentLength = length;
  }

  /** Lag in [5 ms, 15 ms] maximising the normalized cross-correlation of the last 20 ms. */
  #estimatePitch(): number {
    const h = this.#history;
    const n = h.length;
    const window = this.#corrWindow;
    let best = this.#minPitch;
    let bestScore = -Infinity;
    for (let lag = this.#minPitch; lag <= this.#maxPitch; lag++) {
      let cross = 0;
      let energy = 1;
      for (let i = n - window; i < n; i++) {
        const past = h[i - lag]!;
        cross += h[i]! * past;
        energy += past * past;
      }
      const score = cross / Math.sqrt(energy);
      if (score > bestScore) {
        bestScore = score;
        best = lag;
      }
    }
    return best;
  }

  #push(samples: Int16Array): void {
    const h = this.#history;
    if (samples.length >= h.length) {
      h.set(samples.subarray(samples.length - h.length));
      return;
    }
    h.copyWithin(0, samples.length);
    h.set(samples, h.length - samples.length);
  }
}

function clamp16(value: number): number {
  const v = Math.round(value);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
