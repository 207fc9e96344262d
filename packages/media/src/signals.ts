import { SeededRandom } from './random.js';

/**
 * A seeded speech-like test signal: a glottal pulse train with wandering pitch (90–260 Hz)
 * through three formant resonators that move every syllable, unvoiced noise segments, a
 * syllable-rate envelope and pauses. Rich in harmonics that sweep through the DTMF bands,
 * which is what makes it a fair talk-off test for a tone detector.
 */
export function speechLikeSignal(
  seed: number,
  sampleRate: number,
  durationMs: number,
  peak = 12000,
): Int16Array {
  const rng = new SeededRandom(seed);
  const n = Math.round((sampleRate * durationMs) / 1000);
  const out = new Int16Array(n);
  const formants = [0, 0, 0].map(() => ({ y1: 0, y2: 0, a1: 0, a2: 0, gain: 0 }));
  let segmentLeft = 0;
  let voiced = true;
  let pitch = 140;
  let pitchTarget = 140;
  let phase = 0;
  let envelope = 0;
  let level = 0;
  let noise = 0;
  const setFormant = (i: number, freq: number, bandwidth: number): void => {
    const r = Math.exp((-Math.PI * bandwidth) / sampleRate);
    const f = formants[i]!;
    f.a1 = 2 * r * Math.cos((2 * Math.PI * freq) / sampleRate);
    f.a2 = -r * r;
    f.gain = 1 - r;
  };
  for (let i = 0; i < n; i++) {
    if (segmentLeft <= 0) {
      segmentLeft = Math.round((sampleRate * rng.uniform(60, 220)) / 1000);
      const silent = rng.chance(0.15);
      voiced = rng.chance(0.75);
      pitchTarget = rng.uniform(90, 260);
      level = silent ? 0 : rng.uniform(0.3, 1);
      setFormant(0, rng.uniform(250, 900), 80);
      setFormant(1, rng.uniform(800, 2400), 120);
      setFormant(2, rng.uniform(2200, 3400), 160);
    }
    segmentLeft--;
    pitch += (pitchTarget - pitch) * 0.0008;
    envelope += (level - envelope) * (200 / sampleRate);
    let excitation: number;
    if (voiced) {
      phase += pitch / sampleRate;
      if (phase >= 1) phase -= 1;
      // Rosenberg-like glottal pulse: open phase then a sharp closure.
      excitation =
        phase < 0.4 ? Math.sin((Math.PI * phase) / 0.4) : phase < 0.5 ? 1 - (phase - 0.4) * 10 : 0;
      excitation -= 0.3;
    } else {
      excitation = rng.uniform(-1, 1) * 0.5;
    }
    noise = 0.6 * noise + 0.4 * rng.uniform(-1, 1);
    let sample = 0;
    for (const f of formants) {
      const y = f.gain * excitation + f.a1 * f.y1 + f.a2 * f.y2;
      f.y2 = f.y1;
      f.y1 = y;
      sample += y;
    }
    sample = sample * envelope * peak * 0.9 + noise * 30;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(sample)));
  }
  return out;
}
