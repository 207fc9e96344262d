/**
 * HMAC-SHA1 (RFC 2104, FIPS 180-4) in plain TypeScript over pre-keyed states. The inner and
 * outer pad blocks are hashed once per key; each message then costs only its own compressions,
 * with no native call and no allocation. Node's createHmac or hash.copy() would cost several
 * microseconds of call overhead per packet, more than the hashing itself.
 */
export class HmacSha1 {
  readonly #innerPad = new Uint8Array(64);
  readonly #innerInit = new Int32Array(5);
  readonly #outerInit = new Int32Array(5);
  readonly #h = new Int32Array(5);
  readonly #w = new Int32Array(80);
  readonly #block = new Uint8Array(64);
  #blockFill = 0;
  #length = 0;

  constructor(key: Uint8Array) {
    let k = key;
    if (k.length > 64) {
      const digest = new Uint8Array(20);
      const plain = new HmacSha1(new Uint8Array(0));
      plain.#h.set(SHA1_INIT);
      plain.#blockFill = 0;
      plain.#length = 0;
      plain.update(k, 0, k.length);
      plain.#finishHash(digest);
      k = digest;
    }
    const pad = new Uint8Array(64);
    pad.set(k);
    for (let i = 0; i < 64; i++) pad[i]! ^= 0x36;
    this.#innerPad.set(pad);
    this.#h.set(SHA1_INIT);
    this.#compress(pad, 0);
    this.#innerInit.set(this.#h);
    for (let i = 0; i < 64; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.#h.set(SHA1_INIT);
    this.#compress(pad, 0);
    this.#outerInit.set(this.#h);
    this.start();
  }

  /** Begins a new message. */
  start(): void {
    this.#h.set(this.#innerInit);
    this.#blockFill = 0;
    this.#length = 64;
  }

  /** Adds `data[start..end)` to the message. */
  update(data: Uint8Array, start: number, end: number): void {
    this.#length += end - start;
    let at = start;
    if (this.#blockFill > 0) {
      const take = Math.min(64 - this.#blockFill, end - at);
      this.#block.set(data.subarray(at, at + take), this.#blockFill);
      this.#blockFill += take;
      at += take;
      if (this.#blockFill < 64) return;
      this.#compress(this.#block, 0);
      this.#blockFill = 0;
    }
    while (at + 64 <= end) {
      this.#compress(data, at);
      at += 64;
    }
    if (at < end) {
      this.#block.set(data.subarray(at, end), 0);
      this.#blockFill = end - at;
    }
  }

  /** Adds a 32-bit big-endian number (the SRTP rollover counter) to the message. */
  updateU32(value: number): void {
    const b = this.#scratch;
    b[0] = value >>> 24;
    b[1] = value >>> 16;
    b[2] = value >>> 8;
    b[3] = value;
    this.update(b, 0, 4);
  }
  readonly #scratch = new Uint8Array(20);

  /** The key XOR ipad block (RFC 2104), for hashing the inner message elsewhere. */
  get innerPadBlock(): Uint8Array {
    return this.#innerPad;
  }

  /** Finishes the MAC and writes its first `length` octets to `out` at `offset`. */
  finish(out: Uint8Array, offset: number, length: number): void {
    const inner = this.#scratch;
    this.#finishHash(inner);
    this.finishOuter(inner, out, offset, length);
  }

  /**
   * Completes the MAC from the inner hash SHA1((key XOR ipad) || message), computed by the
   * caller, and writes its first `length` octets to `out` at `offset`.
   */
  finishOuter(innerDigest: Uint8Array, out: Uint8Array, offset: number, length: number): void {
    const inner = innerDigest;
    this.#h.set(this.#outerInit);
    this.#blockFill = 0;
    this.#length = 64;
    this.update(inner, 0, 20);
    const digest = this.#digest;
    this.#finishHash(digest);
    for (let i = 0; i < length; i++) out[offset + i] = digest[i]!;
  }
  readonly #digest = new Uint8Array(20);

  /** Finishes the MAC and compares its first `length` octets with `tag[offset..]`, in constant time. */
  verify(tag: Uint8Array, offset: number, length: number): boolean {
    const mac = this.#macOut;
    this.finish(mac, 0, length);
    return this.#equal(mac, tag, offset, length);
  }

  /** Like `verify`, from an inner hash computed by the caller (see `finishOuter`). */
  verifyOuter(innerDigest: Uint8Array, tag: Uint8Array, offset: number, length: number): boolean {
    const mac = this.#macOut;
    this.finishOuter(innerDigest, mac, 0, length);
    return this.#equal(mac, tag, offset, length);
  }

  #equal(mac: Uint8Array, tag: Uint8Array, offset: number, length: number): boolean {
    let diff = 0;
    for (let i = 0; i < length; i++) diff |= mac[i]! ^ tag[offset + i]!;
    return diff === 0;
  }
  readonly #macOut = new Uint8Array(20);

  #finishHash(out: Uint8Array): void {
    const bitLength = this.#length * 8;
    const block = this.#block;
    let fill = this.#blockFill;
    block[fill++] = 0x80;
    if (fill > 56) {
      block.fill(0, fill, 64);
      this.#compress(block, 0);
      fill = 0;
    }
    block.fill(0, fill, 56);
    const high = Math.floor(bitLength / 0x100000000);
    block[56] = high >>> 24;
    block[57] = high >>> 16;
    block[58] = high >>> 8;
    block[59] = high;
    block[60] = bitLength >>> 24;
    block[61] = bitLength >>> 16;
    block[62] = bitLength >>> 8;
    block[63] = bitLength;
    this.#compress(block, 0);
    const h = this.#h;
    for (let i = 0; i < 5; i++) {
      const v = h[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = v >>> 16;
      out[i * 4 + 2] = v >>> 8;
      out[i * 4 + 3] = v;
    }
  }

  /** FIPS 180-4 §6.1.2 on the 64-octet block at `data[at..]`. */
  #compress(data: Uint8Array, at: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++, at += 4) {
      w[i] = (data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    const h = this.#h;
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    let i = 0;
    for (; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w[i]! + 0x5a827999) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[i]! + 0x6ed9eba1) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (; i < 60; i++) {
      const t =
        (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w[i]! - 0x70e44324) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[i]! - 0x359d3e2a) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
  }
}

const SHA1_INIT = Int32Array.of(
  0x67452301,
  0xefcdab89 | 0,
  0x98badcfe | 0,
  0x10325476,
  0xc3d2e1f0 | 0,
);
