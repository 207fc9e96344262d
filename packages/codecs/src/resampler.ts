/**
 * Sample-rate conversion with the speexdsp 1.2.1 resampler (windowed-sinc polyphase filter)
 * compiled to WebAssembly.
 */
import { closedError, GrowableInt16, outputView } from './buffers.js';
import type { Resampler, ResamplerOptions } from './codec.js';
import { CodecError } from './errors.js';
import { LazyWasm, type WasmLibrary } from './wasm.js';

interface ResamplerExports {
  resampler_glue_create(
    channels: number,
    inputRate: number,
    outputRate: number,
    quality: number,
  ): number;
  resampler_glue_destroy(glue: number): void;
  resampler_glue_input(glue: number): number;
  resampler_glue_output(glue: number): number;
  resampler_glue_reset(glue: number): void;
  resampler_glue_process(glue: number, frames: number): number;
}

/** Size of the glue's input and output buffers, in samples (120 ms at 48 kHz stereo). */
const GLUE_SAMPLES = 5760 * 2;

export const resamplerWasm = new LazyWasm<ResamplerExports>(
  'resampler',
  new URL('../wasm/resampler.wasm', import.meta.url),
);

/** speexdsp resampler; `quality` 0–10 (3 is the usual VoIP setting, 10 near-transparent). */
export class SpeexResampler implements Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  readonly #lib: WasmLibrary<ResamplerExports>;
  readonly #glue: number;
  readonly #input: number;
  readonly #output: number;
  readonly #chunk: number;
  readonly #result: GrowableInt16;
  #closed = false;

  /** Synchronous once `resamplerWasm.load()` resolved; `createResampler()` does that. */
  constructor(options: ResamplerOptions) {
    const { inputRate, outputRate } = options;
    const channels = options.channels ?? 1;
    const quality = options.quality ?? 3;
    for (const [what, rate] of [
      ['input rate', inputRate],
      ['output rate', outputRate],
    ] as const) {
      if (!Number.isInteger(rate) || rate < 1000 || rate > 192000) {
        throw new CodecError(
          'ERR_CODEC_INVALID_OPTION',
          `resampler ${what} ${rate} Hz is out of range`,
        );
      }
    }
    if (channels !== 1 && channels !== 2) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `resampler takes 1 or 2 channels, not ${channels}`,
      );
    }
    if (!Number.isInteger(quality) || quality < 0 || quality > 10) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `resampler quality must be 0–10, not ${quality}`,
      );
    }
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.channels = channels;
    this.#lib = resamplerWasm.get();
    const api = this.#lib.exports;
    this.#glue = api.resampler_glue_create(channels, inputRate, outputRate, quality);
    if (this.#glue === 0)
      throw new CodecError('ERR_CODEC_INTERNAL', 'resampler: cannot create state');
    this.#input = api.resampler_glue_input(this.#glue) >> 1;
    this.#output = api.resampler_glue_output(this.#glue) >> 1;
    // Input frames per call such that the output always fits the glue's output buffer.
    const perChannel = GLUE_SAMPLES / channels;
    this.#chunk = Math.max(
      1,
      Math.min(perChannel, Math.floor(((perChannel - 8) * inputRate) / outputRate)),
    );
    this.#result = new GrowableInt16(Math.ceil((0.02 * outputRate + 8) * channels));
  }

  process(input: Int16Array, output?: Int16Array): Int16Array {
    if (this.#closed) throw closedError('resampler');
    const channels = this.channels;
    if (input.length % channels !== 0) {
      throw new CodecError(
        'ERR_CODEC_INVALID_INPUT',
        `resampler input of ${input.length} samples is not whole frames`,
      );
    }
    const frames = input.length / channels;
    const capacity = Math.ceil((frames * this.outputRate) / this.inputRate + 2) * channels;
    const target = output ?? this.#result.view(capacity);
    const lib = this.#lib;
    let written = 0;
    for (let at = 0; at < frames; at += this.#chunk) {
      const count = Math.min(this.#chunk, frames - at);
      lib.i16.set(input.subarray(at * channels, (at + count) * channels), this.#input);
      const produced = lib.exports.resampler_glue_process(this.#glue, count);
      if (produced < 0)
        throw new CodecError(
          'ERR_CODEC_INTERNAL',
          `resampler failed with speexdsp error ${-produced}`,
        );
      const samples = produced * channels;
      if (written + samples > target.length) outputView(target, written + samples, 'resampler');
      target.set(lib.i16.subarray(this.#output, this.#output + samples), written);
      written += samples;
    }
    return target.subarray(0, written);
  }

  reset(): void {
    if (this.#closed) throw closedError('resampler');
    this.#lib.exports.resampler_glue_reset(this.#glue);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.exports.resampler_glue_destroy(this.#glue);
  }
}

/** Creates a resampler, compiling the WebAssembly module on first use. */
export async function createResampler(options: ResamplerOptions): Promise<Resampler> {
  await resamplerWasm.load();
  return new SpeexResampler(options);
}
