/**
 * `SipStreamFramer`: cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3: the header
 * section ends at the first empty line, the body is exactly Content-Length bytes, missing
 * Content-Length means 0) and reports RFC 5626 §4.4.1 keep-alives: CRLFCRLF is a `ping`, a lone
 * CRLF a `pong`. A lone CRLF is reported as soon as it arrives, so a ping split between two
 * segments shows up as two pongs.
 *
 * ```ts
 * const framer = new SipStreamFramer();
 * socket.on('data', (chunk) => {
 *   for (const item of framer.push(chunk)) {
 *     if (item.kind === 'message') handle(item.message);
 *     else if (item.kind === 'ping') socket.write('\r\n');
 *     else if (item.kind === 'error' && item.fatal) socket.destroy();
 *   }
 * });
 * ```
 *
 * Limits: a header section or a whole message over `maxMessageSize` (and buffered data over
 * `maxBufferedBytes`) is a fatal error, since the stream cannot be resynchronised; so is a bad
 * Content-Length. A message that frames correctly but fails to parse is a non-fatal error item.
 */
import { SipParseError, badRequest } from './errors.js';
import { bytesWithin, resolveLimits, type ParseLimits } from './limits.js';
import type { SipRequest, SipResponse } from './message.js';
import { parseMessage } from './parser.js';

export type SipStreamItem =
  | {
      readonly kind: 'message';
      readonly message: SipRequest | SipResponse;
      /** The exact bytes of the message. */
      readonly bytes: Uint8Array;
    }
  | { readonly kind: 'ping' }
  | { readonly kind: 'pong' }
  | {
      readonly kind: 'error';
      readonly error: SipParseError;
      /** The bytes that were given up on (the frame, or the buffered data when fatal). */
      readonly bytes: Uint8Array;
      /** Framing is lost: close the connection. */
      readonly fatal: boolean;
    };

export interface FramerOptions {
  readonly limits?: Partial<ParseLimits>;
  /** Most bytes held while waiting for the rest of a message. Default: `maxMessageSize`. */
  readonly maxBufferedBytes?: number;
}

const CR = 13;
const LF = 10;
const EMPTY = new Uint8Array(0);

export class SipStreamFramer {
  readonly #limits: ParseLimits;
  readonly #maxBuffered: number;
  #buffer: Uint8Array = EMPTY;
  /** Where to resume looking for the end of the header section. */
  #scanFrom = 0;
  #failed = false;

  constructor(options: FramerOptions = {}) {
    this.#limits = resolveLimits(options.limits);
    this.#maxBuffered = options.maxBufferedBytes ?? this.#limits.maxMessageSize;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** True after a fatal error; further input is ignored until `reset()`. */
  get failed(): boolean {
    return this.#failed;
  }

  reset(): void {
    this.#buffer = EMPTY;
    this.#scanFrom = 0;
    this.#failed = false;
  }

  /** Adds bytes from the stream; returns the items completed by them, in order. */
  push(chunk: Uint8Array): SipStreamItem[] {
    const items: SipStreamItem[] = [];
    if (this.#failed || chunk.length === 0) return items;
    // Never write into a buffer a message may still view: always append into new memory.
    // (A copy: Node's Buffer#slice would share memory with the caller's chunk.)
    if (this.#buffer.length === 0) this.#buffer = Uint8Array.prototype.slice.call(chunk);
    else {
      const next = new Uint8Array(this.#buffer.length + chunk.length);
      next.set(this.#buffer);
      next.set(chunk, this.#buffer.length);
      this.#buffer = next;
    }
    for (;;) {
      const buf = this.#buffer;
      if (buf.length === 0) break;
      // Keep-alives (RFC 5626 §4.4.1) and stray CRLFs between messages (RFC 3261 §7.5).
      if (buf[0] === CR || buf[0] === LF) {
        if (buf.length >= 4 && buf[0] === CR && buf[1] === LF && buf[2] === CR && buf[3] === LF) {
          items.push({ kind: 'ping' });
          this.#consume(4);
          continue;
        }
        if (buf.length >= 2 && buf[0] === CR && buf[1] === LF) {
          if (buf.length >= 3 && buf[2] === CR && buf.length === 3) break; // maybe a ping
          items.push({ kind: 'pong' });
          this.#consume(2);
          continue;
        }
        if (buf[0] === LF) {
          this.#consume(1);
          continue;
        }
        if (buf.length === 1) break;
        this.#consume(1); // a lone CR
        continue;
      }
      const frame = this.#nextFrame(items);
      if (frame === undefined) break;
    }
    if (!this.#failed && this.#buffer.length > this.#maxBuffered) {
      this.#fail(
        items,
        new SipParseError(
          'BUFFER_LIMIT',
          `more than maxBufferedBytes (${this.#maxBuffered}) bytes buffered without a complete message`,
          {
            offset: bytesWithin(this.#maxBuffered),
            limit: 'maxBufferedBytes',
            response: TOO_LARGE,
          },
        ),
      );
    }
    return items;
  }

  /** Frames one message at the start of the buffer; `undefined` when more bytes are needed. */
  #nextFrame(items: SipStreamItem[]): true | undefined {
    const buf = this.#buffer;
    const headEnd = findHeadEnd(buf, this.#scanFrom);
    if (headEnd === -1) {
      this.#scanFrom = Math.max(0, buf.length - 3);
      if (buf.length > this.#limits.maxMessageSize) {
        this.#fail(
          items,
          new SipParseError(
            'MESSAGE_TOO_LARGE',
            `no end of headers within maxMessageSize (${this.#limits.maxMessageSize} bytes)`,
            {
              offset: bytesWithin(this.#limits.maxMessageSize),
              limit: 'maxMessageSize',
              response: TOO_LARGE,
            },
          ),
        );
      }
      return undefined;
    }
    let contentLength: number;
    try {
      contentLength = findContentLength(buf, headEnd.head);
    } catch (e) {
      this.#fail(items, e as SipParseError);
      return undefined;
    }
    const total = headEnd.body + contentLength;
    if (total > this.#limits.maxMessageSize) {
      this.#fail(
        items,
        new SipParseError(
          'MESSAGE_TOO_LARGE',
          `Content-Length ${contentLength} makes the message ${total} bytes, over maxMessageSize (${this.#limits.maxMessageSize})`,
          {
            offset: bytesWithin(this.#limits.maxMessageSize),
            limit: 'maxMessageSize',
            response: TOO_LARGE,
          },
        ),
      );
      return undefined;
    }
    if (buf.length < total) {
      this.#scanFrom = 0;
      // Remember nothing: the head is found again quickly once the body is complete.
      return undefined;
    }
    const bytes = buf.subarray(0, total);
    this.#consume(total);
    try {
      items.push({ kind: 'message', message: parseMessage(bytes, this.#limits), bytes });
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      items.push({ kind: 'error', error: e, bytes, fatal: false });
    }
    return true;
  }

  #consume(n: number): void {
    this.#buffer = n >= this.#buffer.length ? EMPTY : this.#buffer.subarray(n);
    this.#scanFrom = 0;
  }

  #fail(items: SipStreamItem[], error: SipParseError): void {
    items.push({ kind: 'error', error, bytes: this.#buffer, fatal: true });
    this.#buffer = EMPTY;
    this.#failed = true;
  }
}

const TOO_LARGE = { status: 513, reason: 'Message Too Large' } as const;

/** Finds the empty line ending the header section (CRLF CRLF, or bare LFs). */
function findHeadEnd(buf: Uint8Array, from: number): { head: number; body: number } | -1 {
  let i = from;
  for (;;) {
    const lf = buf.indexOf(LF, i);
    if (lf === -1) return -1;
    // The line after this LF is empty when it is CRLF or LF.
    if (buf[lf + 1] === LF) return { head: lf + 1, body: lf + 2 };
    if (buf[lf + 1] === CR && buf[lf + 2] === LF) return { head: lf + 1, body: lf + 3 };
    i = lf + 1;
  }
}

/** Reads Content-Length (or `l`) from the header section; 0 when absent (§18.3). */
function findContentLength(buf: Uint8Array, headEnd: number): number {
  let value = -1;
  let i = buf.indexOf(LF) + 1; // skip the start line
  while (i > 0 && i < headEnd) {
    const lf = buf.indexOf(LF, i);
    const end = lf === -1 || lf > headEnd ? headEnd : lf;
    const found = contentLengthName(buf, i, end);
    if (found !== -1) {
      let j = found;
      while (j < end && (buf[j] === 32 || buf[j] === 9)) j++;
      let v = 0;
      const start = j;
      while (j < end && buf[j]! >= 48 && buf[j]! <= 57 && j - start < 10)
        v = v * 10 + (buf[j++]! - 48);
      while (j < end && (buf[j] === 32 || buf[j] === 9 || buf[j] === CR)) j++;
      if (j === start || j !== end || (value !== -1 && value !== v)) {
        throw new SipParseError(
          'BAD_CONTENT_LENGTH',
          'missing, invalid or conflicting Content-Length',
          {
            offset: i,
            header: 'Content-Length',
            response: badRequest('Bad Content-Length'),
          },
        );
      }
      value = v;
    }
    i = end + 1;
  }
  return value === -1 ? 0 : value;
}

const CONTENT_LENGTH = 'content-length';

/** When the line at `start` is a Content-Length header, the offset after its colon; else -1. */
function contentLengthName(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  const first = buf[i]! | 0x20;
  if (first !== 99 && first !== 108) return -1;
  if (first === 108) i++;
  else {
    for (let k = 0; k < CONTENT_LENGTH.length; k++, i++) {
      if (i >= end || (buf[i]! | 0x20) !== CONTENT_LENGTH.charCodeAt(k)) return -1;
    }
  }
  while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
  return buf[i] === 58 ? i + 1 : -1;
}
