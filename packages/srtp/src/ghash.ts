/**
 * GHASH (NIST SP 800-38D §6.4) in plain TypeScript with Shoup's 8-bit tables: 4 KiB per key,
 * 16 table steps per 16-octet block. A field element is four 32-bit words, big-endian, where
 * the most significant bit of word 0 is the coefficient of x^0 (GCM's reflected bit order).
 */
export class Ghash {
  /** M[b] = (b in octet 0) · H, four words per entry. */
  readonly #m = new Int32Array(256 * 4);
  #z0 = 0;
  #z1 = 0;
  #z2 = 0;
  #z3 = 0;

  constructor(h: Uint8Array) {
    const m = this.#m;
    // M[0x80] = H (x^0); M[0x80 >> k] = H · x^k; the rest by linearity.
    let v0 = readWord(h, 0);
    let v1 = readWord(h, 4);
    let v2 = readWord(h, 8);
    let v3 = readWord(h, 12);
    for (let bit = 0x80; bit > 0; bit >>>= 1) {
      m[bit * 4] = v0;
      m[bit * 4 + 1] = v1;
      m[bit * 4 + 2] = v2;
      m[bit * 4 + 3] = v3;
      // multiply by x: shift right one bit, reduce by x^128 = x^7 + x^2 + x + 1 (0xe1 || 0^120)
      const carry = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 | 0 : 0);
    }
    for (let b = 2; b < 256; b <<= 1) {
      for (let low = 1; low < b; low++) {
        for (let w = 0; w < 4; w++) m[(b + low) * 4 + w] = m[b * 4 + w]! ^ m[low * 4 + w]!;
      }
    }
  }

  /** Starts a new hash (Y_0 = 0). */
  reset(): void {
    this.#z0 = this.#z1 = this.#z2 = this.#z3 = 0;
  }

  /** Absorbs `data[start..end)`, zero-padding the last partial block (GCM pads A and C apart). */
  update(data: Uint8Array, start: number, end: number): void {
    let at = start;
    while (at + 16 <= end) {
      this.#block(
        readWord(data, at),
        readWord(data, at + 4),
        readWord(data, at + 8),
        readWord(data, at + 12),
      );
      at += 16;
    }
    if (at < end) {
      const pad = PAD;
      pad.fill(0);
      pad.set(data.subarray(at, end));
      this.#block(readWord(pad, 0), readWord(pad, 4), readWord(pad, 8), readWord(pad, 12));
    }
  }

  /** Absorbs the final length block: bit lengths of A and C as two 64-bit numbers. */
  updateLengths(aadOctets: number, textOctets: number): void {
    const aBits = aadOctets * 8;
    const cBits = textOctets * 8;
    this.#block(
      Math.floor(aBits / 0x100000000) | 0,
      aBits | 0,
      Math.floor(cBits / 0x100000000) | 0,
      cBits | 0,
    );
  }

  /** Writes S XOR mask[m..m+16) to out[at..] (the GCM tag when the mask is E(K, J0)). */
  finish(mask: Uint8Array, m: number, out: Uint8Array, at: number): void {
    writeWord(out, at, this.#z0 ^ readWord(mask, m));
    writeWord(out, at + 4, this.#z1 ^ readWord(mask, m + 4));
    writeWord(out, at + 8, this.#z2 ^ readWord(mask, m + 8));
    writeWord(out, at + 12, this.#z3 ^ readWord(mask, m + 12));
  }

  /** Y = (Y XOR X) · H, Horner over the octets from the last (low octet of x3) to the first. */
  #block(x0: number, x1: number, x2: number, x3: number): void {
    const m = this.#m;
    x0 ^= this.#z0;
    x1 ^= this.#z1;
    x2 ^= this.#z2;
    x3 ^= this.#z3;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    let word = x3;
    for (let n = 0; n < 16; n++) {
      if (n === 4) word = x2;
      else if (n === 8) word = x1;
      else if (n === 12) word = x0;
      const k = (word & 0xff) << 2;
      word >>>= 8;
      // Z = Z · x^8: shift right 8 bits, fold the 8 bits shifted out back in.
      const out = z3 & 0xff;
      z3 = (z3 >>> 8) | (z2 << 24);
      z2 = (z2 >>> 8) | (z1 << 24);
      z1 = (z1 >>> 8) | (z0 << 24);
      z0 = (z0 >>> 8) ^ REDUCE[out]!;
      z0 ^= m[k]!;
      z1 ^= m[k + 1]!;
      z2 ^= m[k + 2]!;
      z3 ^= m[k + 3]!;
    }
    this.#z0 = z0;
    this.#z1 = z1;
    this.#z2 = z2;
    this.#z3 = z3;
  }
}

const PAD = new Uint8Array(16);

/** REDUCE[b]: what the 8 bits `b` shifted out of word 3 add to word 0 (x^128 ≡ 0xe1 || 0^120). */
const REDUCE = (() => {
  const table = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    let v0 = 0;
    let v3 = b;
    for (let i = 0; i < 8; i++) {
      const carry = v3 & 1;
      v3 >>>= 1;
      v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 | 0 : 0);
    }
    table[b] = v0;
  }
  return table;
})();

function readWord(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function writeWord(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}
