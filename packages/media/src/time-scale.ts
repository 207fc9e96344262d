// Time-scale modification for the jitter buffer: remove or insert one pitch period of a decoded
// frame with a crossfade, so speech gets shorter or longer without a click or a pitch change
// (the idea behind WSOLA and the "accelerate"/"expand" of adaptive playout).

/** Whether the first `length` samples have an RMS below `thresholdRms`. */
export function isSilent(frame: Int16Array, length: number, thresholdRms: number): boolean {
  let energy = 0;
  for (let i = 0; i < length; i++) {
    const s = frame[i]!;
    energy += s * s;
  }
  return length === 0 || energy < thresholdRms * thresholdRms * length;
}

/**
 * Best repetition period of the frame's first samples, searched between 2.5 ms and 15 ms (limited
 * to half the frame): the lag maximising the normalised correlation of x[0..L) with x[L..2L).
 * Returns 0 when the frame is not periodic enough (correlation below 0.5) to stretch cleanly.
 * High rates are searched decimated to 8 kHz to bound the cost.
 */
export function findPitchPeriod(frame: Int16Array, length: number, sampleRate: number): number {
  const step = Math.max(1, Math.floor(sampleRate / 8000));
  const minLag = Math.ceil((sampleRate * 2.5) / 1000);
  const maxLag = Math.min(Math.floor((sampleRate * 15) / 1000), Math.floor(length / 2));
  if (maxLag < minLag) return 0;
  // Energies of x[0..L) and x[L..2L) from running sums of squares over the (decimated) samples:
  // exact (integer sums far below 2^53), and one multiply-add per step instead of three.
  const end = Math.floor((2 * maxLag) / step);
  const exact = minLag % step === 0 && end < squares.length;
  if (exact) {
    let sum = 0;
    for (let k = 0; k < end; k++) {
      squares[k] = sum;
      const s = frame[k * step]!;
      sum += s * s;
    }
    squares[end] = sum;
  }
  let bestLag = 0;
  let bestScore = 0.5;
  for (let lag = minLag; lag <= maxLag; lag += step) {
    let cross = 0;
    let energyA = 0;
    let energyB = 0;
    if (exact) {
      for (let i = 0; i < lag; i += step) cross += frame[i]! * frame[i + lag]!;
      const half = squares[lag / step]!;
      energyA = half;
      energyB = squares[(2 * lag) / step]! - half;
    } else {
      for (let i = 0; i < lag; i += step) {
        const a = frame[i]!;
        const b = frame[i + lag]!;
        cross += a * b;
        energyA += a * a;
        energyB += b * b;
      }
    }
    if (cross <= 0) continue;
    const score = cross / Math.sqrt(energyA * energyB + 1);
    if (score > bestScore) {
      bestScore = score;
      bestLag = lag;
    }
  }
  return bestLag;
}

/** Running sums of squares for findPitchPeriod (30 ms at 8 kHz after decimation, plus one). */
const squares = new Float64Array(512);

/**
 * Shortens the frame by `period` samples: x[0..P) fading out over x[P..2P) fading in, then
 * x[2P..). Writes into `out`; returns the new length.
 */
export function crossfadeRemove(
  frame: Int16Array,
  length: number,
  period: number,
  out: Int16Array,
): number {
  for (let i = 0; i < period; i++) {
    const w = (i + 0.5) / period;
    out[i] = Math.round(frame[i]! * (1 - w) + frame[i + period]! * w);
  }
  let n = period;
  for (let i = 2 * period; i < length; i++) out[n++] = frame[i]!;
  return n;
}

/**
 * Lengthens the frame by `period` samples: x[0..P), then x[P..2P) fading out over x[0..P) fading
 * in (so it ends where x[P] follows), then x[P..). Writes into `out`; returns the new length.
 */
export function crossfadeInsert(
  frame: Int16Array,
  length: number,
  period: number,
  out: Int16Array,
): number {
  let n = 0;
  for (let i = 0; i < period; i++) out[n++] = frame[i]!;
  for (let i = 0; i < period; i++) {
    const w = (i + 0.5) / period;
    out[n++] = Math.round(frame[i + period]! * (1 - w) + frame[i]! * w);
  }
  for (let i = period; i < length; i++) out[n++] = frame[i]!;
  return n;
}
