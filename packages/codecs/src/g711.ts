/**
 * G.711 PCM of voice frequencies: µ-law (PCMU, RTP PT 0) and A-law (PCMA, PT 8), RFC 3551 §4.5.14.
 *
 * Table-driven and bit-exact to the ITU-T G.191 Software Tools Library (`g711.c` v3.01), the
 * ITU's own reference implementation of G.711, on all 65,536 inputs. For µ-law we follow G.191
 * rather than the widely copied Sun `g711.c`: the two differ on 508 negative inputs because G.191
 * takes the magnitude of a negative sample with the 1's complement (`~x`), as G.711 Table 2a's
 * decision values imply, and Sun with the 2's complement (`-x`). A-law encoders and all decoders
 * agree. G.191 is also what the ITU conformance sweep (`sweep-r.u`) was produced with.
 */
import { checkRoom, closedError, GrowableInt16, GrowableUint8, outputView } from './buffers.js';
import type { AudioCodec, CodecOptions } from './codec.js';
import { CodecError } from './errors.js';
import { PitchPlc } from './plc.js';

export type G711Law = 'mu' | 'a';

let alawEncodeTable: Uint8Array | undefined;
let ulawEncodeTable: Uint8Array | undefined;
let alawDecodeTable: Int16Array | undefined;
let ulawDecodeTable: Int16Array | undefined;

/**
 * A-law encoder table indexed by `(x >> 4) & 0xfff`: G.191 uses only the 12 most significant
 * bits, and for negative x the 1's complement magnitude `(~x) >> 4` depends on `x >> 4` alone.
 */
function alawEncoder(): Uint8Array {
  if (alawEncodeTable) return alawEncodeTable;
  const table = new Uint8Array(4096);
  for (let q = -2048; q < 2048; q++) {
    let ix = q < 0 ? -q - 1 : q; // (~x) >> 4 for negatives
    if (ix > 15) {
      let exponent = 1;
      while (ix > 31) {
        ix >>= 1;
        exponent++;
      }
      ix = (exponent << 4) | (ix - 16);
    }
    if (q >= 0) ix |= 0x80;
    table[q & 0xfff] = ix ^ 0x55; // even-bit inversion
  }
  return (alawEncodeTable = table);
}

/** µ-law encoder table indexed by `(x >> 2) & 0x3fff` (G.191 uses the 14 MSBs). */
function ulawEncoder(): Uint8Array {
  if (ulawEncodeTable) return ulawEncodeTable;
  const table = new Uint8Array(16384);
  for (let q = -8192; q < 8192; q++) {
    let magnitude = (q < 0 ? -q - 1 : q) + 33; // bias 33
    if (magnitude > 0x1fff) magnitude = 0x1fff;
    let segment = 1;
    for (let i = magnitude >> 6; i !== 0; i >>= 1) segment++;
    let code = ((8 - segment) << 4) | (15 - ((magnitude >> segment) & 15));
    if (q >= 0) code |= 0x80;
    table[q & 0x3fff] = code;
  }
  return (ulawEncodeTable = table);
}

function alawDecoder(): Int16Array {
  if (alawDecodeTable) return alawDecodeTable;
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const ix = (code ^ 0x55) & 0x7f;
    const exponent = ix >> 4;
    let mantissa = ix & 15;
    if (exponent > 0) mantissa += 16;
    mantissa = (mantissa << 4) + 8;
    if (exponent > 1) mantissa <<= exponent - 1;
    table[code] = code > 127 ? mantissa : -mantissa;
  }
  return (alawDecodeTable = table);
}

function ulawDecoder(): Int16Array {
  if (ulawDecodeTable) return ulawDecodeTable;
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const inverted = ~code & 0xff;
    const exponent = (inverted >> 4) & 7;
    const mantissa = inverted & 15;
    const step = 4 << (exponent + 1);
    const magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    table[code] = code < 0x80 ? -magnitude : magnitude;
  }
  return (ulawDecodeTable = table);
}

/** Encodes linear PCM to G.711 codes (any length); `output` must hold `pcm.length` bytes. */
export function encodeG711(law: G711Law, pcm: Int16Array, output: Uint8Array): void {
  encodeG711At(law, pcm, output, 0);
}

/** Encodes linear PCM to G.711 codes in `output` from `offset` (room for `pcm.length` bytes). */
function encodeG711At(law: G711Law, pcm: Int16Array, output: Uint8Array, offset: number): void {
  if (law === 'a') {
    const table = alawEncoder();
    for (let i = 0; i < pcm.length; i++) output[offset + i] = table[(pcm[i]! >> 4) & 0xfff]!;
  } else {
    const table = ulawEncoder();
    for (let i = 0; i < pcm.length; i++) output[offset + i] = table[(pcm[i]! >> 2) & 0x3fff]!;
  }
}

/** Decodes G.711 codes to linear PCM; `output` must hold `codes.length` samples. */
export function decodeG711(law: G711Law, codes: Uint8Array, output: Int16Array): void {
  const table = law === 'a' ? alawDecoder() : ulawDecoder();
  for (let i = 0; i < codes.length; i++) output[i] = table[codes[i]!]!;
}

/** G.711 at 8 kHz mono with pitch-repetition concealment (see `PitchPlc`). */
export class G711Codec implements AudioCodec {
  readonly name: string;
  readonly clockRate = 8000;
  readonly sampleRate = 8000;
  readonly channels = 1;
  readonly frameDuration: number;
  readonly frameSamples: number;
  readonly staticPayloadType: number;
  readonly #law: G711Law;
  readonly #encoded: GrowableUint8;
  readonly #decoded: GrowableInt16;
  readonly #plc = new PitchPlc(8000);
  #closed = false;

  constructor(law: G711Law, options: CodecOptions = {}) {
    checkG711Options(options);
    this.#law = law;
    this.name = law === 'a' ? 'PCMA' : 'PCMU';
    this.staticPayloadType = law === 'a' ? 8 : 0;
    this.frameDuration = options.frameDuration ?? 20;
    this.frameSamples = (this.frameDuration * 8000) / 1000;
    this.#encoded = new GrowableUint8(this.frameSamples);
    this.#decoded = new GrowableInt16(this.frameSamples);
    // Build the tables now rather than on the first packet.
    if (law === 'a') alawEncoder();
    else ulawEncoder();
  }

  encode(pcm: Int16Array, output?: Uint8Array): Uint8Array {
    if (this.#closed) throw closedError(this.name);
    const out = output
      ? outputView(output, pcm.length, `${this.name} encode`)
      : this.#encoded.view(pcm.length);
    encodeG711(this.#law, pcm, out);
    return out;
  }

  encodeInto(pcm: Int16Array, out: Uint8Array, offset: number): number {
    if (this.#closed) throw closedError(this.name);
    checkRoom(out, offset, pcm.length, this.name);
    encodeG711At(this.#law, pcm, out, offset);
    return pcm.length;
  }

  decode(payload: Uint8Array, output?: Int16Array): Int16Array {
    if (this.#closed) throw closedError(this.name);
    const out = output
      ? outputView(output, payload.length, `${this.name} decode`)
      : this.#decoded.view(payload.length);
    decodeG711(this.#law, payload, out);
    this.#plc.receive(out);
    return out;
  }

  conceal(samples: number, output?: Int16Array): Int16Array {
    if (this.#closed) throw closedError(this.name);
    checkSampleCount(samples);
    const out = output
      ? outputView(output, samples, `${this.name} conceal`)
      : this.#decoded.view(samples);
    this.#plc.conceal(out, samples);
    return out;
  }

  reset(): void {
    this.#plc.reset();
  }

  close(): void {
    this.#closed = true;
  }
}

function checkG711Options(options: CodecOptions): void {
  if (options.sampleRate !== undefined && options.sampleRate !== 8000) {
    throw new CodecError(
      'ERR_CODEC_INVALID_OPTION',
      `G.711 runs at 8000 Hz, not ${options.sampleRate}`,
    );
  }
  if (options.channels !== undefined && options.channels !== 1) {
    throw new CodecError(
      'ERR_CODEC_INVALID_OPTION',
      `G.711 is mono, not ${options.channels} channels`,
    );
  }
  const ptime = options.frameDuration;
  if (ptime !== undefined && (!Number.isInteger(ptime) || ptime < 1 || ptime > 200)) {
    throw new CodecError(
      'ERR_CODEC_INVALID_OPTION',
      `G.711 frame duration must be 1–200 ms, not ${ptime}`,
    );
  }
}

export function checkSampleCount(samples: number): void {
  if (!Number.isInteger(samples) || samples < 0 || samples > 48000) {
    throw new CodecError('ERR_CODEC_INVALID_INPUT', `cannot conceal ${samples} samples`);
  }
}
