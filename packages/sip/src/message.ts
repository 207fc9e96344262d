/**
 * The SIP message model (RFC 3261 §7): {@link SipRequest} and {@link SipResponse}.
 *
 * A parsed message is a view over the bytes it came from: headers are {@link HeaderField}s that
 * remember where their line was, values are decoded on first access, and typed accessors
 * (`via`, `from`, `cseq`, ...) parse on first access and cache. Mutations (`setHeader`,
 * `appendHeader`, `prependVia`, `setBody`, ...) replace only the fields they touch; `serialize()`
 * copies every untouched line byte for byte, in its original order.
 *
 * Typed accessors return `undefined` when the header is absent and throw {@link SipParseError}
 * (`BAD_HEADER_VALUE`, with `response` 400) when it is malformed. `validateRequest()` runs all
 * of them once, for servers that want a verdict up front.
 */
import { TOKEN_BYTE, isToken } from './chars.js';
import { SipInputError, SipParseError, badRequest } from './errors.js';
import {
  HEADER_KEYS,
  HEADER_NAMES,
  canonicalHeaderName,
  headerId,
  headerKey,
} from './header-names.js';
import {
  type AuthValue,
  type CSeq,
  type ContactValue,
  type EventValue,
  type MediaType,
  type NameAddr,
  type ProductToken,
  type RAck,
  type RetryAfter,
  type Replaces,
  type SessionExpires,
  type Via,
  parseAuth,
  parseCSeq,
  parseCallId,
  parseContact,
  parseEvent,
  parseMediaType,
  parseMediaTypeList,
  parseNameAddr,
  parseNameAddrList,
  parseProducts,
  parseRAck,
  parseReplaces,
  parseRetryAfter,
  parseSessionExpires,
  parseTokenList,
  parseUint,
  parseVia,
} from './header-values.js';
import {
  hotAddress,
  hotCSeq,
  hotCallId,
  hotVia,
  scanCSeq,
  scanCallId,
  scanNameAddr,
  scanVia,
  type Scanner,
} from './header-scan.js';
import { serialize } from './serializer.js';
import { decodeUtf8, encodeUtf8, hasNonAscii } from './text.js';
import type { Uri } from './uri.js';

/** The bytes a message was parsed from and its decoded header section. @internal */
export interface MessageSource {
  readonly bytes: Uint8Array;
  /** The message decoded one char per byte; `text[0]` is `bytes[base]`. */
  readonly text: string;
  readonly base: number;
  /** The message is ASCII: `text` holds exactly its bytes. Else `text` is its latin1 decoding. */
  readonly ascii: boolean;
  /**
   * Where the WebAssembly scanner found the parts of the hot headers (see `HOT_VIA` in
   * header-scan-wasm.ts): its live table until the next scan, then a copy when a value is still
   * to be built from it; `undefined` when the TypeScript loop scanned the message or every value
   * is built.
   */
  hot: HotRecords | undefined;
  /**
   * The typed values of the hot headers' first lines once built from `hot` (see `hotVia` in
   * header-scan.ts), and the value start of the line each came from (-1 until built): shared by
   * the message's accessors, its generic header path and its clones.
   */
  hotVia: Via[] | undefined;
  hotFrom: NameAddr | undefined;
  hotTo: NameAddr | undefined;
  hotCallId: string | undefined;
  hotCSeq: CSeq | undefined;
  hotViaAt: number;
  hotFromAt: number;
  hotToAt: number;
  hotCallIdAt: number;
  hotCSeqAt: number;
}

/** The scanner's hot-header records (its table, or a copy of their part of it). @internal */
export type HotRecords = Int32Array | number[];

/** Anything that turns into a header value: a string or a typed value with `toString()`. */
export type HeaderValue = string | { toString(): string };

/**
 * One header line. Immutable: mutations on the message replace fields. `value` is the value with
 * folding unfolded and surrounding whitespace removed; untouched fields serialise from their
 * original bytes.
 */
export class HeaderField {
  /** The name as written (compact forms stay compact). */
  readonly name: string;
  /** Lookup key: the full name in lower case (`v` → `via`). */
  readonly key: string;
  /** @internal Where the line came from; `undefined` for fields created in code. */
  readonly source: MessageSource | undefined;
  /** @internal Byte range of the whole line in `source.bytes`, line ending included. */
  readonly lineStart: number;
  readonly lineEnd: number;
  /** @internal Range of the value in `source.text`. */
  readonly valueStart: number;
  readonly valueEnd: number;
  /** @internal The value spans folded lines. */
  readonly folded: boolean;
  #value: string | undefined;
  /** @internal Cache of the typed value. */
  parsed: unknown;

  constructor(
    name: string,
    value: string | undefined,
    key?: string,
    source?: MessageSource,
    lineStart = 0,
    lineEnd = 0,
    valueStart = 0,
    valueEnd = 0,
    folded = false,
  ) {
    // Fields made in code: a name that is no token or a value with a line break would let
    // text (say, a display name from a web form) inject headers of its own.
    if (source === undefined && (!isToken(name) || /[\r\n\0]/.test(value ?? ''))) {
      throw new SipInputError(
        'BAD_HEADER_INPUT',
        'header',
        `header ${JSON.stringify(name)} has an invalid name or a line break in its value`,
      );
    }
    this.name = name;
    this.key = key ?? headerKey(name);
    this.#value = value;
    this.source = source;
    this.lineStart = lineStart;
    this.lineEnd = lineEnd;
    this.valueStart = valueStart;
    this.valueEnd = valueEnd;
    this.folded = folded;
    this.parsed = undefined;
  }

  /** The value: UTF-8 text, folding replaced by a single space, no surrounding whitespace. */
  get value(): string {
    let v = this.#value;
    if (v !== undefined) return v;
    v = sliceValue(this.source!, this.valueStart, this.valueEnd, this.folded);
    this.#value = v;
    return v;
  }

  /** The canonical spelling of the name (`v` → `Via`). */
  get canonicalName(): string {
    return canonicalHeaderName(this.name);
  }
}

/** A header value from the decoded header section: UTF-8 decoded when needed, folding unfolded. */
function sliceValue(src: MessageSource, start: number, end: number, folded: boolean): string {
  let v = src.text.substring(start, end);
  if (!src.ascii && hasNonAscii(v)) v = decodeUtf8(src.bytes, src.base + start, src.base + end);
  if (folded) v = v.replace(/[ \t]*\r?\n[ \t]+/g, ' ');
  return v;
}

/**
 * Header lines as the parser found them, before anyone asked for `HeaderField` objects: the index
 * of the first line's row ({@link RAW_PLAIN_HEAD}), the first line's start, then per line
 * {@link RAW_STRIDE} numbers — header id, value start, value end (offsets in `source.text`) and
 * `lineEnd * 2 + folded` (lineEnd just after the line's LF). A line starts where the previous one
 * ended; its name is the token at its start. @internal
 */
export type RawHeaders = number[];
export const RAW_STRIDE = 4;
/** Where the first row of `RawHeaders` is. @internal */
export const RAW_PLAIN_HEAD = 2;

/** Splits a header value at commas outside quoted-strings and `<>` (RFC 3261 §7.3.1). */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) inAngle = true;
    else if (c === 62) inAngle = false;
    else if (c === 44 && !inAngle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

const EMPTY_BODY = new Uint8Array(0);
const EMPTY_LIST: readonly never[] = Object.freeze([]);

/** Headers that hold exactly one value; their accessors read the first field. */
type Parser<T> = (value: string, header: string) => T;

/** Behaviour shared by requests and responses. */
export abstract class SipMessage {
  abstract readonly kind: 'request' | 'response';
  /** The start line without its line ending. */
  abstract readonly startLine: string;
  /** SIP-Version as written, normally `SIP/2.0`. */
  readonly version: string;
  /** Header fields, once materialised (generic access or mutation). */
  #fields: HeaderField[] | undefined;
  /** Header lines straight from the parser, until materialised. */
  #raw: RawHeaders | undefined;
  /** Typed values parsed in raw mode, by line index. */
  #rawParsed: unknown[] | undefined;
  /** The body; `null` while it is still the range below of `source.bytes`. */
  #body: Uint8Array | null;
  #bodyStart: number;
  #bodyEnd: number;
  /** @internal The bytes this message was parsed from. */
  readonly source: MessageSource | undefined;
  /** @internal End of the start line in `source.bytes` (after its LF) while it is unchanged. */
  startLineEnd: number | undefined;
  #lists: Map<number, unknown> | undefined;

  protected constructor(
    version: string,
    fields: HeaderField[] | undefined,
    raw: RawHeaders | undefined,
    body: Uint8Array | null,
    source?: MessageSource,
    startLineEnd?: number,
    bodyStart = 0,
    bodyEnd = 0,
  ) {
    this.version = version;
    this.#fields = fields;
    this.#raw = raw;
    this.#rawParsed = undefined;
    this.#body = body;
    this.#bodyStart = bodyStart;
    this.#bodyEnd = bodyEnd;
    this.source = source;
    this.startLineEnd = startLineEnd;
    this.#lists = undefined;
  }

  /** Turns raw header lines into `HeaderField`s (once), keeping typed values already parsed. */
  #materialize(): HeaderField[] {
    const existing = this.#fields;
    if (existing !== undefined) return existing;
    const raw = this.#raw!;
    const src = this.source!;
    const text = src.text;
    const parsed = this.#rawParsed;
    const bytes = src.bytes;
    const base = src.base;
    const first = raw[0]!;
    const fields: HeaderField[] = new Array<HeaderField>((raw.length - first) / RAW_STRIDE);
    let start = raw[1]!; // the first line's start; each next one starts where this one ends
    for (let i = first, h = 0; i < raw.length; i += RAW_STRIDE, h++) {
      const id = raw[i]!;
      // The name is the token the line starts with (the parser checked that ":" follows it).
      let end = start;
      while (TOKEN_BYTE[bytes[base + end]!] === 1) end++;
      // The usual spelling reuses the constant string: fields can live as long as a transaction.
      const canonical = HEADER_NAMES[id]!;
      const name =
        id !== 0 && end - start === canonical.length && text.startsWith(canonical, start)
          ? canonical
          : text.slice(start, end);
      const lineEnd = raw[i + 3]! >>> 1;
      const field = new HeaderField(
        name,
        undefined,
        id === 0 ? headerKey(name) : HEADER_KEYS[id],
        src,
        base + start,
        base + lineEnd,
        raw[i + 1],
        raw[i + 2],
        (raw[i + 3]! & 1) === 1,
      );
      start = lineEnd;
      if (parsed !== undefined) field.parsed = parsed[h];
      fields[h] = field;
    }
    this.#fields = fields;
    this.#raw = undefined;
    this.#rawParsed = undefined;
    return fields;
  }

  // ------------------------------------------------------------------ generic header access

  /** Every header line, in order. */
  get headers(): readonly HeaderField[] {
    return this.#materialize();
  }

  /** The body (a view over the parsed bytes, not a copy). */
  get body(): Uint8Array {
    return (this.#body ??= this.source!.bytes.subarray(this.#bodyStart, this.#bodyEnd));
  }

  /** The body decoded as UTF-8. */
  get bodyText(): string {
    return decodeUtf8(this.body);
  }

  hasHeader(name: string): boolean {
    const key = headerKey(name);
    const raw = this.#raw;
    const id = raw === undefined ? 0 : headerId(key);
    if (raw !== undefined && id !== 0) {
      for (let i = raw[0]!; i < raw.length; i += RAW_STRIDE) if (raw[i] === id) return true;
      return false;
    }
    for (const f of this.#materialize()) if (f.key === key) return true;
    return false;
  }

  /** The value of the first header called `name` (any spelling or compact form). */
  header(name: string): string | undefined {
    const key = headerKey(name);
    const raw = this.#raw;
    const id = raw === undefined ? 0 : headerId(key);
    if (raw !== undefined && id !== 0) {
      for (let i = raw[0]!; i < raw.length; i += RAW_STRIDE)
        if (raw[i] === id) return this.#rawValue(i);
      return undefined;
    }
    for (const f of this.#materialize()) if (f.key === key) return f.value;
    return undefined;
  }

  /** The values of every header line called `name`, in order (commas not split). */
  headerValues(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.#materialize()) if (f.key === key) out.push(f.value);
    return out;
  }

  /** Every value of `name`, comma-separated values split (for list headers). */
  headerList(name: string): string[] {
    return this.headerValues(name).flatMap(splitHeaderValues);
  }

  /** Replaces every `name` header with one line holding `value`, where the first one was. */
  setHeader(name: string, value: HeaderValue): this {
    const field = new HeaderField(name, String(value));
    const fields = this.#materialize();
    const index = fields.findIndex((f) => f.key === field.key);
    if (index === -1) fields.push(field);
    else {
      fields[index] = field;
      for (let i = fields.length - 1; i > index; i--) {
        if (fields[i]!.key === field.key) fields.splice(i, 1);
      }
    }
    return this.#changed();
  }

  /** Adds a `name` line after the last existing one (or at the end). */
  appendHeader(name: string, value: HeaderValue): this {
    const field = new HeaderField(name, String(value));
    const fields = this.#materialize();
    let last = -1;
    for (let i = 0; i < fields.length; i++) if (fields[i]!.key === field.key) last = i;
    if (last === -1) fields.push(field);
    else fields.splice(last + 1, 0, field);
    return this.#changed();
  }

  /** Adds a `name` line before the first existing one (or at the top). */
  prependHeader(name: string, value: HeaderValue): this {
    const field = new HeaderField(name, String(value));
    const fields = this.#materialize();
    const index = fields.findIndex((f) => f.key === field.key);
    fields.splice(index === -1 ? 0 : index, 0, field);
    return this.#changed();
  }

  /** Removes every `name` line; returns how many were removed. */
  removeHeader(name: string): number {
    const key = headerKey(name);
    const fields = this.#materialize();
    const kept = fields.filter((f) => f.key !== key);
    const removed = fields.length - kept.length;
    if (removed > 0) {
      this.#fields = kept;
      this.#changed();
    }
    return removed;
  }

  /**
   * Removes the first value of `name` (the first comma-separated value of its first line, or the
   * whole line when it has one value) and returns it: pops the top Via or the first Route.
   */
  removeFirstValue(name: string): string | undefined {
    const key = headerKey(name);
    const fields = this.#materialize();
    const index = fields.findIndex((f) => f.key === key);
    if (index === -1) return undefined;
    const field = fields[index]!;
    const values = splitHeaderValues(field.value);
    const first = values.shift();
    if (values.length === 0) fields.splice(index, 1);
    else fields[index] = new HeaderField(field.name, values.join(', '), field.key);
    this.#changed();
    return first;
  }

  /** Replaces the first value of `name` (see {@link removeFirstValue}). */
  replaceFirstValue(name: string, value: HeaderValue): this {
    const key = headerKey(name);
    const fields = this.#materialize();
    const index = fields.findIndex((f) => f.key === key);
    if (index === -1) return this.prependHeader(name, value);
    const field = fields[index]!;
    const values = splitHeaderValues(field.value);
    values[0] = String(value);
    fields[index] = new HeaderField(field.name, values.join(', '), field.key);
    return this.#changed();
  }

  /**
   * Replaces the body and sets Content-Length; sets Content-Type when given, removes it when the
   * body is empty and no type is given.
   */
  setBody(body: Uint8Array | string, contentType?: string): this {
    const bytes = typeof body === 'string' ? encodeUtf8(body) : body;
    this.#body = bytes;
    if (contentType !== undefined) this.setHeader('Content-Type', contentType);
    else if (bytes.length === 0) this.removeHeader('Content-Type');
    this.setHeader('Content-Length', String(bytes.length));
    return this;
  }

  /** @internal */
  protected changedStartLine(): void {
    this.startLineEnd = undefined;
  }

  #changed(): this {
    this.#lists = undefined;
    return this;
  }

  #rawValue(i: number): string {
    const raw = this.#raw!;
    return sliceValue(this.source!, raw[i + 1]!, raw[i + 2]!, (raw[i + 3]! & 1) === 1);
  }

  /** Typed value of line `i` (raw mode), parsed once. */
  #rawTyped<T>(i: number, id: number, parse: Parser<T>, scan?: Scanner<T>): T {
    const raw = this.#raw!;
    const first = raw[0]!;
    const cache = (this.#rawParsed ??= new Array<unknown>((raw.length - first) / RAW_STRIDE));
    const h = (i - first) / RAW_STRIDE;
    let v = cache[h];
    if (v === undefined) {
      const src = this.source!;
      const folded = raw[i + 3]! & 1;
      if (scan !== undefined && folded === 0)
        v = scan(src, raw[i + 1]!, raw[i + 2]!, HEADER_NAMES[id]!);
      v ??= parseAt(parse, this.#rawValue(i), HEADER_NAMES[id]!, src, raw[i + 1]!, folded);
      cache[h] = v;
    }
    return v as T;
  }

  /** Typed value of the first line with header `id`, parsed once per line. */
  #single<T>(id: number, parse: Parser<T>, scan?: Scanner<T>): T | undefined {
    const raw = this.#raw;
    if (raw !== undefined) {
      for (let i = raw[0]!; i < raw.length; i += RAW_STRIDE) {
        if (raw[i] === id) return this.#rawTyped(i, id, parse, scan);
      }
      return undefined;
    }
    const key = HEADER_KEYS[id];
    for (const f of this.#fields!) {
      if (f.key !== key) continue;
      if (f.parsed === undefined) f.parsed = parseField(f, parse, scan);
      return f.parsed as T;
    }
    return undefined;
  }

  /** Typed values of every line with header `id`, one per line (fresh array, values cached). */
  #all<T>(id: number, parse: Parser<T>, scan?: Scanner<T>): T[] {
    const out: T[] = [];
    const raw = this.#raw;
    if (raw !== undefined) {
      for (let i = raw[0]!; i < raw.length; i += RAW_STRIDE) {
        if (raw[i] === id) out.push(this.#rawTyped(i, id, parse, scan));
      }
      return out;
    }
    const key = HEADER_KEYS[id];
    for (const f of this.#fields!) {
      if (f.key !== key) continue;
      if (f.parsed === undefined) f.parsed = parseField(f, parse, scan);
      out.push(f.parsed as T);
    }
    return out;
  }

  /**
   * Lists concatenated over every line. One line (the usual case) returns that line's cached
   * list; a concatenation is cached until the next mutation.
   */
  #list<T>(id: number, parse: Parser<T[]>, scan?: Scanner<T[]>): readonly T[] {
    const parts = this.#all(id, parse, scan);
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 0) return EMPTY_LIST;
    const lists = (this.#lists ??= new Map<number, unknown>());
    const cached = lists.get(id);
    if (cached !== undefined) return cached as T[];
    const out: T[] = [];
    for (const part of parts) for (const item of part) out.push(item);
    lists.set(id, out);
    return out;
  }

  /** How many lines `name` has (a folded line counts once). */
  headerCount(name: string): number {
    const key = headerKey(name);
    const raw = this.#raw;
    const id = raw === undefined ? 0 : headerId(key);
    let n = 0;
    if (raw !== undefined && id !== 0) {
      for (let i = raw[0]!; i < raw.length; i += RAW_STRIDE) if (raw[i] === id) n++;
      return n;
    }
    for (const f of this.#materialize()) if (f.key === key) n++;
    return n;
  }

  /** Whether a line with header `id` exists. */
  #has(id: number): boolean {
    const raw = this.#raw;
    if (raw !== undefined) {
      for (let i = raw[0]!; i < raw.length; i += RAW_STRIDE) if (raw[i] === id) return true;
      return false;
    }
    const key = HEADER_KEYS[id];
    for (const f of this.#fields!) if (f.key === key) return true;
    return false;
  }

  // ------------------------------------------------------------------ typed accessors

  /** Via values, top first (RFC 3261 §20.42). Empty when there is none. */
  get via(): readonly Via[] {
    return this.#list(ID.via, parseVia, scanVia);
  }

  /** The source while the header lines are as parsed (the hot values are theirs), else undefined. */
  #parsedSource(): MessageSource | undefined {
    return this.#raw === undefined ? undefined : this.source;
  }

  /** The top Via (parses only the first Via line). */
  get topVia(): Via | undefined {
    const src = this.#parsedSource();
    const built = src === undefined ? undefined : hotVia(src);
    if (built !== undefined) return built[0];
    return this.#single(ID.via, parseVia, scanVia)?.[0];
  }

  /** Adds `via` as the new top Via on its own line (RFC 3261 §16.6 step 8). */
  prependVia(via: Via | string): this {
    return this.prependHeader('Via', via);
  }

  /** Removes the top Via value (RFC 3261 §16.7 step 3); returns it. */
  removeTopVia(): Via | undefined {
    const top = this.topVia;
    if (top === undefined) return undefined;
    this.removeFirstValue('via');
    return top;
  }

  /** Replaces the top Via value, e.g. with `received`/`rport` added (RFC 3261 §18.2.1, RFC 3581 §4). */
  setTopVia(via: Via): this {
    return this.replaceFirstValue('Via', via);
  }

  get from(): NameAddr | undefined {
    const src = this.#parsedSource();
    const built = src === undefined ? undefined : hotAddress(src, false);
    if (built !== undefined) return built;
    return this.#single(ID.from, parseNameAddr, scanNameAddr);
  }

  get to(): NameAddr | undefined {
    const src = this.#parsedSource();
    const built = src === undefined ? undefined : hotAddress(src, true);
    if (built !== undefined) return built;
    return this.#single(ID.to, parseNameAddr, scanNameAddr);
  }

  get callId(): string | undefined {
    const src = this.#parsedSource();
    const built = src === undefined ? undefined : hotCallId(src);
    if (built !== undefined) return built;
    return this.#single(ID.callId, parseCallId, scanCallId);
  }

  get cseq(): CSeq | undefined {
    const src = this.#parsedSource();
    const built = src === undefined ? undefined : hotCSeq(src);
    if (built !== undefined) return built;
    return this.#single(ID.cseq, parseCSeq, scanCSeq);
  }

  /** Contact values, or `'*'` (REGISTER removing all bindings, RFC 3261 §10.2.2). */
  get contact(): ContactValue {
    const parts = this.#all(ID.contact, parseContact);
    if (parts.length === 1) return parts[0]!;
    const out: NameAddr[] = [];
    for (const v of parts) {
      if (v === '*') {
        throw new SipParseError('BAD_HEADER_VALUE', 'Contact: "*" must be the only Contact value', {
          header: 'Contact',
          response: badRequest('Bad Contact header'),
        });
      }
      out.push(...v);
    }
    return out;
  }

  /** Contact addresses; empty for none or `*`. */
  get contacts(): readonly NameAddr[] {
    const c = this.contact;
    return c === '*' ? [] : c;
  }

  get route(): readonly NameAddr[] {
    return this.#list(ID.route, parseNameAddrList);
  }

  get recordRoute(): readonly NameAddr[] {
    return this.#list(ID.recordRoute, parseNameAddrList);
  }

  get path(): readonly NameAddr[] {
    return this.#list(ID.path, parseNameAddrList);
  }

  /** Max-Forwards, 0–255 (RFC 3261 §20.22). */
  get maxForwards(): number | undefined {
    return this.#single(ID.maxForwards, parseMaxForwards);
  }

  /** Content-Length as declared (the body may have been cut to it). */
  get contentLength(): number | undefined {
    return this.#single(ID.contentLength, parseUint);
  }

  get contentType(): MediaType | undefined {
    return this.#single(ID.contentType, parseMediaType);
  }

  /** Accept media ranges; `undefined` when the header is absent. */
  get accept(): readonly MediaType[] | undefined {
    const list = this.#list(ID.accept, parseMediaTypeList);
    return list.length === 0 && !this.#has(ID.accept) ? undefined : list;
  }

  get expires(): number | undefined {
    return this.#single(ID.expires, parseUint);
  }

  get minExpires(): number | undefined {
    return this.#single(ID.minExpires, parseUint);
  }

  get wwwAuthenticate(): readonly AuthValue[] {
    return this.#all(ID.wwwAuthenticate, parseAuth);
  }

  get proxyAuthenticate(): readonly AuthValue[] {
    return this.#all(ID.proxyAuthenticate, parseAuth);
  }

  get authorization(): readonly AuthValue[] {
    return this.#all(ID.authorization, parseAuth);
  }

  get proxyAuthorization(): readonly AuthValue[] {
    return this.#all(ID.proxyAuthorization, parseAuth);
  }

  /** Allow methods; `undefined` when the header is absent (§20.5: absent ≠ empty). */
  get allow(): readonly string[] | undefined {
    if (!this.#has(ID.allow)) return undefined;
    return this.#list(ID.allow, parseTokenList);
  }

  get supported(): readonly string[] {
    return this.#list(ID.supported, parseTokenList);
  }

  get require(): readonly string[] {
    return this.#list(ID.require, parseTokenList);
  }

  get proxyRequire(): readonly string[] {
    return this.#list(ID.proxyRequire, parseTokenList);
  }

  get unsupported(): readonly string[] {
    return this.#list(ID.unsupported, parseTokenList);
  }

  get allowEvents(): readonly string[] {
    return this.#list(ID.allowEvents, parseTokenList);
  }

  /** Event (RFC 6665 §8.2.1). */
  get event(): EventValue | undefined {
    return this.#single(ID.event, parseEvent);
  }

  /** Refer-To (RFC 3515 §2.1). */
  get referTo(): NameAddr | undefined {
    return this.#single(ID.referTo, parseNameAddr);
  }

  /** Referred-By (RFC 3892). */
  get referredBy(): NameAddr | undefined {
    return this.#single(ID.referredBy, parseNameAddr);
  }

  /** Replaces (RFC 3891). */
  get replaces(): Replaces | undefined {
    return this.#single(ID.replaces, parseReplaces);
  }

  /** RSeq (RFC 3262 §7.1). */
  get rseq(): number | undefined {
    return this.#single(ID.rseq, parseUint);
  }

  /** RAck (RFC 3262 §7.2). */
  get rack(): RAck | undefined {
    return this.#single(ID.rack, parseRAck);
  }

  /** Session-Expires (RFC 4028 §4). */
  get sessionExpires(): SessionExpires | undefined {
    return this.#single(ID.sessionExpires, parseSessionExpires);
  }

  /** Min-SE (RFC 4028 §5). */
  get minSE(): number | undefined {
    return this.#single(ID.minSE, parseMinSE);
  }

  /** Retry-After (RFC 3261 §20.33), comment and `duration` included. */
  get retryAfter(): RetryAfter | undefined {
    return this.#single(ID.retryAfter, parseRetryAfter);
  }

  /** Server products and comments (RFC 3261 §20.35). */
  get server(): readonly ProductToken[] | undefined {
    return this.#single(ID.server, parseProducts);
  }

  /** User-Agent products and comments (RFC 3261 §20.41). */
  get userAgent(): readonly ProductToken[] | undefined {
    return this.#single(ID.userAgent, parseProducts);
  }

  /** A copy sharing the parsed bytes; mutating one does not affect the other. */
  abstract clone(): SipRequest | SipResponse;

  /** The wire form as text, for logs (`serialize()` gives the bytes). */
  toString(): string {
    return decodeUtf8(serialize(this));
  }

  /** @internal */
  protected cloneFields(): HeaderField[] {
    return this.#materialize().slice();
  }
}

const parseMaxForwards = (v: string, h: string): number => parseUint(v, h, 255);
const parseMinSE = (v: string, h: string): number => parseSessionExpires(v, h).delta;

/** Ids of the headers with typed accessors. */
const ID = {
  via: headerId('via'),
  from: headerId('from'),
  to: headerId('to'),
  callId: headerId('call-id'),
  cseq: headerId('cseq'),
  contact: headerId('contact'),
  route: headerId('route'),
  recordRoute: headerId('record-route'),
  path: headerId('path'),
  maxForwards: headerId('max-forwards'),
  contentLength: headerId('content-length'),
  contentType: headerId('content-type'),
  accept: headerId('accept'),
  expires: headerId('expires'),
  minExpires: headerId('min-expires'),
  wwwAuthenticate: headerId('www-authenticate'),
  proxyAuthenticate: headerId('proxy-authenticate'),
  authorization: headerId('authorization'),
  proxyAuthorization: headerId('proxy-authorization'),
  allow: headerId('allow'),
  supported: headerId('supported'),
  require: headerId('require'),
  proxyRequire: headerId('proxy-require'),
  unsupported: headerId('unsupported'),
  allowEvents: headerId('allow-events'),
  event: headerId('event'),
  referTo: headerId('refer-to'),
  referredBy: headerId('referred-by'),
  replaces: headerId('replaces'),
  rseq: headerId('rseq'),
  rack: headerId('rack'),
  sessionExpires: headerId('session-expires'),
  minSE: headerId('min-se'),
  retryAfter: headerId('retry-after'),
  server: headerId('server'),
  userAgent: headerId('user-agent'),
} as const;

function parseField<T>(f: HeaderField, parse: Parser<T>, scan?: Scanner<T>): T {
  const header = canonicalHeaderName(f.key);
  const src = f.source;
  if (src === undefined) return parse(f.value, header);
  if (scan !== undefined && !f.folded) {
    const v = scan(src, f.valueStart, f.valueEnd, header);
    if (v !== undefined) return v;
  }
  return parseAt(parse, f.value, header, src, f.valueStart, f.folded ? 1 : 0);
}

/**
 * Parses a value that came from `source`; errors get the byte offset in the message instead of
 * the offset in the value (exact unless folding or UTF-8 decoding changed the value's length).
 */
function parseAt<T>(
  parse: Parser<T>,
  value: string,
  header: string,
  source: MessageSource,
  valueStart: number,
  foldedFlag: number,
): T {
  try {
    return parse(value, header);
  } catch (e) {
    if (!(e instanceof SipParseError) || (foldedFlag & 1) === 1) throw e;
    throw new SipParseError(e.code, e.message, {
      offset: source.base + valueStart + e.offset,
      ...(e.header === undefined ? {} : { header: e.header }),
      ...(e.response === undefined ? {} : { response: e.response }),
      cause: e,
    });
  }
}

/** @internal Method = token (RFC 3261 §25.1). */
export function checkMethod(method: string): void {
  if (!isToken(method)) {
    throw new SipInputError(
      'INVALID_ARGUMENT',
      'method',
      `method ${JSON.stringify(method)} is not a token`,
    );
  }
}

/** @internal Status-Code = 3DIGIT, 100–699 (RFC 3261 §7.2, §21). */
export function checkStatus(status: number): void {
  if (!Number.isInteger(status) || status < 100 || status > 699) {
    throw new SipInputError(
      'INVALID_ARGUMENT',
      'status',
      `status ${status} is not a SIP status code (100–699)`,
    );
  }
}

/** @internal Reason-Phrase has no line breaks (RFC 3261 §25.1). */
export function checkReason(reason: string): void {
  if (/[\r\n\0]/.test(reason)) {
    throw new SipInputError(
      'INVALID_ARGUMENT',
      'reason',
      `reason phrase ${JSON.stringify(reason)} has a line break`,
    );
  }
}

/** A SIP request (RFC 3261 §7.1). */
export class SipRequest extends SipMessage {
  readonly kind = 'request' as const;
  #method: string;
  #uri: Uri;

  /** @internal Use `createRequest()` or `parseMessage()`. */
  constructor(
    method: string,
    uri: Uri,
    fields: HeaderField[],
    body: Uint8Array | null = EMPTY_BODY,
    version = 'SIP/2.0',
    source?: MessageSource,
    startLineEnd?: number,
    raw?: RawHeaders,
    bodyStart?: number,
    bodyEnd?: number,
  ) {
    super(
      version,
      raw === undefined ? fields : undefined,
      raw,
      body,
      source,
      startLineEnd,
      bodyStart,
      bodyEnd,
    );
    this.#method = method;
    this.#uri = uri;
  }

  /** Method, case-sensitive (RFC 3261 §7.1). */
  get method(): string {
    return this.#method;
  }

  set method(method: string) {
    checkMethod(method);
    this.#method = method;
    this.changedStartLine();
  }

  /** Request-URI. */
  get uri(): Uri {
    return this.#uri;
  }

  set uri(uri: Uri) {
    this.#uri = uri;
    this.changedStartLine();
  }

  /** `METHOD uri SIP/2.0` */
  get startLine(): string {
    return `${this.#method} ${this.#uri.toString()} ${this.version}`;
  }

  clone(): SipRequest {
    return new SipRequest(
      this.#method,
      this.#uri,
      this.cloneFields(),
      this.body,
      this.version,
      this.source,
      this.startLineEnd,
    );
  }
}

/** A SIP response (RFC 3261 §7.2). */
export class SipResponse extends SipMessage {
  readonly kind = 'response' as const;
  #status: number;
  #reason: string;

  /** @internal Use `createResponse()` or `parseMessage()`. */
  constructor(
    status: number,
    reason: string,
    fields: HeaderField[],
    body: Uint8Array | null = EMPTY_BODY,
    version = 'SIP/2.0',
    source?: MessageSource,
    startLineEnd?: number,
    raw?: RawHeaders,
    bodyStart?: number,
    bodyEnd?: number,
  ) {
    super(
      version,
      raw === undefined ? fields : undefined,
      raw,
      body,
      source,
      startLineEnd,
      bodyStart,
      bodyEnd,
    );
    this.#status = status;
    this.#reason = reason;
  }

  get status(): number {
    return this.#status;
  }

  set status(status: number) {
    checkStatus(status);
    this.#status = status;
    this.changedStartLine();
  }

  /** Reason-Phrase (UTF-8, may be empty). */
  get reason(): string {
    return this.#reason;
  }

  set reason(reason: string) {
    checkReason(reason);
    this.#reason = reason;
    this.changedStartLine();
  }

  /** `SIP/2.0 200 OK` */
  get startLine(): string {
    return `${this.version} ${this.#status} ${this.#reason}`;
  }

  clone(): SipResponse {
    return new SipResponse(
      this.#status,
      this.#reason,
      this.cloneFields(),
      this.body,
      this.version,
      this.source,
      this.startLineEnd,
    );
  }
}

export type SipMessageUnion = SipRequest | SipResponse;
