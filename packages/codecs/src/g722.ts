/**
 * ITU-T G.722 (09/2012) sub-band ADPCM at 64 kbit/s (mode 1): 16 kHz audio, one octet per two
 * input samples. RTP: static payload type 9 whose SDP clock rate is 8000 although the audio is
 * sampled at 16 kHz — an error in RFC 1890 kept for compatibility (RFC 3551 §4.5.2), so
 * timestamps advance by 8000 per second (160 per 20 ms packet of 320 samples).
 *
 * Structure (G.722 §3–§4): a 24-tap QMF splits the input into two 8 kHz bands; the lower band
 * is coded by 6-bit ADPCM (4 of the 6 bits feed the predictor so that the 56 and 48 kbit/s
 * modes stay decodable), the upper band by 2-bit ADPCM; each band has a pole-zero predictor
 * (2 poles, 6 zeros) adapted with sign-sign algorithms, and a log-domain step size.
 * Block names in comments refer to the Recommendation's functional blocks.
 */
import { closedError, GrowableInt16, GrowableUint8, outputView } from './buffers.js';
import type { AudioCodec, CodecOptions } from './codec.js';
import { CodecError } from './errors.js';
import { checkSampleCount } from './g711.js';
import { PitchPlc } from './plc.js';

/** QMF coefficients h(2i), i = 0..11, scaled by 2^13; h(2i+1) = h(22-2i) (linear phase). */
const QMF_EVEN = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);
const QMF_ODD = Int32Array.from(QMF_EVEN).reverse();

/** Lower band: decision levels of the 6-bit quantizer (Table 6/G.722, Q12 of the scale). */
const Q6 = Int32Array.of(
  0,
  35,
  72,
  110,
  150,
  190,
  233,
  276,
  323,
  370,
  422,
  473,
  530,
  587,
  650,
  714,
  786,
  858,
  940,
  1023,
  1121,
  1219,
  1339,
  1458,
  1612,
  1765,
  1980,
  2195,
  2557,
  2919,
);
/** Reconstruction magnitudes of the 6-bit quantizer for interval mil = 1..30. */
const QM6_MAGNITUDE = Int32Array.of(
  0,
  136,
  432,
  728,
  1040,
  1360,
  1688,
  2032,
  2400,
  2776,
  3168,
  3576,
  4008,
  4464,
  4944,
  5456,
  6000,
  6576,
  7192,
  7856,
  8576,
  9360,
  10232,
  11192,
  12280,
  13512,
  14984,
  16704,
  19008,
  21904,
  24808,
);
/** Codes of interval mil for a negative / positive difference (Table 6/G.722). */
const ILN = Int32Array.from({ length: 31 }, (_, mil) =>
  mil === 0 ? 0 : mil <= 2 ? 64 - mil : 34 - mil,
);
const ILP = Int32Array.from({ length: 31 }, (_, mil) => (mil === 0 ? 0 : 62 - mil));
/** 6-bit inverse quantizer output (QQ6) by code; codes 0–3 are not emitted and decode as -136. */
const QM6 = (() => {
  const table = new Int32Array(64).fill(-136);
  for (let mil = 1; mil <= 30; mil++) {
    table[ILN[mil]!] = -QM6_MAGNITUDE[mil]!;
    table[ILP[mil]!] = QM6_MAGNITUDE[mil]!;
  }
  return table;
})();
/** 4-bit inverse quantizer (QQ4) by the 4 most significant bits of the low-band code. */
const QM4 = Int32Array.of(
  0,
  -20456,
  -12896,
  -8968,
  -6288,
  -4240,
  -2584,
  -1200,
  20456,
  12896,
  8968,
  6288,
  4240,
  2584,
  1200,
  0,
);
/** Log scale factor multipliers (WL) indexed through RIL4 from the 4-bit code. */
const RL42 = Int32Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);
const WL = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);
/** Inverse log base 2 table (ILB) used by SCALEL and SCALEH. */
const ILB = Int32Array.of(
  2048,
  2093,
  2139,
  2186,
  2233,
  2282,
  2332,
  2383,
  2435,
  2489,
  2543,
  2599,
  2656,
  2714,
  2774,
  2834,
  2896,
  2960,
  3025,
  3091,
  3158,
  3228,
  3298,
  3371,
  3444,
  3520,
  3597,
  3676,
  3756,
  3838,
  3922,
  4008,
);
/** Upper band: 2-bit quantizer codes, inverse quantizer (QQ2) and log multipliers (WH). */
const IHN = Int32Array.of(0, 1, 0);
const IHP = Int32Array.of(0, 3, 2);
const QM2 = Int32Array.of(-7408, -1616, 7408, 1616);
const RH2 = Int32Array.of(2, 1, 2, 1);
const WH = Int32Array.of(0, -214, 798);

function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * Adaptive predictor and step size of one sub-band (blocks 3 and 4 of G.722). The short
 * histories are scalar fields rather than arrays: this runs twice per sample pair.
 */
class Band {
  /** Predictor output s = sp + sz (PREDIC) and its zero section sz. */
  s = 0;
  sz = 0;
  /** Log scale factor (NBL / NBH) and scale factor (DETL / DETH). */
  nb = 0;
  det: number;
  /** Pole coefficients a1, a2 and zero coefficients b1..b6. */
  a1 = 0;
  a2 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  b4 = 0;
  b5 = 0;
  b6 = 0;
  /** Past quantized differences d(n-1)..d(n-6), reconstructed r(n-1), r(n-2), partial p(n-1), p(n-2). */
  d1 = 0;
  d2 = 0;
  d3 = 0;
  d4 = 0;
  d5 = 0;
  d6 = 0;
  r1 = 0;
  r2 = 0;
  p1 = 0;
  p2 = 0;

  constructor(initialDet: number) {
    this.det = initialDet;
  }

  reset(initialDet: number): void {
    this.s = this.sz = this.nb = 0;
    this.det = initialDet;
    this.a1 = this.a2 = 0;
    this.b1 = this.b2 = this.b3 = this.b4 = this.b5 = this.b6 = 0;
    this.d1 = this.d2 = this.d3 = this.d4 = this.d5 = this.d6 = 0;
    this.r1 = this.r2 = this.p1 = this.p2 = 0;
  }

  /** Block 4: reconstruct, adapt the pole and zero predictors, compute the next prediction. */
  update(dq: number): void {
    const r0 = sat16(this.s + dq); // RECONS
    const p0 = sat16(this.sz + dq); // PARREC

    // UPPOL2: second pole coefficient.
    const s0 = p0 >> 15;
    const s1 = this.p1 >> 15;
    const a1x4 = sat16(this.a1 << 2);
    let wd = s0 === s1 ? -a1x4 : a1x4;
    if (wd > 32767) wd = 32767;
    let a2 = (s0 === this.p2 >> 15 ? 128 : -128) + (wd >> 7) + ((this.a2 * 32512) >> 15);
    a2 = a2 > 12288 ? 12288 : a2 < -12288 ? -12288 : a2;

    // UPPOL1: first pole coefficient, limited for stability by the second.
    let a1 = sat16((s0 === s1 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const limit = sat16(15360 - a2);
    a1 = a1 > limit ? limit : a1 < -limit ? -limit : a1;

    // UPZERO: sixth-order zero predictor, sign-sign adaptation with leakage.
    const up = dq === 0 ? 0 : 128;
    const sd = dq >> 15;
    const b1 = sat16((this.d1 >> 15 === sd ? up : -up) + ((this.b1 * 32640) >> 15));
    const b2 = sat16((this.d2 >> 15 === sd ? up : -up) + ((this.b2 * 32640) >> 15));
    const b3 = sat16((this.d3 >> 15 === sd ? up : -up) + ((this.b3 * 32640) >> 15));
    const b4 = sat16((this.d4 >> 15 === sd ? up : -up) + ((this.b4 * 32640) >> 15));
    const b5 = sat16((this.d5 >> 15 === sd ? up : -up) + ((this.b5 * 32640) >> 15));
    const b6 = sat16((this.d6 >> 15 === sd ? up : -up) + ((this.b6 * 32640) >> 15));

    // DELAYA: shift the histories.
    const d1 = dq;
    const d2 = this.d1;
    const d3 = this.d2;
    const d4 = this.d3;
    const d5 = this.d4;
    const d6 = this.d5;
    const r2 = this.r1;
    this.p2 = this.p1;
    this.p1 = p0;

    // FILTEP and FILTEZ: pole and zero sections; PREDIC: their sum.
    const sp = sat16(((a1 * sat16(r0 + r0)) >> 15) + ((a2 * sat16(r2 + r2)) >> 15));
    const sz = sat16(
      ((b6 * sat16(d6 + d6)) >> 15) +
        ((b5 * sat16(d5 + d5)) >> 15) +
        ((b4 * sat16(d4 + d4)) >> 15) +
        ((b3 * sat16(d3 + d3)) >> 15) +
        ((b2 * sat16(d2 + d2)) >> 15) +
        ((b1 * sat16(d1 + d1)) >> 15),
    );
    this.sz = sz;
    this.s = sat16(sp + sz);

    this.a1 = a1;
    this.a2 = a2;
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
    this.b4 = b4;
    this.b5 = b5;
    this.b6 = b6;
    this.d1 = d1;
    this.d2 = d2;
    this.d3 = d3;
    this.d4 = d4;
    this.d5 = d5;
    this.d6 = d6;
    this.r1 = r0;
    this.r2 = r2;
  }

  /** LOGSCL + SCALEL: lower-band step size from the 4-bit code. */
  adaptLow(ril: number): void {
    let nb = ((this.nb * 32512) >> 15) + WL[RL42[ril]!]!;
    nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
    this.nb = nb;
    this.det = scale(nb, 8);
  }

  /** LOGSCH + SCALEH: upper-band step size from the 2-bit code. */
  adaptHigh(ih: number): void {
    let nb = ((this.nb * 32512) >> 15) + WH[RH2[ih]!]!;
    nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
    this.nb = nb;
    this.det = scale(nb, 10);
  }
}

/** SCALEL/SCALEH: inverse log of the log scale factor, Q2. */
function scale(nb: number, offset: number): number {
  const mantissa = ILB[(nb >> 6) & 31]!;
  const shift = offset - (nb >> 11);
  return (shift < 0 ? mantissa << -shift : mantissa >> shift) << 2;
}

/** G.722 encoder state (transmit QMF + both band encoders). */
export class G722Encoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  /**
   * Transmit QMF history: the last 12 first (even) and second (odd) samples of each input pair,
   * as mirrored rings (each sample stored at p and p + 12) so the window is always contiguous.
   */
  readonly #even = new Int32Array(24);
  readonly #odd = new Int32Array(24);
  #pos = 0;

  reset(): void {
    this.#low.reset(32);
    this.#high.reset(8);
    this.#even.fill(0);
    this.#odd.fill(0);
    this.#pos = 0;
  }

  /** Encodes `pcm.length` (even) samples at 16 kHz into `pcm.length / 2` octets of `out`. */
  encode(pcm: Int16Array, out: Uint8Array): void {
    const even = this.#even;
    const odd = this.#odd;
    const low = this.#low;
    const high = this.#high;
    let pos = this.#pos;
    for (let j = 0, o = 0; j < pcm.length; j += 2, o++) {
      // Transmit QMF (§3.1): xL = xA + xB, xH = xA - xB, over the last 24 input samples.
      even[pos] = even[pos + 12] = pcm[j]!;
      odd[pos] = odd[pos + 12] = pcm[j + 1]!;
      pos = pos === 11 ? 0 : pos + 1; // now the oldest pair
      let xa = 0;
      let xb = 0;
      for (let i = 0; i < 12; i++) {
        xa += odd[pos + i]! * QMF_ODD[i]!;
        xb += even[pos + i]! * QMF_EVEN[i]!;
      }
      const xl = (xa + xb) >> 14;
      const xh = (xa - xb) >> 14;

      // Lower band (§3.2–3.3): SUBTRA, QUANTL, INVQAL, adaptation.
      const el = sat16(xl - low.s);
      const magnitude = el >= 0 ? el : -(el + 1);
      // QUANTL: the interval mil (1..30) whose decision levels bracket |el|.
      let mil = 1;
      while (mil < 30 && magnitude >= (Q6[mil]! * low.det) >> 12) mil++;
      const il = el < 0 ? ILN[mil]! : ILP[mil]!;
      const ril = il >> 2;
      const dlt = (low.det * QM4[ril]!) >> 15;
      low.adaptLow(ril);
      low.update(dlt);

      // Upper band (§3.4–3.5): SUBTRA, QUANTH, INVQAH, adaptation.
      const eh = sat16(xh - high.s);
      const hmag = eh >= 0 ? eh : -(eh + 1);
      const mih = hmag >= (564 * high.det) >> 12 ? 2 : 1;
      const ih = eh < 0 ? IHN[mih]! : IHP[mih]!;
      const dh = (high.det * QM2[ih]!) >> 15;
      high.adaptHigh(ih);
      high.update(dh);

      out[o] = (ih << 6) | il;
    }
    this.#pos = pos;
  }
}

/** G.722 decoder state (both band decoders + receive QMF), 64 kbit/s mode. */
export class G722Decoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  /** Last 12 values of xd = rL - rH and xs = rL + rH, as mirrored rings (see the encoder). */
  readonly #xd = new Int32Array(24);
  readonly #xs = new Int32Array(24);
  #pos = 0;

  reset(): void {
    this.#low.reset(32);
    this.#high.reset(8);
    this.#xd.fill(0);
    this.#xs.fill(0);
    this.#pos = 0;
  }

  /** Decodes `codes.length` octets into `2 * codes.length` samples of `out`. */
  decode(codes: Uint8Array, out: Int16Array): void {
    const low = this.#low;
    const high = this.#high;
    const xd = this.#xd;
    const xs = this.#xs;
    let pos = this.#pos;
    for (let i = 0, o = 0; i < codes.length; i++, o += 2) {
      const code = codes[i]!;
      const il = code & 0x3f;
      const ih = code >> 6;

      // Lower band (§4.2): the output uses all 6 bits, the predictor only the top 4.
      let rl = low.s + ((low.det * QM6[il]!) >> 15);
      rl = rl > 16383 ? 16383 : rl < -16384 ? -16384 : rl;
      const ril = il >> 2;
      const dlt = (low.det * QM4[ril]!) >> 15;
      low.adaptLow(ril);
      low.update(dlt);

      // Upper band (§4.3).
      const dh = (high.det * QM2[ih]!) >> 15;
      let rh = high.s + dh;
      rh = rh > 16383 ? 16383 : rh < -16384 ? -16384 : rh;
      high.adaptHigh(ih);
      high.update(dh);

      // Receive QMF (§4.4): even output from xd with h(2i), odd output from xs with h(2i+1).
      xd[pos] = xd[pos + 12] = rl - rh;
      xs[pos] = xs[pos + 12] = rl + rh;
      pos = pos === 11 ? 0 : pos + 1; // now the oldest value
      let even = 0;
      let odd = 0;
      for (let k = 0; k < 12; k++) {
        even += QMF_EVEN[k]! * xd[pos + 11 - k]!;
        odd += QMF_ODD[k]! * xs[pos + 11 - k]!;
      }
      out[o] = sat16(even >> 11);
      out[o + 1] = sat16(odd >> 11);
    }
    this.#pos = pos;
  }
}

/** G.722 at 64 kbit/s: 16 kHz mono PCM, SDP `G722/8000`, payload type 9. */
export class G722Codec implements AudioCodec {
  readonly name = 'G722';
  readonly clockRate = 8000;
  readonly sampleRate = 16000;
  readonly channels = 1;
  readonly staticPayloadType = 9;
  readonly frameDuration: number;
  readonly frameSamples: number;
  readonly #encoder = new G722Encoder();
  readonly #decoder = new G722Decoder();
  readonly #encoded: GrowableUint8;
  readonly #decoded: GrowableInt16;
  readonly #plc = new PitchPlc(16000);
  #closed = false;

  constructor(options: CodecOptions = {}) {
    if (options.sampleRate !== undefined && options.sampleRate !== 16000) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `G.722 takes 16000 Hz audio, not ${options.sampleRate}`,
      );
    }
    if (options.channels !== undefined && options.channels !== 1) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `G.722 is mono, not ${options.channels} channels`,
      );
    }
    const ptime = options.frameDuration ?? 20;
    if (!Number.isInteger(ptime) || ptime < 1 || ptime > 200) {
      throw new CodecError(
        'ERR_CODEC_INVALID_OPTION',
        `G.722 frame duration must be 1–200 ms, not ${ptime}`,
      );
    }
    this.frameDuration = ptime;
    this.frameSamples = ptime * 16;
    this.#encoded = new GrowableUint8(this.frameSamples / 2);
    this.#decoded = new GrowableInt16(this.frameSamples);
  }

  /** Encodes an even number of 16 kHz samples (any count; one octet per sample pair). */
  encode(pcm: Int16Array, output?: Uint8Array): Uint8Array {
    if (this.#closed) throw closedError(this.name);
    if (pcm.length % 2 !== 0) {
      throw new CodecError(
        'ERR_CODEC_INVALID_INPUT',
        `G.722 encodes sample pairs, got ${pcm.length} samples`,
      );
    }
    const bytes = pcm.length / 2;
    const out = output ? outputView(output, bytes, 'G.722 encode') : this.#encoded.view(bytes);
    this.#encoder.encode(pcm, out);
    return out;
  }

  decode(payload: Uint8Array, output?: Int16Array): Int16Array {
    if (this.#closed) throw closedError(this.name);
    const samples = payload.length * 2;
    const out = output ? outputView(output, samples, 'G.722 decode') : this.#decoded.view(samples);
    this.#decoder.decode(payload, out);
    this.#plc.receive(out);
    return out;
  }

  /**
   * Pitch-repetition concealment as for G.711. The ADPCM decoder state is not updated by the
   * concealed signal, so after a loss the decoder resynchronises within a few milliseconds
   * (G.722 Appendix III/IV specify more elaborate state updates).
   */
  conceal(samples: number, output?: Int16Array): Int16Array {
    if (this.#closed) throw closedError(this.name);
    checkSampleCount(samples);
    const out = output ? outputView(output, samples, 'G.722 conceal') : this.#decoded.view(samples);
    this.#plc.conceal(out, samples);
    return out;
  }

  reset(): void {
    this.#encoder.reset();
    this.#decoder.reset();
    this.#plc.reset();
  }

  close(): void {
    this.#closed = true;
  }
}
