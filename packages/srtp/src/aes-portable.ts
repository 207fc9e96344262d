/**
 * AES encryption (FIPS 197) in plain TypeScript with 32-bit T-tables, for where Node's native
 * AES is not available (browsers). SRTP needs only the forward cipher: counter modes encrypt
 * counter blocks. Table lookups are not constant-time; the counter blocks it encrypts are public
 * (derived from SSRC and index), only the round keys are secret.
 */

/** S-box and T-tables: T0[x] = (2·S[x], S[x], S[x], 3·S[x]) as a big-endian word, Tn = T0 >>> 8n. */
const SBOX = new Uint8Array(256);
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);

{
  // FIPS 197 §5.1.1: S[x] = affine(x^-1) in GF(2^8), via powers of the generator 3.
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0); // x·3
    x &= 0xff;
  }
  for (let x = 0; x < 256; x++) {
    const inverse = x === 0 ? 0 : exp[(255 - log[x]!) % 255]!;
    let s = inverse;
    for (let r = 1; r <= 4; r++) s ^= ((inverse << r) | (inverse >>> (8 - r))) & 0xff;
    SBOX[x] = s ^ 0x63;
  }
  for (let x = 0; x < 256; x++) {
    const s = SBOX[x]!;
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x11b : 0)) & 0xff;
    const word = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
    T0[x] = word;
    T1[x] = (word >>> 8) | (word << 24);
    T2[x] = (word >>> 16) | (word << 16);
    T3[x] = (word >>> 24) | (word << 8);
  }
}

function subWord(w: number): number {
  return (
    (SBOX[w >>> 24]! << 24) |
    (SBOX[(w >>> 16) & 255]! << 16) |
    (SBOX[(w >>> 8) & 255]! << 8) |
    SBOX[w & 255]!
  );
}

/** An AES key schedule (128, 192 or 256 bits) and block encryption. */
export class PortableAes {
  readonly #roundKeys: Int32Array;
  readonly #rounds: number;

  constructor(key: Uint8Array) {
    // FIPS 197 §5.2 key expansion.
    const nk = key.length >>> 2;
    this.#rounds = nk + 6;
    const w = new Int32Array(4 * (this.#rounds + 1));
    for (let i = 0; i < nk; i++) {
      w[i] =
        (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
    }
    let rcon = 1;
    for (let i = nk; i < w.length; i++) {
      let t = w[i - 1]!;
      if (i % nk === 0) {
        t = subWord((t << 8) | (t >>> 24)) ^ (rcon << 24);
        rcon = ((rcon << 1) ^ (rcon & 0x80 ? 0x11b : 0)) & 0xff;
      } else if (nk > 6 && i % nk === 4) {
        t = subWord(t);
      }
      w[i] = w[i - nk]! ^ t;
    }
    this.#roundKeys = w;
  }

  /** Encrypts the whole 16-octet blocks of `input` into `output` (same length; may be the same array). */
  encryptBlocks(input: Uint8Array, output: Uint8Array): void {
    const rk = this.#roundKeys;
    const last = this.#rounds * 4;
    for (let at = 0; at + 16 <= input.length; at += 16) {
      let s0 = readWord(input, at) ^ rk[0]!;
      let s1 = readWord(input, at + 4) ^ rk[1]!;
      let s2 = readWord(input, at + 8) ^ rk[2]!;
      let s3 = readWord(input, at + 12) ^ rk[3]!;
      for (let k = 4; k < last; k += 4) {
        const t0 =
          T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 255]! ^ T2[(s2 >>> 8) & 255]! ^ T3[s3 & 255]! ^ rk[k]!;
        const t1 =
          T0[s1 >>> 24]! ^
          T1[(s2 >>> 16) & 255]! ^
          T2[(s3 >>> 8) & 255]! ^
          T3[s0 & 255]! ^
          rk[k + 1]!;
        const t2 =
          T0[s2 >>> 24]! ^
          T1[(s3 >>> 16) & 255]! ^
          T2[(s0 >>> 8) & 255]! ^
          T3[s1 & 255]! ^
          rk[k + 2]!;
        const t3 =
          T0[s3 >>> 24]! ^
          T1[(s0 >>> 16) & 255]! ^
          T2[(s1 >>> 8) & 255]! ^
          T3[s2 & 255]! ^
          rk[k + 3]!;
        s0 = t0;
        s1 = t1;
        s2 = t2;
        s3 = t3;
      }
      // Final round: SubBytes, ShiftRows, AddRoundKey (no MixColumns).
      writeWord(output, at, finalWord(s0, s1, s2, s3) ^ rk[last]!);
      writeWord(output, at + 4, finalWord(s1, s2, s3, s0) ^ rk[last + 1]!);
      writeWord(output, at + 8, finalWord(s2, s3, s0, s1) ^ rk[last + 2]!);
      writeWord(output, at + 12, finalWord(s3, s0, s1, s2) ^ rk[last + 3]!);
    }
  }
}

function finalWord(a: number, b: number, c: number, d: number): number {
  return (
    (SBOX[a >>> 24]! << 24) |
    (SBOX[(b >>> 16) & 255]! << 16) |
    (SBOX[(c >>> 8) & 255]! << 8) |
    SBOX[d & 255]!
  );
}

function readWord(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function writeWord(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}
