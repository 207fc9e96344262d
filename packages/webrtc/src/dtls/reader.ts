// Bounds-checked big-endian reading and writing for DTLS structures (RFC 5246 §4 vectors).
import { WebRtcError } from '../errors.js';

export class ByteReader {
  readonly #bytes: Uint8Array;
  #offset: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#offset = offset;
    this.#end = end;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #need(n: number, what: string): void {
    if (this.#offset + n > this.#end) {
      throw new WebRtcError(
        'DTLS_MALFORMED',
        `truncated ${what}: need ${n} bytes, have ${this.remaining}`,
      );
    }
  }

  u8(what = 'uint8'): number {
    this.#need(1, what);
    return this.#bytes[this.#offset++]!;
  }
  u16(what = 'uint16'): number {
    this.#need(2, what);
    const v = (this.#bytes[this.#offset]! << 8) | this.#bytes[this.#offset + 1]!;
    this.#offset += 2;
    return v;
  }
  u24(what = 'uint24'): number {
    this.#need(3, what);
    const b = this.#bytes;
    const v = (b[this.#offset]! << 16) | (b[this.#offset + 1]! << 8) | b[this.#offset + 2]!;
    this.#offset += 3;
    return v;
  }
  u48(what = 'uint48'): number {
    const hi = this.u16(what);
    const lo = this.u16(what) * 65536 + this.u16(what);
    return hi * 2 ** 32 + lo;
  }
  /** A view of the next n bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what);
    const v = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return v;
  }
  /** An opaque vector with a 1-, 2- or 3-byte length prefix. */
  vector(lengthBytes: 1 | 2 | 3, what: string): Uint8Array {
    const n =
      lengthBytes === 1 ? this.u8(what) : lengthBytes === 2 ? this.u16(what) : this.u24(what);
    return this.bytes(n, what);
  }
  end(what: string): void {
    if (this.remaining !== 0) {
      throw new WebRtcError(
        'DTLS_MALFORMED',
        `${this.remaining} unexpected trailing bytes in ${what}`,
      );
    }
  }
}

/** A growable writer; handshake messages are small and built once per flight. */
export class ByteWriter {
  #buffer = new Uint8Array(256);
  #length = 0;

  #grow(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
  }

  get length(): number {
    return this.#length;
  }
  u8(v: number): this {
    this.#grow(1);
    this.#buffer[this.#length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }
  u24(v: number): this {
    return this.u8(v >> 16)
      .u8(v >> 8)
      .u8(v);
  }
  u48(v: number): this {
    const hi = Math.floor(v / 2 ** 32);
    return this.u16(hi)
      .u16(Math.floor(v / 65536) & 0xffff)
      .u16(v & 0xffff);
  }
  bytes(b: Uint8Array): this {
    this.#grow(b.length);
    this.#buffer.set(b, this.#length);
    this.#length += b.length;
    return this;
  }
  vector(lengthBytes: 1 | 2 | 3, b: Uint8Array): this {
    if (lengthBytes === 1) this.u8(b.length);
    else if (lengthBytes === 2) this.u16(b.length);
    else this.u24(b.length);
    return this.bytes(b);
  }
  /** Writes a length-prefixed block whose content `fill` writes. */
  block(lengthBytes: 1 | 2 | 3, fill: (w: ByteWriter) => void): this {
    const inner = new ByteWriter();
    fill(inner);
    return this.vector(lengthBytes, inner.finish());
  }
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}
