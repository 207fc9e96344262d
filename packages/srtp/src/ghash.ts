/**
 * GHASH (NIST SP 800-38D §6.4) in plain TypeScript with one 256-entry table per octet position
 * ("8-bit tables", 64 KiB per key): Y·H is the XOR of 16 independent lookups, no shifts and no
 * reduction at run time, which lets the CPU overlap them. A field element is four 32-bit words,
 * big-endian, where the most significant bit of word 0 is the coefficient of x^0 (GCM's
 * reflected bit order).
 */
export class Ghash {
  /** T[p][b] = (octet b at position p) · H, four words per entry, position-major. */
  readonly #t = new Int32Array(16 * 256 * 4);
  #z0 = 0;
  #z1 = 0;
  #z2 = 0;
  #z3 = 0;
  #view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(h: Uint8Array) {
    const t = this.#t;
    // V_k = H · x^k for k = 0..127: multiplying by x shifts right one bit and reduces by
    // x^128 = x^7 + x^2 + x + 1 (0xe1 || 0^120).
    let v0 = readWord(h, 0);
    let v1 = readWord(h, 4);
    let v2 = readWord(h, 8);
    let v3 = readWord(h, 12);
    for (let k = 0; k < 128; k++) {
      // bit k is octet k >> 3, bit 0x80 >> (k & 7): the single-bit entry of that table
      const entry = ((k >>> 3) * 256 + (0x80 >>> (k & 7))) * 4;
      t[entry] = v0;
      t[entry + 1] = v1;
      t[entry + 2] = v2;
      t[entry + 3] = v3;
      const carry = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 | 0 : 0);
    }
    // Every other entry by linearity: T[p][hi | lo] = T[p][hi] ^ T[p][lo].
    for (let p = 0; p < 16; p++) {
      const base = p * 1024;
      for (let b = 2; b < 256; b <<= 1) {
        for (let low = 1; low < b; low++) {
          const to = base + (b + low) * 4;
          const hi = base + b * 4;
          const lo = base + low * 4;
          t[to] = t[hi]! ^ t[lo]!;
          t[to + 1] = t[hi + 1]! ^ t[lo + 1]!;
          t[to + 2] = t[hi + 2]! ^ t[lo + 2]!;
          t[to + 3] = t[hi + 3]! ^ t[lo + 3]!;
        }
      }
    }
  }

  /** Starts a new hash (Y_0 = 0). */
  reset(): void {
    this.#z0 = this.#z1 = this.#z2 = this.#z3 = 0;
  }

  /** Absorbs `data[start..end)`, zero-padding the last partial block (GCM pads A and C apart). */
  update(data: Uint8Array, start: number, end: number): void {
    let view = this.#view;
    if (view.buffer !== data.buffer) view = this.#view = new DataView(data.buffer);
    let at = data.byteOffset + start;
    const whole = data.byteOffset + end - 16;
    while (at <= whole) {
      this.#block(
        view.getInt32(at),
        view.getInt32(at + 4),
        view.getInt32(at + 8),
        view.getInt32(at + 12),
      );
      at += 16;
    }
    const rest = data.byteOffset + end - at;
    if (rest > 0) {
      const pad = PAD;
      pad.fill(0);
      pad.set(data.subarray(at - data.byteOffset, end));
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

  /** Y = (Y XOR X) · H as the XOR of one table entry per octet of Y XOR X. */
  #block(x0: number, x1: number, x2: number, x3: number): void {
    const t = this.#t;
    x0 ^= this.#z0;
    x1 ^= this.#z1;
    x2 ^= this.#z2;
    x3 ^= this.#z3;
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    let k = (x0 >>> 24) << 2;
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 1024 + (((x0 >>> 16) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 2048 + (((x0 >>> 8) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 3072 + ((x0 & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 4096 + ((x1 >>> 24) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 5120 + (((x1 >>> 16) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 6144 + (((x1 >>> 8) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 7168 + ((x1 & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 8192 + ((x2 >>> 24) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 9216 + (((x2 >>> 16) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 10240 + (((x2 >>> 8) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 11264 + ((x2 & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 12288 + ((x3 >>> 24) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 13312 + (((x3 >>> 16) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 14336 + (((x3 >>> 8) & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    k = 15360 + ((x3 & 255) << 2);
    a ^= t[k]!;
    b ^= t[k + 1]!;
    c ^= t[k + 2]!;
    d ^= t[k + 3]!;
    this.#z0 = a;
    this.#z1 = b;
    this.#z2 = c;
    this.#z3 = d;
  }
}

const PAD = new Uint8Array(16);

function readWord(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function writeWord(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}
