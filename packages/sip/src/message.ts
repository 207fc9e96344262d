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
import { SipParseError, badRequest } from './errors.js';
import { canonicalHeaderName, headerKey } from './header-names.js';
import {
  type AuthValue,
  type CSeq,
  type ContactValue,
  type EventValue,
  type MediaType,
  type NameAddr,
  type RAck,
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
  parseRAck,
  parseReplaces,
  parseSessionExpires,
  parseTokenList,
  parseUint,
  parseVia,
} from './header-values.js';
import { decodeUtf8, encodeUtf8, hasNonAscii } from './text.js';
import type { Uri } from './uri.js';

/** The bytes a message was parsed from and its decoded header section. @internal */
export interface MessageSource {
  readonly bytes: Uint8Array;
  /** Header section decoded one char per byte; `text[0]` is `bytes[base]`. */
  readonly text: string;
  readonly base: number;
  /** Every byte of the header section is ASCII, so `text` is also its UTF-8 decoding. */
  readonly ascii: boolean;
}

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
    const src = this.source!;
    v = src.text.substring(this.valueStart, this.valueEnd);
    if (!src.ascii && hasNonAscii(v)) {
      v = decodeUtf8(src.bytes, src.base + this.valueStart, src.base + this.valueEnd);
    }
    if (this.folded) v = v.replace(/[ \t]*\r?\n[ \t]+/g, ' ');
    this.#value = v;
    return v;
  }

  /** The canonical spelling of the name (`v` → `Via`). */
  get canonicalName(): string {
    return canonicalHeaderName(this.name);
  }
}

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

/** Headers that hold exactly one value; their accessors read the first field. */
type Parser<T> = (value: string, header: string) => T;

/** Behaviour shared by requests and responses. */
export abstract class SipMessage {
  abstract readonly kind: 'request' | 'response';
  /** SIP-Version as written, normally `SIP/2.0`. */
  readonly version: string;
  #fields: HeaderField[];
  #body: Uint8Array;
  /** @internal The bytes this message was parsed from. */
  readonly source: MessageSource | undefined;
  /** @internal Byte range of the start line (line ending included) while unchanged. */
  startLineRange: readonly [number, number] | undefined;
  #lists = new Map<string, unknown>();

  protected constructor(
    version: string,
    fields: HeaderField[],
    body: Uint8Array,
    source?: MessageSource,
    startLineRange?: readonly [number, number],
  ) {
    this.version = version;
    this.#fields = fields;
    this.#body = body;
    this.source = source;
    this.startLineRange = startLineRange;
  }

  // ------------------------------------------------------------------ generic header access

  /** Every header line, in order. */
  get headers(): readonly HeaderField[] {
    return this.#fields;
  }

  /** The body (a view over the parsed bytes, not a copy). */
  get body(): Uint8Array {
    return this.#body;
  }

  /** The body decoded as UTF-8. */
  get bodyText(): string {
    return decodeUtf8(this.#body);
  }

  hasHeader(name: string): boolean {
    const key = headerKey(name);
    for (const f of this.#fields) if (f.key === key) return true;
    return false;
  }

  /** The value of the first header called `name` (any spelling or compact form). */
  header(name: string): string | undefined {
    return this.#first(headerKey(name))?.value;
  }

  /** The values of every header line called `name`, in order (commas not split). */
  headerValues(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.#fields) if (f.key === key) out.push(f.value);
    return out;
  }

  /** Every value of `name`, comma-separated values split (for list headers). */
  headerList(name: string): string[] {
    return this.headerValues(name).flatMap(splitHeaderValues);
  }

  /** Replaces every `name` header with one line holding `value`, where the first one was. */
  setHeader(name: string, value: HeaderValue): this {
    const field = new HeaderField(name, String(value));
    const fields = this.#fields;
    const index = fields.findIndex((f) => f.key === field.key);
    if (index === -1) fields.push(field);
    else {
      fields[index] = field;
      for (let i = fields.length - 1; i > index; i--)
        if (fields[i]!.key === field.key) fields.splice(i, 1);
    }
    return this.#changed();
  }

  /** Adds a `name` line after the last existing one (or at the end). */
  appendHeader(name: string, value: HeaderValue): this {
    const field = new HeaderField(name, String(value));
    const fields = this.#fields;
    let last = -1;
    for (let i = 0; i < fields.length; i++) if (fields[i]!.key === field.key) last = i;
    if (last === -1) fields.push(field);
    else fields.splice(last + 1, 0, field);
    return this.#changed();
  }

  /** Adds a `name` line before the first existing one (or at the top). */
  prependHeader(name: string, value: HeaderValue): this {
    const field = new HeaderField(name, String(value));
    const fields = this.#fields;
    const index = fields.findIndex((f) => f.key === field.key);
    fields.splice(index === -1 ? 0 : index, 0, field);
    return this.#changed();
  }

  /** Removes every `name` line; returns how many were removed. */
  removeHeader(name: string): number {
    const key = headerKey(name);
    const before = this.#fields.length;
    this.#fields = this.#fields.filter((f) => f.key !== key);
    const removed = before - this.#fields.length;
    if (removed > 0) this.#changed();
    return removed;
  }

  /**
   * Removes the first value of `name` (the first comma-separated value of its first line, or the
   * whole line when it has one value) and returns it: pops the top Via or the first Route.
   */
  removeFirstValue(name: string): string | undefined {
    const key = headerKey(name);
    const index = this.#fields.findIndex((f) => f.key === key);
    if (index === -1) return undefined;
    const field = this.#fields[index]!;
    const values = splitHeaderValues(field.value);
    const first = values.shift();
    if (values.length === 0) this.#fields.splice(index, 1);
    else this.#fields[index] = new HeaderField(field.name, values.join(', '), field.key);
    this.#changed();
    return first;
  }

  /** Replaces the first value of `name` (see {@link removeFirstValue}). */
  replaceFirstValue(name: string, value: HeaderValue): this {
    const key = headerKey(name);
    const index = this.#fields.findIndex((f) => f.key === key);
    if (index === -1) return this.prependHeader(name, value);
    const field = this.#fields[index]!;
    const values = splitHeaderValues(field.value);
    values[0] = String(value);
    this.#fields[index] = new HeaderField(field.name, values.join(', '), field.key);
    return this.#changed();
  }

  /** Replaces the body; sets Content-Length and, when given, Content-Type (removed if body is empty and no type given). */
  setBody(body: Uint8Array | string, contentType?: string): this {
    this.#body = typeof body === 'string' ? encodeUtf8(body) : body;
    if (contentType !== undefined) this.setHeader('Content-Type', contentType);
    else if (this.#body.length === 0) this.removeHeader('Content-Type');
    this.setHeader('Content-Length', String(this.#body.length));
    return this;
  }

  /** @internal */
  protected changedStartLine(): void {
    this.startLineRange = undefined;
  }

  #changed(): this {
    if (this.#lists.size > 0) this.#lists.clear();
    return this;
  }

  #first(key: string): HeaderField | undefined {
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.key === key) return f;
    }
    return undefined;
  }

  /** Typed value of the first `key` field, parsed once per field. */
  #single<T>(key: string, parse: Parser<T>): T | undefined {
    const f = this.#first(key);
    if (f === undefined) return undefined;
    if (f.parsed !== undefined) return f.parsed as T;
    const value = parseField(f, parse);
    f.parsed = value;
    return value;
  }

  /** Typed values of every `key` field, concatenated; cached until the next mutation. */
  #list<T>(key: string, parse: Parser<T[]>): T[] {
    const cached = this.#lists.get(key);
    if (cached !== undefined) return cached as T[];
    let out: T[] = [];
    for (const f of this.#fields) {
      if (f.key !== key) continue;
      if (f.parsed === undefined) f.parsed = parseField(f, parse);
      out = out.length === 0 ? (f.parsed as T[]) : out.concat(f.parsed as T[]);
    }
    this.#lists.set(key, out);
    return out;
  }

  /** Typed values of every `key` field, one value per line (auth headers). */
  #each<T>(key: string, parse: Parser<T>): T[] {
    const cached = this.#lists.get(key);
    if (cached !== undefined) return cached as T[];
    const out: T[] = [];
    for (const f of this.#fields) {
      if (f.key !== key) continue;
      if (f.parsed === undefined) f.parsed = parseField(f, parse);
      out.push(f.parsed as T);
    }
    this.#lists.set(key, out);
    return out;
  }

  // ------------------------------------------------------------------ typed accessors

  /** Via values, top first (RFC 3261 §20.42). Empty when there is none. */
  get via(): readonly Via[] {
    return this.#list('via', parseVia);
  }

  /** The top Via (parses only the first Via line). */
  get topVia(): Via | undefined {
    const f = this.#first('via');
    if (f === undefined) return undefined;
    if (f.parsed === undefined) f.parsed = parseField(f, parseVia);
    return (f.parsed as Via[])[0];
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
    return this.#single('from', parseNameAddr);
  }

  get to(): NameAddr | undefined {
    return this.#single('to', parseNameAddr);
  }

  get callId(): string | undefined {
    return this.#single('call-id', parseCallId);
  }

  get cseq(): CSeq | undefined {
    return this.#single('cseq', parseCSeq);
  }

  /** Contact values, or `'*'` (REGISTER removing all bindings, RFC 3261 §10.2.2). */
  get contact(): ContactValue {
    const fields = this.#fields.filter((f) => f.key === 'contact');
    if (fields.length === 1) {
      const f = fields[0]!;
      if (f.parsed === undefined) f.parsed = parseField(f, parseContact);
      return f.parsed as ContactValue;
    }
    const out: NameAddr[] = [];
    for (const f of fields) {
      if (f.parsed === undefined) f.parsed = parseField(f, parseContact);
      const v = f.parsed as ContactValue;
      if (v === '*') throw fieldError(f, '"*" must be the only Contact value');
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
    return this.#list('route', parseNameAddrList);
  }

  get recordRoute(): readonly NameAddr[] {
    return this.#list('record-route', parseNameAddrList);
  }

  get path(): readonly NameAddr[] {
    return this.#list('path', parseNameAddrList);
  }

  /** Max-Forwards, 0–255 (RFC 3261 §20.22). */
  get maxForwards(): number | undefined {
    return this.#single('max-forwards', (v, h) => parseUint(v, h, 255));
  }

  /** Content-Length as declared (the body may have been cut to it). */
  get contentLength(): number | undefined {
    return this.#single('content-length', parseUint);
  }

  get contentType(): MediaType | undefined {
    return this.#single('content-type', parseMediaType);
  }

  get accept(): readonly MediaType[] | undefined {
    if (!this.hasHeader('accept')) return undefined;
    return this.#list('accept', parseMediaTypeList);
  }

  get expires(): number | undefined {
    return this.#single('expires', parseUint);
  }

  get minExpires(): number | undefined {
    return this.#single('min-expires', parseUint);
  }

  get wwwAuthenticate(): readonly AuthValue[] {
    return this.#each('www-authenticate', parseAuth);
  }

  get proxyAuthenticate(): readonly AuthValue[] {
    return this.#each('proxy-authenticate', parseAuth);
  }

  get authorization(): readonly AuthValue[] {
    return this.#each('authorization', parseAuth);
  }

  get proxyAuthorization(): readonly AuthValue[] {
    return this.#each('proxy-authorization', parseAuth);
  }

  /** Allow methods; `undefined` when the header is absent (§20.5: absent ≠ empty). */
  get allow(): readonly string[] | undefined {
    if (!this.hasHeader('allow')) return undefined;
    return this.#list('allow', parseTokenList);
  }

  get supported(): readonly string[] {
    return this.#list('supported', parseTokenList);
  }

  get require(): readonly string[] {
    return this.#list('require', parseTokenList);
  }

  get proxyRequire(): readonly string[] {
    return this.#list('proxy-require', parseTokenList);
  }

  get unsupported(): readonly string[] {
    return this.#list('unsupported', parseTokenList);
  }

  get allowEvents(): readonly string[] {
    return this.#list('allow-events', parseTokenList);
  }

  /** Event (RFC 6665 §8.2.1). */
  get event(): EventValue | undefined {
    return this.#single('event', parseEvent);
  }

  /** Refer-To (RFC 3515 §2.1). */
  get referTo(): NameAddr | undefined {
    return this.#single('refer-to', parseNameAddr);
  }

  /** Referred-By (RFC 3892). */
  get referredBy(): NameAddr | undefined {
    return this.#single('referred-by', parseNameAddr);
  }

  /** Replaces (RFC 3891). */
  get replaces(): Replaces | undefined {
    return this.#single('replaces', parseReplaces);
  }

  /** RSeq (RFC 3262 §7.1), 1 to 2^32-1. */
  get rseq(): number | undefined {
    return this.#single('rseq', parseUint);
  }

  /** RAck (RFC 3262 §7.2). */
  get rack(): RAck | undefined {
    return this.#single('rack', parseRAck);
  }

  /** Session-Expires (RFC 4028 §4). */
  get sessionExpires(): SessionExpires | undefined {
    return this.#single('session-expires', parseSessionExpires);
  }

  /** Min-SE (RFC 4028 §5). */
  get minSE(): number | undefined {
    return this.#single('min-se', (v, h) => parseSessionExpires(v, h).delta);
  }

  /** A copy sharing the parsed bytes; mutating one does not affect the other. */
  abstract clone(): SipRequest | SipResponse;

  /** @internal */
  protected cloneFields(): HeaderField[] {
    return this.#fields.slice();
  }
}

function parseField<T>(f: HeaderField, parse: Parser<T>): T {
  return parse(f.value, canonicalHeaderName(f.key));
}

function fieldError(f: HeaderField, message: string): SipParseError {
  const header = canonicalHeaderName(f.key);
  return new SipParseError('BAD_HEADER_VALUE', `${header}: ${message}`, {
    offset: f.lineStart,
    header,
    response: badRequest(`Bad ${header} header`),
  });
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
    body: Uint8Array = EMPTY_BODY,
    version = 'SIP/2.0',
    source?: MessageSource,
    startLineRange?: readonly [number, number],
  ) {
    super(version, fields, body, source, startLineRange);
    this.#method = method;
    this.#uri = uri;
  }

  /** Method, case-sensitive (RFC 3261 §7.1). */
  get method(): string {
    return this.#method;
  }

  set method(method: string) {
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
      this.startLineRange,
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
    body: Uint8Array = EMPTY_BODY,
    version = 'SIP/2.0',
    source?: MessageSource,
    startLineRange?: readonly [number, number],
  ) {
    super(version, fields, body, source, startLineRange);
    this.#status = status;
    this.#reason = reason;
  }

  get status(): number {
    return this.#status;
  }

  set status(status: number) {
    this.#status = status;
    this.changedStartLine();
  }

  /** Reason-Phrase (UTF-8, may be empty). */
  get reason(): string {
    return this.#reason;
  }

  set reason(reason: string) {
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
      this.startLineRange,
    );
  }
}

export type SipMessageUnion = SipRequest | SipResponse;
