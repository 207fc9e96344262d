import type { AudioCodec } from '@callbridge/codecs';
import type { FrameDecoder } from './frame-decoder.js';
import { SeededRandom } from './random.js';

/**
 * Presents the audio codecs one leg may send (keyed by payload type) plus RFC 3389 comfort noise
 * as one {@link FrameDecoder}, so a jitter buffer follows the sender when it switches payload
 * type mid-stream (RFC 3264 §5.1 lets it use any format of the answer) without a gap.
 * All codecs must produce PCM at the same `sampleRate`.
 */
export class LegDecoder implements FrameDecoder {
  readonly sampleRate: number;
  readonly #codecs: Map<number, AudioCodec>;
  readonly #primary: AudioCodec;
  readonly #comfortNoisePayloadType: number;
  #current: AudioCodec;
  /** Amplitude bound of the comfort noise the sender last described; 0 for silence. */
  #noiseAmplitude = 0;
  readonly #rng = new SeededRandom(0x5eed);
  /**
   * Largest frame a payload may decode to (120 ms, RFC 6716 §3.2.5, in all channels): an `out`
   * at least this long takes any frame, so the codec may decode into it directly.
   */
  readonly #maxFrameSamples: number;

  constructor(codecs: Map<number, AudioCodec>, primary: AudioCodec, comfortNoisePayloadType = -1) {
    this.#codecs = codecs;
    this.#primary = primary;
    this.#current = primary;
    this.sampleRate = primary.sampleRate;
    this.#maxFrameSamples = Math.ceil(primary.sampleRate * 0.12) * primary.channels;
    this.#comfortNoisePayloadType = comfortNoisePayloadType;
  }

  decode(payload: Uint8Array, out: Int16Array, payloadType: number): number {
    if (payloadType === this.#comfortNoisePayloadType && payloadType >= 0) {
      // RFC 3389 §3: the first octet is the noise level in -dBov; spectral detail is optional
      // and white noise at that level is an accepted rendering.
      const level = payload.length > 0 ? payload[0]! & 0x7f : 127;
      const rms = 32767 * 10 ** (-level / 20);
      this.#noiseAmplitude = rms * Math.sqrt(3); // uniform noise: peak = rms·√3
      const samples = Math.min(out.length, Math.round(this.sampleRate / 50));
      return this.fillSilence(out, samples);
    }
    const codec = this.#codecs.get(payloadType) ?? this.#primary;
    this.#current = codec;
    this.#noiseAmplitude = 0;
    // Straight into the caller's buffer when the codec can (one copy of the frame fewer).
    if (codec.decodeInto !== undefined && out.length >= this.#maxFrameSamples) {
      return codec.decodeInto(payload, out);
    }
    const pcm = codec.decode(payload);
    return copyInto(out, pcm);
  }

  conceal(out: Int16Array, samples: number): number {
    if (this.#noiseAmplitude > 0) return this.fillSilence(out, samples);
    const codec = this.#current;
    if (codec.concealInto !== undefined && out.length >= samples * codec.channels) {
      return codec.concealInto(samples, out);
    }
    const pcm = codec.conceal(samples);
    return copyInto(out, pcm);
  }

  decodeFec(nextPayload: Uint8Array, out: Int16Array, samples: number): number {
    const codec = this.#current;
    if (codec.recoverFec === undefined) return 0;
    const pcm = codec.recoverFec(nextPayload, samples);
    return copyInto(out, pcm);
  }

  fillSilence(out: Int16Array, samples: number): number {
    const n = Math.min(samples, out.length);
    const a = this.#noiseAmplitude;
    if (a === 0) {
      out.fill(0, 0, n);
      return n;
    }
    for (let i = 0; i < n; i++) out[i] = Math.round((this.#rng.next() * 2 - 1) * a);
    return n;
  }

  reset(): void {
    for (const codec of this.#codecs.values()) codec.reset();
    this.#primary.reset();
    this.#noiseAmplitude = 0;
  }
}

/**
 * Copies the codec's output view into `out` from index 0: natively, without a new view, in the
 * usual case where it fits.
 */
function copyInto(out: Int16Array, pcm: Int16Array): number {
  if (pcm.length <= out.length) {
    out.set(pcm);
    return pcm.length;
  }
  for (let i = 0; i < out.length; i++) out[i] = pcm[i]!;
  return out.length;
}
