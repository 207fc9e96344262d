/**
 * Opus (RFC 6716) through libopus 1.3.1 compiled to WebAssembly, with the RTP payload format of
 * RFC 7587: `opus/48000/2` in SDP whatever the actual audio, fmtp `useinbandfec`, `usedtx`,
 * `stereo`, `maxaveragebitrate`.
 *
 * The codec can run at 8, 12, 16, 24 or 48 kHz (`sampleRate` option): an encoder at 8 kHz still
 * produces standard Opus packets, and running at the other leg's rate saves the resampler.
 */
import { checkRoom, closedError, GrowableInt16, GrowableUint8, outputView } from './buffers.js';
import type { AudioCodec, CodecOptions } from './codec.js';
import { CodecError } from './errors.js';
import type { CodecDescriptor } from './registry.js';
import { LazyWasm, type WasmLibrary } from './wasm.js';

interface OpusExports {
  opus_glue_create(sampleRate: number, channels: number, application: number): number;
  opus_glue_destroy(glue: number): void;
  opus_glue_pcm(glue: number): number;
  opus_glue_packet(glue: number): number;
  opus_glue_encoder_set(glue: number, request: number, value: number): number;
  opus_glue_encoder_reset(glue: number): number;
  opus_glue_decoder_reset(glue: number): number;
  opus_glue_encode(glue: number, frameSamples: number): number;
  opus_glue_decode(glue: number, length: number, maxSamples: number, fec: number): number;
}

// opus_defines.h
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_DTX = 4016;
const APPLICATIONS = { voip: 2048, audio: 2049, lowdelay: 2051 } as const;
const OPUS_ERRORS: Record<number, string> = {
  [-1]: 'bad argument',
  [-2]: 'buffer too small',
  [-3]: 'internal error',
  [-4]: 'invalid packet',
  [-5]: 'unimplemented',
  [-6]: 'invalid state',
  [-7]: 'allocation failed',
};

const MAX_FRAME_SAMPLES = 5760; // 120 ms at 48 kHz, per channel (glue buffer size)
const MAX_PACKET_BYTES = 1500;
const SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000];
const FRAME_DURATIONS = [2.5, 5, 10, 20, 40, 60];

export const opusWasm = new LazyWasm<OpusExports>(
  'opus',
  new URL('../wasm/opus.wasm', import.meta.url),
);

/** Opus codec: one encoder and one decoder, state inside the shared WebAssembly instance. */
export class OpusCodec implements AudioCodec {
  readonly name = 'opus';
  readonly clockRate = 48000;
  readonly sampleRate: number;
  readonly channels: number;
  readonly frameDuration: number;
  readonly frameSamples: number;
  readonly #lib: WasmLibrary<OpusExports>;
  readonly #glue: number;
  readonly #pcm: number;
  readonly #packet: number;
  readonly #encoded = new GrowableUint8(MAX_PACKET_BYTES);
  readonly #decoded: GrowableInt16;
  #memoryView: Int16Array | undefined;
  #memoryViewOf: Int16Array | undefined;
  readonly #dtx: boolean;
  #closed = false;

  /** Synchronous once `opusWasm.load()` resolved (the registry does that). */
  constructor(options: CodecOptions = {}) {
    this.sampleRate = options.sampleRate ?? 48000;
    this.channels = options.channels ?? 1;
    this.frameDuration = options.frameDuration ?? 20;
    if (!SAMPLE_RATES.includes(this.sampleRate)) invalid(`sample rate ${this.sampleRate}`);
    if (this.channels !== 1 && this.channels !== 2) invalid(`${this.channels} channels`);
    if (!FRAME_DURATIONS.includes(this.frameDuration))
      invalid(`frame duration ${this.frameDuration} ms`);
    this.frameSamples = (this.sampleRate * this.frameDuration) / 1000;
    this.#dtx = options.dtx ?? false;
    this.#lib = opusWasm.get();
    const api = this.#lib.exports;
    const application = APPLICATIONS[options.application ?? 'voip'];
    this.#glue = api.opus_glue_create(this.sampleRate, this.channels, application);
    if (this.#glue === 0)
      throw new CodecError('ERR_CODEC_INTERNAL', 'opus: cannot create encoder/decoder');
    this.#pcm = api.opus_glue_pcm(this.#glue);
    this.#packet = api.opus_glue_packet(this.#glue);
    this.#decoded = new GrowableInt16(this.frameSamples * this.channels);
    try {
      this.setBitrate(options.bitrate ?? (this.channels === 2 ? 48000 : 32000));
      this.#set(OPUS_SET_COMPLEXITY, checkRange('complexity', options.complexity ?? 5, 0, 10));
      const fec = options.fec ?? false;
      this.#set(OPUS_SET_INBAND_FEC, fec ? 1 : 0);
      this.#set(
        OPUS_SET_PACKET_LOSS_PERC,
        checkRange('packet loss', options.packetLossPercent ?? (fec ? 10 : 0), 0, 100),
      );
      this.#set(OPUS_SET_DTX, this.#dtx ? 1 : 0);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  setBitrate(bitsPerSecond: number): void {
    this.#set(OPUS_SET_BITRATE, checkRange('bitrate', bitsPerSecond, 500, 512000));
  }

  encode(pcm: Int16Array, output?: Uint8Array): Uint8Array {
    const sent = this.#encodeInMemory(pcm);
    const out = output ? outputView(output, sent, 'opus encode') : this.#encoded.view(sent);
    this.#copyPacket(out, 0, sent);
    return out;
  }

  encodeInto(pcm: Int16Array, out: Uint8Array, offset: number): number {
    const sent = this.#encodeInMemory(pcm);
    checkRoom(out, offset, sent, 'opus');
    this.#copyPacket(out, offset, sent);
    return sent;
  }

  /** Encodes one frame into the packet buffer in wasm memory; returns the bytes to send. */
  #encodeInMemory(pcm: Int16Array): number {
    this.#check();
    const expected = this.frameSamples * this.channels;
    if (pcm.length !== expected) {
      throw new CodecError(
        'ERR_CODEC_INVALID_INPUT',
        `opus encode takes ${expected} samples, got ${pcm.length}`,
      );
    }
    const lib = this.#lib;
    lib.i16.set(pcm, this.#pcm >> 1);
    const length = lib.exports.opus_glue_encode(this.#glue, this.frameSamples);
    if (length < 0) throw opusError('encode', length);
    // With DTX, packets of 2 bytes or less need not be sent (libopus opus_encode docs).
    return this.#dtx && length <= 2 ? 0 : length;
  }

  /** Copies the encoded packet out of wasm memory into `out` at `offset`. */
  #copyPacket(out: Uint8Array, offset: number, length: number): void {
    // A loop rather than a view of wasm memory per packet (packets are small).
    const memory = this.#lib.u8;
    const packet = this.#packet;
    for (let i = 0; i < length; i++) out[offset + i] = memory[packet + i]!;
  }

  decode(payload: Uint8Array, output?: Int16Array): Int16Array {
    this.#check();
    this.#loadPayload(payload);
    return this.#run(payload.length, MAX_FRAME_SAMPLES, 0, output, 'decode');
  }

  decodeInto(payload: Uint8Array, out: Int16Array): number {
    this.#check();
    this.#loadPayload(payload);
    return this.#runInto(payload.length, MAX_FRAME_SAMPLES, 0, out, 'decode');
  }

  conceal(samples: number, output?: Int16Array): Int16Array {
    this.#check();
    this.#checkLossSamples(samples);
    return this.#run(0, samples, 0, output, 'conceal');
  }

  concealInto(samples: number, out: Int16Array): number {
    this.#check();
    this.#checkLossSamples(samples);
    return this.#runInto(0, samples, 0, out, 'conceal');
  }

  recoverFec(nextPayload: Uint8Array, samples: number, output?: Int16Array): Int16Array {
    this.#check();
    this.#checkLossSamples(samples);
    this.#loadPayload(nextPayload);
    return this.#run(nextPayload.length, samples, 1, output, 'FEC decode');
  }

  reset(): void {
    this.#check();
    this.#lib.exports.opus_glue_encoder_reset(this.#glue);
    this.#lib.exports.opus_glue_decoder_reset(this.#glue);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.exports.opus_glue_destroy(this.#glue);
  }

  /** Checks a payload and copies it where the decoder reads it. */
  #loadPayload(payload: Uint8Array): void {
    if (payload.length === 0 || payload.length > MAX_PACKET_BYTES) {
      throw new CodecError('ERR_CODEC_INVALID_PAYLOAD', `opus payload of ${payload.length} bytes`);
    }
    this.#lib.u8.set(payload, this.#packet);
  }

  /** Runs the decoder (or its concealment, or FEC); returns the samples it produced, all channels. */
  #decodeInMemory(length: number, maxSamples: number, fec: number, what: string): number {
    const samples = this.#lib.exports.opus_glue_decode(this.#glue, length, maxSamples, fec);
    if (samples < 0) throw opusError(what, samples);
    return samples * this.channels;
  }

  #run(
    length: number,
    maxSamples: number,
    fec: number,
    output: Int16Array | undefined,
    what: string,
  ): Int16Array {
    const count = this.#decodeInMemory(length, maxSamples, fec, what);
    const out = output ? outputView(output, count, `opus ${what}`) : this.#decoded.view(count);
    out.set(this.#decodedInMemory(this.#lib.i16, count));
    return out;
  }

  /** Like #run, into `out` from index 0 without a view of it; returns the samples written. */
  #runInto(length: number, maxSamples: number, fec: number, out: Int16Array, what: string): number {
    const count = this.#decodeInMemory(length, maxSamples, fec, what);
    if (count > out.length) {
      throw new CodecError(
        'ERR_CODEC_BUFFER_TOO_SMALL',
        `opus ${what} needs ${count} elements, the output buffer holds ${out.length}`,
      );
    }
    out.set(this.#decodedInMemory(this.#lib.i16, count));
    return count;
  }

  /** The decoder's output in wasm memory, through a view kept while memory and length stay. */
  #decodedInMemory(memory: Int16Array, count: number): Int16Array {
    if (
      this.#memoryView === undefined ||
      this.#memoryViewOf !== memory ||
      this.#memoryView.length !== count
    ) {
      const start = this.#pcm >> 1;
      this.#memoryView = memory.subarray(start, start + count);
      this.#memoryViewOf = memory;
    }
    return this.#memoryView;
  }

  #checkLossSamples(samples: number): void {
    // PLC and FEC work in multiples of 2.5 ms (RFC 6716 §4.4).
    const quantum = this.sampleRate / 400;
    if (
      !Number.isInteger(samples) ||
      samples <= 0 ||
      samples > MAX_FRAME_SAMPLES ||
      samples % quantum !== 0
    ) {
      throw new CodecError(
        'ERR_CODEC_INVALID_INPUT',
        `opus conceals multiples of 2.5 ms, not ${samples} samples`,
      );
    }
  }

  #set(request: number, value: number): void {
    this.#check();
    const status = this.#lib.exports.opus_glue_encoder_set(this.#glue, request, value);
    if (status < 0) throw opusError(`setting ${request}=${value}`, status);
  }

  #check(): void {
    if (this.#closed) throw closedError('opus');
  }
}

function opusError(what: string, status: number): CodecError {
  const code = status === -4 ? 'ERR_CODEC_INVALID_PAYLOAD' : 'ERR_CODEC_INTERNAL';
  return new CodecError(code, `opus ${what} failed: ${OPUS_ERRORS[status] ?? `error ${status}`}`);
}

function invalid(what: string): never {
  throw new CodecError('ERR_CODEC_INVALID_OPTION', `opus does not support ${what}`);
}

function checkRange(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError(
      'ERR_CODEC_INVALID_OPTION',
      `opus ${what} must be an integer ${min}–${max}, not ${value}`,
    );
  }
  return value;
}

/**
 * Registry entry for `opus/48000/2` (RFC 7587 §7). fmtp maps to options: `stereo=1` → 2
 * channels, `useinbandfec=1` → fec, `usedtx=1` → dtx, `maxaveragebitrate` → bitrate cap.
 */
export function opusDescriptor(): CodecDescriptor {
  return {
    name: 'opus',
    clockRate: 48000,
    channels: 2,
    offerFmtp: 'minptime=10;useinbandfec=1',
    get loaded() {
      return opusWasm.loaded;
    },
    load: () => opusWasm.load(),
    create(options, fmtp) {
      const fromFmtp: CodecOptions = {};
      if (fmtp['stereo'] === '1') fromFmtp.channels = 2;
      if (fmtp['useinbandfec'] === '1') fromFmtp.fec = true;
      if (fmtp['usedtx'] === '1') fromFmtp.dtx = true;
      const cap = Number(fmtp['maxaveragebitrate']);
      if (Number.isInteger(cap) && cap >= 6000 && cap <= 510000)
        fromFmtp.bitrate = Math.min(cap, fromFmtp.channels === 2 ? 48000 : 32000);
      return new OpusCodec({ ...fromFmtp, ...options });
    },
  };
}
