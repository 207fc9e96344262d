/**
 * G.729 Annex A with Annex B (VAD, DTX, comfort noise) for callbridge, through bcg729 1.1.1
 * compiled to WebAssembly. GPL-3.0-or-later (bcg729's licence), which is why it is a package of
 * its own: `@callbridge/codecs` never imports it. Make it available with
 * `registerG729(codecRegistry)`, or let a higher layer import this package dynamically when it is installed.
 *
 * RTP payload format: RFC 3551 §4.5.6 — static payload type 18, 8000 Hz, 10-byte frames of
 * 10 ms, optionally ending with one 2-byte Annex B SID frame; fmtp `annexb=yes|no`.
 */
import {
  CodecError,
  GrowableInt16,
  GrowableUint8,
  LazyWasm,
  closedError,
  codecRegistry,
  outputView,
  type AudioCodec,
  type CodecDescriptor,
  type CodecOptions,
  type CodecRegistry,
  type WasmLibrary,
} from '@callbridge/codecs';

interface G729Exports {
  g729_glue_create(vad: number): number;
  g729_glue_destroy(glue: number): void;
  g729_glue_pcm(glue: number): number;
  g729_glue_packet(glue: number): number;
  g729_glue_reset(glue: number): number;
  g729_glue_encode(glue: number): number;
  g729_glue_decode(glue: number, length: number): void;
}

const FRAME = 80; // samples in 10 ms
const SPEECH_BYTES = 10;
const SID_BYTES = 2;

export const g729Wasm = new LazyWasm<G729Exports>(
  'g729',
  new URL('../wasm/g729.wasm', import.meta.url),
);

/** G.729A codec; with `vad` the encoder sends SID frames and nothing during silence (Annex B). */
export class G729Codec implements AudioCodec {
  readonly name = 'G729';
  readonly clockRate = 8000;
  readonly sampleRate = 8000;
  readonly channels = 1;
  readonly staticPayloadType = 18;
  readonly frameDuration: number;
  readonly frameSamples: number;
  readonly #lib: WasmLibrary<G729Exports>;
  readonly #glue: number;
  readonly #pcm: number;
  readonly #packet: number;
  readonly #encoded: GrowableUint8;
  readonly #decoded: GrowableInt16;
  #closed = false;

  /** Synchronous once `g729Wasm.load()` resolved (the registry does that). */
  constructor(options: CodecOptions = {}) {
    const ptime = options.frameDuration ?? 20;
    if (!Number.isInteger(ptime) || ptime % 10 !== 0 || ptime < 10 || ptime > 200) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `G.729 frame duration must be a multiple of 10 ms, not ${ptime}`,
      );
    }
    if (options.sampleRate !== undefined && options.sampleRate !== 8000) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `G.729 runs at 8000 Hz, not ${options.sampleRate}`,
      );
    }
    if (options.channels !== undefined && options.channels !== 1) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `G.729 is mono, not ${options.channels} channels`,
      );
    }
    this.frameDuration = ptime;
    this.frameSamples = ptime * 8;
    this.#lib = g729Wasm.get();
    const api = this.#lib.exports;
    this.#glue = api.g729_glue_create(options.vad || options.dtx ? 1 : 0);
    if (this.#glue === 0)
      throw new CodecError('ERR_CODEC_INTERNAL', 'G.729: cannot create encoder/decoder');
    this.#pcm = api.g729_glue_pcm(this.#glue) >> 1;
    this.#packet = api.g729_glue_packet(this.#glue);
    this.#encoded = new GrowableUint8((this.frameSamples / FRAME) * SPEECH_BYTES);
    this.#decoded = new GrowableInt16(this.frameSamples);
  }

  /**
   * Encodes a multiple of 10 ms. Speech frames are 10 bytes; with VAD a silent stretch gives
   * one 2-byte SID frame (which ends the payload) or nothing at all (an empty result: send
   * nothing).
   */
  encode(pcm: Int16Array, output?: Uint8Array): Uint8Array {
    this.#check();
    if (pcm.length === 0 || pcm.length % FRAME !== 0) {
      throw new CodecError(
        'ERR_CODEC_INVALID_INPUT',
        `G.729 encodes multiples of 80 samples, got ${pcm.length}`,
      );
    }
    const frames = pcm.length / FRAME;
    const target = output ?? this.#encoded.view(frames * SPEECH_BYTES);
    const lib = this.#lib;
    let written = 0;
    for (let f = 0; f < frames; f++) {
      lib.i16.set(pcm.subarray(f * FRAME, (f + 1) * FRAME), this.#pcm);
      const length = lib.exports.g729_glue_encode(this.#glue);
      if (length === 0) continue;
      // A SID frame may only end a payload (RFC 3551 §4.5.6): a later speech frame starts
      // the next packet, so drop an earlier SID rather than sending it mid-payload.
      if (written > 0 && written % SPEECH_BYTES === SID_BYTES) written -= SID_BYTES;
      if (output) outputView(output, written + length, 'G.729 encode');
      target.set(lib.u8.subarray(this.#packet, this.#packet + length), written);
      written += length;
    }
    return target.subarray(0, written);
  }

  /** Decodes 10-byte speech frames and an optional trailing 2-byte SID frame. */
  decode(payload: Uint8Array, output?: Int16Array): Int16Array {
    this.#check();
    const sid = payload.length % SPEECH_BYTES === SID_BYTES ? 1 : 0;
    if (payload.length === 0 || (payload.length % SPEECH_BYTES !== 0 && !sid)) {
      throw new CodecError('ERR_CODEC_INVALID_PAYLOAD', `G.729 payload of ${payload.length} bytes`);
    }
    const frames = Math.floor(payload.length / SPEECH_BYTES) + sid;
    const target = output
      ? outputView(output, frames * FRAME, 'G.729 decode')
      : this.#decoded.view(frames * FRAME);
    const lib = this.#lib;
    for (let f = 0; f < frames; f++) {
      const start = f * SPEECH_BYTES;
      const length = Math.min(SPEECH_BYTES, payload.length - start);
      lib.u8.set(payload.subarray(start, start + length), this.#packet);
      lib.exports.g729_glue_decode(this.#glue, length);
      target.set(lib.i16.subarray(this.#pcm, this.#pcm + FRAME), f * FRAME);
    }
    return target;
  }

  /**
   * Frame-erasure concealment (G.729 §4.4) for `samples`, rounded up to 10 ms frames; after a
   * SID frame (DTX) it produces comfort noise, which is also how untransmitted frames play out.
   */
  conceal(samples: number, output?: Int16Array): Int16Array {
    this.#check();
    if (!Number.isInteger(samples) || samples < 0 || samples > 48000) {
      throw new CodecError('ERR_CODEC_INVALID_INPUT', `cannot conceal ${samples} samples`);
    }
    const frames = Math.ceil(samples / FRAME);
    const target = output
      ? outputView(output, samples, 'G.729 conceal')
      : this.#decoded.view(frames * FRAME);
    const lib = this.#lib;
    for (let f = 0; f < frames; f++) {
      lib.exports.g729_glue_decode(this.#glue, 0);
      const count = Math.min(FRAME, samples - f * FRAME);
      target.set(lib.i16.subarray(this.#pcm, this.#pcm + count), f * FRAME);
    }
    return target.subarray(0, samples);
  }

  reset(): void {
    this.#check();
    if (this.#lib.exports.g729_glue_reset(this.#glue) !== 0) {
      throw new CodecError('ERR_CODEC_INTERNAL', 'G.729: out of memory while resetting');
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.exports.g729_glue_destroy(this.#glue);
  }

  #check(): void {
    if (this.#closed) throw closedError('G729');
  }
}

/**
 * Registry entry for `G729/8000` (static payload type 18). `annexb=yes` in the fmtp turns on the
 * encoder's VAD/DTX; the decoder always understands SID frames.
 */
export function g729Descriptor(): CodecDescriptor {
  return {
    name: 'G729',
    clockRate: 8000,
    channels: 1,
    staticPayloadType: 18,
    get loaded() {
      return g729Wasm.loaded;
    },
    load: () => g729Wasm.load(),
    create(options, fmtp) {
      const vad = fmtp['annexb']?.toLowerCase() === 'yes';
      return new G729Codec({ vad, ...options });
    },
  };
}

/** Adds G.729 to a registry (by default the process-wide one of `@callbridge/codecs`). */
export function registerG729(registry: CodecRegistry = codecRegistry): void {
  registry.register(g729Descriptor());
}
