import { CodecError } from './errors.js';

/** Checks a caller-provided output buffer and returns the part that receives `needed` items. */
export function outputView<T extends Int16Array | Uint8Array>(
  output: T,
  needed: number,
  what: string,
): T {
  if (output.length < needed) {
    throw new CodecError(
      'ERR_CODEC_BUFFER_TOO_SMALL',
      `${what} needs ${needed} elements, the output buffer holds ${output.length}`,
    );
  }
  return output.subarray(0, needed) as T;
}

/**
 * Checks that `out` holds the `needed` bytes `codec` encoded from `offset` (for `encodeInto`;
 * the message is built only when it fails: this runs for every frame).
 */
export function checkRoom(out: Uint8Array, offset: number, needed: number, codec: string): void {
  if (!(offset >= 0) || offset + needed > out.length) {
    throw new CodecError(
      'ERR_CODEC_BUFFER_TOO_SMALL',
      `${codec} encode needs ${needed} bytes at ${offset}, the output buffer holds ${out.length}`,
    );
  }
}

/** A reusable buffer that grows (rarely: only when a larger frame arrives) and never shrinks. */
export class GrowableInt16 {
  #buffer: Int16Array;
  #view: Int16Array;
  /** The buffer `#view` was cut from (it changes when the buffer grows). */
  #viewOf: Int16Array;
  constructor(initial: number) {
    this.#buffer = new Int16Array(initial);
    this.#view = this.#buffer.subarray(0, 0);
    this.#viewOf = this.#buffer;
  }

  /** The first `length` elements; growing keeps the current content (callers fill in steps). */
  view(length: number): Int16Array {
    if (length > this.#buffer.length) {
      const grown = new Int16Array(Math.max(length, this.#buffer.length * 2));
      grown.set(this.#buffer);
      this.#buffer = grown;
    }
    // Frames repeat their size: hand out the same view again instead of a new one per call.
    if (this.#viewOf !== this.#buffer || this.#view.length !== length) {
      this.#view = this.#buffer.subarray(0, length);
      this.#viewOf = this.#buffer;
    }
    return this.#view;
  }
}

/** Byte counterpart of `GrowableInt16`. */
export class GrowableUint8 {
  #buffer: Uint8Array;
  /**
   * Views of `#buffer` by length, made on first use: encoded frames of variable-rate codecs
   * (Opus) change length with every packet and would otherwise cost a new view each.
   */
  #views: (Uint8Array | undefined)[] = [];
  constructor(initial: number) {
    this.#buffer = new Uint8Array(initial);
  }

  /** The first `length` bytes; growing keeps the current content. */
  view(length: number): Uint8Array {
    if (length > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(length, this.#buffer.length * 2));
      grown.set(this.#buffer);
      this.#buffer = grown;
      this.#views = [];
    }
    let view = this.#views[length];
    if (view === undefined) view = this.#views[length] = this.#buffer.subarray(0, length);
    return view;
  }
}

/** Throws the standard error for a method called after `close()`. */
export function closedError(name: string): CodecError {
  return new CodecError('ERR_CODEC_CLOSED', `${name} codec is closed`);
}
