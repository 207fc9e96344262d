// Test signals and quality measures shared by the codec tests.
import { readFileSync } from 'node:fs';

export const conformanceDir = new URL('../../../../shared/conformance/', import.meta.url);

/** Reads a little-endian int16 file into an Int16Array, independent of host byte order. */
export function readInt16LE(url: URL): Int16Array {
  const bytes = readFileSync(url);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Synthetic speech-like signal: a glottal pulse train with a gliding pitch (100–220 Hz)
 * through three formant resonators that move between vowels, syllable-rate amplitude
 * modulation and short unvoiced (noise) stretches.
 */
export function speechLike(sampleRate: number, seconds: number, seed = 1): Int16Array {
  const n = Math.round(sampleRate * seconds);
  const raw = new Float64Array(n);
  const random = rng(seed);
  const vowels = [
    [730, 1090, 2440],
    [270, 2290, 3010],
    [530, 1840, 2480],
    [300, 870, 2240],
    [660, 1720, 2410],
  ];
  const state = [0, 0, 0, 0, 0, 0];
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const pitch = 150 + 60 * Math.sin(2 * Math.PI * 0.7 * t) + 10 * Math.sin(2 * Math.PI * 3.1 * t);
    phase += pitch / sampleRate;
    const syllable = Math.floor(t * 4);
    const voiced = syllable % 5 !== 3;
    let excitation: number;
    if (voiced) {
      excitation = phase >= 1 ? 1 : 0;
    } else {
      excitation = (random() - 0.5) * 0.3;
    }
    if (phase >= 1) phase -= 1;
    const vowel = vowels[syllable % vowels.length]!;
    let y = excitation;
    for (let f = 0; f < 3; f++) {
      const freq = Math.min(vowel[f]!, sampleRate * 0.45);
      const r = 0.97;
      const a1 = 2 * r * Math.cos((2 * Math.PI * freq) / sampleRate);
      const a2 = -r * r;
      const v = y + a1 * state[2 * f]! + a2 * state[2 * f + 1]!;
      state[2 * f + 1] = state[2 * f]!;
      state[2 * f] = v;
      y = v * (1 - r);
    }
    const envelope = 0.35 + 0.65 * Math.abs(Math.sin(Math.PI * t * 4));
    raw[i] = y * envelope;
  }
  // Normalize to an RMS of 3000 (about -21 dBov, a typical speech level).
  let energy = 0;
  for (const v of raw) energy += v * v;
  const scale = 3000 / Math.sqrt(energy / n || 1);
  return Int16Array.from(raw, (v) => Math.max(-32768, Math.min(32767, Math.round(v * scale))));
}

/** Sum of sines at the given frequencies (Hz), each at `amplitude`. */
export function tones(
  sampleRate: number,
  seconds: number,
  freqs: number[],
  amplitude = 6000,
): Int16Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of freqs) v += Math.sin((2 * Math.PI * f * i) / sampleRate);
    out[i] = Math.round(v * amplitude);
  }
  return out;
}

/** Segmental SNR in dB over `segment`-sample blocks, skipping near-silent blocks (ITU-T P.Sup23 style). */
export function segmentalSnr(
  reference: Int16Array,
  test: Int16Array,
  segment: number,
  delay = 0,
): number {
  let sum = 0;
  let count = 0;
  for (
    let start = 0;
    start + segment + delay <= Math.min(reference.length, test.length - delay);
    start += segment
  ) {
    let signal = 0;
    let noise = 0;
    for (let i = start; i < start + segment; i++) {
      const r = reference[i]!;
      const e = r - test[i + delay]!;
      signal += r * r;
      noise += e * e;
    }
    if (signal / segment < 100) continue;
    const snr = 10 * Math.log10(signal / Math.max(noise, 1));
    sum += Math.max(-10, Math.min(35, snr)); // usual clamping of segmental SNR
    count++;
  }
  return sum / count;
}

/** Best normalized cross-correlation of `test` against `reference` over lags 0..maxLag. */
export function bestCorrelation(
  reference: Int16Array,
  test: Int16Array,
  maxLag: number,
): { lag: number; r: number } {
  let best = { lag: 0, r: -1 };
  const n = Math.min(reference.length, test.length) - maxLag;
  for (let lag = 0; lag <= maxLag; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const x = reference[i]!;
      const y = test[i + lag]!;
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    const r = xy / Math.sqrt(xx * yy || 1);
    if (r > best.r) best = { lag, r };
  }
  return best;
}

/** Root-mean-square level of a signal. */
export function rms(signal: Int16Array, start = 0, end = signal.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += signal[i]! ** 2;
  return Math.sqrt(sum / Math.max(1, end - start));
}

/** Power of `signal` at frequency `freq` (Goertzel), normalized by length. */
export function tonePower(signal: Int16Array, sampleRate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / sampleRate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < signal.length; i++) {
    const s = signal[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (signal.length * signal.length);
}

/** Runs an encoder/decoder pair over `input` frame by frame and returns the decoded signal. */
export function roundTrip(
  codec: {
    frameSamples: number;
    channels: number;
    encode(p: Int16Array): Uint8Array;
    decode(p: Uint8Array): Int16Array;
  },
  input: Int16Array,
): Int16Array {
  const frame = codec.frameSamples * codec.channels;
  const frames = Math.floor(input.length / frame);
  const out = new Int16Array(frames * frame);
  let at = 0;
  for (let f = 0; f < frames; f++) {
    const payload = codec.encode(input.subarray(f * frame, (f + 1) * frame));
    const pcm = codec.decode(payload);
    out.set(pcm, at);
    at += pcm.length;
  }
  return out.subarray(0, at);
}

/** RTP payloads of one payload type from a classic pcap with Ethernet/IPv4/UDP frames. */
export function rtpPayloadsFromPcap(url: URL, payloadType: number): Uint8Array[] {
  const file = new Uint8Array(readFileSync(url));
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const little = view.getUint32(0, true) === 0xa1b2c3d4;
  const payloads: Uint8Array[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const captured = view.getUint32(at + 8, little);
    const frame = file.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    if (frame.length < 14 + 20 + 8 + 12 || frame[12] !== 0x08 || frame[13] !== 0x00) continue;
    const ipHeader = (frame[14]! & 0x0f) * 4;
    if (frame[14 + 9] !== 17) continue; // UDP
    const rtp = frame.subarray(14 + ipHeader + 8);
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2 || (rtp[1]! & 0x7f) !== payloadType) continue;
    let offset = 12 + (rtp[0]! & 0x0f) * 4;
    if (rtp[0]! & 0x10) offset += 4 + ((rtp[offset + 2]! << 8) | rtp[offset + 3]!) * 4;
    let end = rtp.length;
    if (rtp[0]! & 0x20) end -= rtp[end - 1]!;
    payloads.push(rtp.subarray(offset, end));
  }
  return payloads;
}
