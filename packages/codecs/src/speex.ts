/**
 * Speex narrowband (8 kHz) and wideband (16 kHz) through libspeex 1.2.1 compiled to
 * WebAssembly, with the RTP payload format of RFC 5574 (`speex/8000`, `speex/16000`; a payload
 * may carry several 20 ms frames; fmtp `vbr=on|off|vad`).
 */
import { closedError, GrowableInt16, outputView } from './buffers.js';
import type { AudioCodec, CodecOptions } from './codec.js';
import { CodecError } from './errors.js';
import { checkSampleCount } from './g711.js';
import type { CodecDescriptor } from './registry.js';
import { LazyWasm, type WasmLibrary } from './wasm.js';

interface SpeexExports {
  speex_glue_create(wideband: number): number;
  speex_glue_destroy(glue: number): void;
  speex_glue_pcm(glue: number): number;
  speex_glue_packet(glue: number): number;
  speex_glue_frame_samples(glue: number): number;
  speex_glue_encoder_set(glue: number, request: number, value: number): number;
  speex_glue_reset(glue: number): void;
  speex_glue_encode(glue: number): number;
  speex_glue_decode_start(glue: number, length: number): void;
  speex_glue_decode_next(glue: number, lost: number): number;
}

// speex.h
const SPEEX_SET_QUALITY = 4;
const SPEEX_SET_VBR = 12;
const SPEEX_SET_COMPLEXITY = 16;
const SPEEX_SET_BITRATE = 18;
const SPEEX_SET_VAD = 30;
const SPEEX_SET_DTX = 34;

const MAX_PACKET_BYTES = 1500;

export const speexWasm = new LazyWasm<SpeexExports>(
  'speex',
  new URL('../wasm/speex.wasm', import.meta.url),
);

export interface SpeexOptions extends CodecOptions {
  /** Speex quality 0–10 (default 8: 15 kbit/s narrowband, 27.8 kbit/s wideband). */
  quality?: number;
  /** Variable bitrate. */
  vbr?: boolean;
}

/** Speex codec with 20 ms frames; `sampleRate` 8000 (narrowband) or 16000 (wideband). */
export class SpeexCodec implements AudioCodec {
  readonly name = 'speex';
  readonly clockRate: number;
  readonly sampleRate: number;
  readonly channels = 1;
  readonly frameDuration = 20;
  readonly frameSamples: number;
  readonly #lib: WasmLibrary<SpeexExports>;
  readonly #glue: number;
  readonly #pcm: number;
  readonly #packet: number;
  readonly #encoded = new Uint8Array(MAX_PACKET_BYTES);
  readonly #decoded: GrowableInt16;
  #closed = false;

  constructor(options: SpeexOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    if (this.sampleRate !== 8000 && this.sampleRate !== 16000)
      invalid(`sample rate ${this.sampleRate}`);
    if (options.channels !== undefined && options.channels !== 1)
      invalid(`${options.channels} channels`);
    if (options.frameDuration !== undefined && options.frameDuration !== 20)
      invalid(`${options.frameDuration} ms frames`);
    this.clockRate = this.sampleRate;
    this.#lib = speexWasm.get();
    const api = this.#lib.exports;
    this.#glue = api.speex_glue_create(this.sampleRate === 16000 ? 1 : 0);
    if (this.#glue === 0)
      throw new CodecError('ERR_CODEC_INTERNAL', 'speex: cannot create encoder/decoder');
    this.frameSamples = api.speex_glue_frame_samples(this.#glue);
    this.#pcm = api.speex_glue_pcm(this.#glue) >> 1;
    this.#packet = api.speex_glue_packet(this.#glue);
    this.#decoded = new GrowableInt16(this.frameSamples);
    try {
      if (options.quality !== undefined)
        this.#set(SPEEX_SET_QUALITY, range('quality', options.quality, 0, 10));
      if (options.complexity !== undefined) {
        this.#set(SPEEX_SET_COMPLEXITY, range('complexity', options.complexity, 1, 10));
      }
      if (options.vbr) this.#set(SPEEX_SET_VBR, 1);
      if (options.bitrate !== undefined) this.setBitrate(options.bitrate);
      if (options.vad || options.dtx) this.#set(SPEEX_SET_VAD, 1);
      if (options.dtx) this.#set(SPEEX_SET_DTX, 1);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  setBitrate(bitsPerSecond: number): void {
    this.#set(SPEEX_SET_BITRATE, range('bitrate', bitsPerSecond, 2000, 44000));
  }

  /** Encodes one 20 ms frame; an empty result is a frame DTX suppressed. */
  encode(pcm: Int16Array, output?: Uint8Array): Uint8Array {
    this.#check();
    if (pcm.length !== this.frameSamples) {
      throw new CodecError(
        'ERR_CODEC_INVALID_INPUT',
        `speex encode takes ${this.frameSamples} samples, got ${pcm.length}`,
      );
    }
    const lib = this.#lib;
    lib.i16.set(pcm, this.#pcm);
    const length = lib.exports.speex_glue_encode(this.#glue);
    const out = output
      ? outputView(output, length, 'speex encode')
      : this.#encoded.subarray(0, length);
    out.set(lib.u8.subarray(this.#packet, this.#packet + length));
    return out;
  }

  /** Decodes every frame of an RFC 5574 payload. */
  decode(payload: Uint8Array, output?: Int16Array): Int16Array {
    this.#check();
    if (payload.length === 0 || payload.length > MAX_PACKET_BYTES) {
      throw new CodecError('ERR_CODEC_INVALID_PAYLOAD', `speex payload of ${payload.length} bytes`);
    }
    const lib = this.#lib;
    lib.u8.set(payload, this.#packet);
    lib.exports.speex_glue_decode_start(this.#glue, payload.length);
    const frame = this.frameSamples;
    // Every frame consumes at least 5 bits (the mode field), which bounds the loop.
    const maxFrames = Math.ceil((payload.length * 8) / 5);
    let written = 0;
    let target = output ?? this.#decoded.view(frame);
    for (let frames = 0; frames < maxFrames; frames++) {
      const status = lib.exports.speex_glue_decode_next(this.#glue, 0);
      if (status === -1) break;
      if (status !== 0) {
        if (written > 0) break; // trailing garbage after valid frames, as decoders tolerate
        throw new CodecError('ERR_CODEC_INVALID_PAYLOAD', 'speex payload is not a valid bitstream');
      }
      if (output) outputView(output, written + frame, 'speex decode');
      else if (target.length < written + frame) target = this.#decoded.view(written + frame);
      target.set(lib.i16.subarray(this.#pcm, this.#pcm + frame), written);
      written += frame;
    }
    if (written === 0)
      throw new CodecError('ERR_CODEC_INVALID_PAYLOAD', 'speex payload holds no frame');
    return target.subarray(0, written);
  }

  /** Runs the decoder's concealment for `samples` (rounded up to whole 20 ms frames). */
  conceal(samples: number, output?: Int16Array): Int16Array {
    this.#check();
    checkSampleCount(samples);
    const frame = this.frameSamples;
    const frames = Math.ceil(samples / frame);
    const target = output
      ? outputView(output, samples, 'speex conceal')
      : this.#decoded.view(frames * frame);
    const lib = this.#lib;
    for (let f = 0; f < frames; f++) {
      lib.exports.speex_glue_decode_next(this.#glue, 1);
      const count = Math.min(frame, samples - f * frame);
      target.set(lib.i16.subarray(this.#pcm, this.#pcm + count), f * frame);
    }
    return target.subarray(0, samples);
  }

  reset(): void {
    this.#check();
    this.#lib.exports.speex_glue_reset(this.#glue);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.exports.speex_glue_destroy(this.#glue);
  }

  #set(request: number, value: number): void {
    this.#check();
    if (this.#lib.exports.speex_glue_encoder_set(this.#glue, request, value) !== 0) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `speex rejected setting ${request}=${value}`,
      );
    }
  }

  #check(): void {
    if (this.#closed) throw closedError('speex');
  }
}

function invalid(what: string): never {
  throw new CodecError('ERR_CODEC_INVALID_OPTION', `speex does not support ${what}`);
}

function range(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError(
      'ERR_CODEC_INVALID_OPTION',
      `speex ${what} must be an integer ${min}–${max}, not ${value}`,
    );
  }
  return value;
}

/** Registry entry for `speex/8000` or `speex/16000` (RFC 5574 §5; fmtp `vbr=on|vad`). */
export function speexDescriptor(sampleRate: 8000 | 16000): CodecDescriptor {
  return {
    name: 'speex',
    clockRate: sampleRate,
    channels: 1,
    get loaded() {
      return speexWasm.loaded;
    },
    load: () => speexWasm.load(),
    create(options, fmtp) {
      const fromFmtp: SpeexOptions = {};
      if (fmtp['vbr'] === 'on') fromFmtp.vbr = true;
      if (fmtp['vbr'] === 'vad') fromFmtp.vad = true;
      return new SpeexCodec({ ...fromFmtp, ...options, sampleRate });
    },
  };
}
