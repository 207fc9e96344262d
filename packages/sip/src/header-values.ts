/**
 * Typed header values (RFC 3261 §20, §25.1 and the extension RFCs named beside each type) and
 * their parsers. Parsers take the header value as text (folding already unfolded) and throw
 * {@link SipParseError} `BAD_HEADER_VALUE` with the offset in that text. Value objects are
 * immutable; `with…()` returns a changed copy and `toString()` gives the wire form.
 */
import { CHAR_CLASS, TOKEN, isLws } from './chars.js';
import { SipParseError, badRequest } from './errors.js';
import { ABSENT, Params, quote, unquote } from './params.js';
import { SipUri, parseUri, type Uri } from './uri.js';

/** @internal The params of a value without any (shared; `Params` is immutable). */
export const EMPTY_PARAMS = new Params();

/**
 * The parameters at `text[start, end)` of a value the scanner checked (see `Params.unsplit`, with
 * the parameter it located), or the shared empty ones.
 */
function paramsInText(
  text: string,
  start: number,
  end: number,
  known: string,
  knownStart: number,
  knownEnd: number,
): Params {
  return start === end
    ? EMPTY_PARAMS
    : Params.unsplit(text, start, end, known, knownStart, knownEnd);
}

/** Token characters, and gen-value characters (token plus ":[]" of IPv6 hosts), as 0/1 tables. */
const TOKEN_CHARS = new Uint8Array(128);
const GEN_VALUE_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  TOKEN_CHARS[c] = (CHAR_CLASS[c]! & TOKEN) === 0 ? 0 : 1;
  GEN_VALUE_CHARS[c] = TOKEN_CHARS[c] === 1 || c === 58 || c === 91 || c === 93 ? 1 : 0;
}
const PLACEHOLDER_URI = new SipUri({ host: 'invalid' });

/** Parameter names seen on nearly every message, by length (see `Cursor.paramName`). */
const COMMON_PARAMS: (readonly string[] | undefined)[] = [];
for (const name of ['tag', 'branch', 'rport', 'received', 'lr', 'transport', 'expires', 'user']) {
  COMMON_PARAMS[name.length] = [...(COMMON_PARAMS[name.length] ?? []), name];
}

/** A text cursor for one header value. */
class Cursor {
  i = 0;
  constructor(
    readonly s: string,
    readonly header: string,
  ) {}

  get end(): number {
    return this.s.length;
  }

  get done(): boolean {
    return this.i >= this.s.length;
  }

  peek(): number {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }

  /** Skips LWS (SP, HTAB and any CR/LF left from folding). */
  skipLws(): void {
    const s = this.s;
    let i = this.i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      i++;
    }
    this.i = i;
  }

  /** SWS c SWS: consumes `c` with the whitespace around it; false (nothing consumed) otherwise. */
  sep(c: number): boolean {
    const start = this.i;
    this.skipLws();
    if (this.peek() === c) {
      this.i++;
      this.skipLws();
      return true;
    }
    this.i = start;
    return false;
  }

  expect(c: number, what: string): void {
    if (!this.sep(c)) this.fail(`expected ${what}`);
  }

  token(what: string): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c >= 128 || TOKEN_CHARS[c] === 0) break;
      i++;
    }
    if (i === start) this.fail(`expected ${what}`);
    this.i = i;
    return s.slice(start, i);
  }

  /** A parameter name; the common ones as shared constants rather than new strings. */
  paramName(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c >= 128 || TOKEN_CHARS[c] === 0) break;
      i++;
    }
    if (i === start) this.fail('expected a parameter name');
    this.i = i;
    const length = i - start;
    const common = COMMON_PARAMS[length];
    if (common !== undefined) {
      // Char by char: startsWith on the sliced value string costs more than the whole compare.
      outer: for (let k = 0; k < common.length; k++) {
        const known = common[k]!;
        for (let j = 0; j < length; j++)
          if (s.charCodeAt(start + j) !== known.charCodeAt(j)) continue outer;
        return known;
      }
    }
    return s.slice(start, i);
  }

  /** A quoted-string, returned with its quotes and escapes as written. */
  quoted(): string {
    const s = this.s;
    const start = this.i;
    let i = start + 1;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        return s.slice(start, i + 1);
      }
      if (c === 92) i++;
      i++;
    }
    return this.fail('unterminated quoted-string');
  }

  /** gen-value = token / host / quoted-string; hosts may be IPv6 references with brackets. */
  genValue(): string {
    if (this.peek() === 34) return this.quoted();
    const s = this.s;
    const start = this.i;
    let i = start;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c >= 128 || GEN_VALUE_CHARS[c] === 0) {
        break;
      }
      i++;
    }
    if (i === start) this.fail('expected a parameter value');
    this.i = i;
    return s.slice(start, i);
  }

  /** *( SEMI generic-param ) */
  params(): Params {
    if (!this.sepPeek(59)) return EMPTY_PARAMS;
    const names: string[] = [];
    const values: (string | null)[] = [];
    while (this.sep(59)) {
      names.push(this.paramName());
      if (this.sep(61)) values.push(this.genValue());
      else values.push(null);
    }
    return new Params(names, values);
  }

  /** True when the next non-LWS character is `c` (nothing consumed). */
  sepPeek(c: number): boolean {
    const s = this.s;
    let i = this.i;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d !== 32 && d !== 9 && d !== 13 && d !== 10) return d === c;
      i++;
    }
    return false;
  }

  /** After one list element: true if a comma follows, false at the end, error otherwise. */
  nextElement(): boolean {
    if (this.sep(44)) return true;
    this.skipLws();
    if (!this.done) this.fail('unexpected text');
    return false;
  }

  /** comment = LPAREN *(ctext / quoted-pair / comment) RPAREN; returns the text inside. */
  comment(): string {
    const s = this.s;
    const start = this.i;
    let depth = 0;
    let i = start;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 92) i++;
      else if (c === 40) depth++;
      else if (c === 41 && --depth === 0) {
        this.i = i + 1;
        return s.slice(start + 1, i);
      }
      i++;
    }
    return this.fail('unterminated comment');
  }

  fail(message: string): never {
    throw new SipParseError(
      'BAD_HEADER_VALUE',
      `${this.header}: ${message} at offset ${this.i} of "${this.s}"`,
      { offset: this.i, header: this.header, response: badRequest(`Bad ${this.header} header`) },
    );
  }
}

// ---------------------------------------------------------------- Via (RFC 3261 §20.42, RFC 3581)

/** One Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`. */
export class Via {
  /** `SIP/2.0` as written. */
  readonly protocol: string;
  readonly port: number | undefined;
  #transport: string | undefined;
  #host: string | undefined;
  #params: Params | undefined;
  /**
   * A Via read from a message (see {@link Via.fromText}) makes its transport, host and params
   * from `#text` on first access; the branch needs no `Params`. `#text` is `undefined` otherwise.
   */
  #text: string | undefined;
  #transportStart: number;
  #transportEnd: number;
  #hostEnd: number;
  #paramsStart: number;
  #paramsEnd: number;
  #branchStart: number;
  #branchEnd: number;

  constructor(init: {
    protocol?: string;
    transport: string;
    host: string;
    port?: number | undefined;
    params?: Params;
  }) {
    this.protocol = init.protocol ?? 'SIP/2.0';
    this.port = init.port;
    this.#transport = init.transport;
    this.#host = init.host;
    this.#params = init.params ?? new Params();
    this.#text = undefined;
    this.#transportStart = 0;
    this.#transportEnd = 0;
    this.#hostEnd = 0;
    this.#paramsStart = 0;
    this.#paramsEnd = 0;
    this.#branchStart = ABSENT;
    this.#branchEnd = ABSENT;
  }

  /**
   * @internal A `SIP/2.0` Via whose parts are in `text`, already checked: the transport at
   * `[transportStart, transportEnd)`, the host from after the SP that follows to `hostEnd`,
   * parameters as unsplit wire text at `[paramsStart, paramsEnd)` (see `Params.unsplit`) with
   * the first `branch` value at `[branchStart, branchEnd)` or `branchStart` {@link ABSENT}.
   */
  static fromText(
    text: string,
    transportStart: number,
    transportEnd: number,
    hostEnd: number,
    port: number | undefined,
    paramsStart: number,
    paramsEnd: number,
    branchStart = ABSENT,
    branchEnd = ABSENT,
  ): Via {
    const via = new Via({ transport: '', host: '', port, params: EMPTY_PARAMS });
    via.#transport = undefined;
    via.#host = undefined;
    via.#params = undefined;
    via.#text = text;
    via.#transportStart = transportStart;
    via.#transportEnd = transportEnd;
    via.#hostEnd = hostEnd;
    via.#paramsStart = paramsStart;
    via.#paramsEnd = paramsEnd;
    via.#branchStart = branchStart;
    via.#branchEnd = branchEnd;
    return via;
  }

  /** Transport as written (`UDP`, `TCP`, `TLS`, `WS`, `WSS`, `SCTP`, or any token). */
  get transport(): string {
    return (this.#transport ??= this.#text!.substring(this.#transportStart, this.#transportEnd));
  }

  get host(): string {
    return (this.#host ??= this.#text!.substring(this.#transportEnd + 1, this.#hostEnd));
  }

  get params(): Params {
    return (this.#params ??= paramsInText(
      this.#text!,
      this.#paramsStart,
      this.#paramsEnd,
      'branch',
      this.#branchStart,
      this.#branchEnd,
    ));
  }

  get branch(): string | undefined {
    if (this.#params === undefined) {
      // Read from a message: found by the scanner (a branch always has a value there).
      const start = this.#branchStart;
      return start >= 0 ? this.#text!.substring(start, this.#branchEnd) : undefined;
    }
    const v = this.#params.get('branch');
    return v ?? undefined;
  }

  /** `received` (RFC 3261 §18.2.1), brackets of an IPv6 reference kept as written. */
  get received(): string | undefined {
    const v = this.params.get('received');
    return v ?? undefined;
  }

  /** `rport` (RFC 3581): the port number, `null` when present without value, else `undefined`. */
  get rport(): number | null | undefined {
    const v = this.params.get('rport');
    if (v === undefined || v === null) return v;
    return Number(v);
  }

  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }

  get ttl(): number | undefined {
    const v = this.params.get('ttl');
    return v === undefined || v === null ? undefined : Number(v);
  }

  /** `host[:port]` */
  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  /** A copy with parameter `name` set (`null` for a flag), e.g. `via.withParam('received', ip)`. */
  withParam(name: string, value: string | null): Via {
    return new Via({ ...this.#init(), params: this.params.with(name, value) });
  }

  withoutParam(name: string): Via {
    return new Via({ ...this.#init(), params: this.params.without(name) });
  }

  #init(): { protocol: string; transport: string; host: string; port: number | undefined } {
    return { protocol: this.protocol, transport: this.transport, host: this.host, port: this.port };
  }

  toString(): string {
    return `${this.protocol}/${this.transport} ${this.sentBy}${this.params.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Parses a Via header value (one or more comma-separated via-parms). */
export function parseVia(text: string, header = 'Via'): Via[] {
  const c = new Cursor(text, header);
  const out: Via[] = [];
  c.skipLws();
  do {
    let protocol: string;
    if (isSip20Slash(text, c.i)) {
      protocol = 'SIP/2.0';
      c.i += 8;
    } else {
      const name = c.token('protocol name');
      c.expect(47, '"/"');
      const version = c.token('protocol version');
      c.expect(47, '"/"');
      protocol = `${name}/${version}`;
    }
    const transport = c.token('transport');
    c.skipLws();
    const hostStart = c.i;
    let host: string;
    if (c.peek() === 91) {
      const close = text.indexOf(']', c.i);
      if (close === -1) c.fail('unterminated IPv6 reference');
      host = text.slice(c.i, close + 1);
      c.i = close + 1;
    } else {
      host = c.token('sent-by host');
    }
    if (host.length === 0) c.i = hostStart;
    let port: number | undefined;
    if (c.sep(58)) port = parsePort(c);
    const params = c.params();
    if (params.has('branch') && params.get('branch') === null) c.fail('branch without value');
    out.push(new Via({ protocol, transport, host, port, params }));
  } while (c.nextElement());
  return out;
}

/** `text` has `SIP/2.0/` at `i` (compared by char code: cheaper than startsWith on a slice). */
function isSip20Slash(text: string, i: number): boolean {
  return (
    text.charCodeAt(i) === 83 &&
    text.charCodeAt(i + 1) === 73 &&
    text.charCodeAt(i + 2) === 80 &&
    text.charCodeAt(i + 3) === 47 &&
    text.charCodeAt(i + 4) === 50 &&
    text.charCodeAt(i + 5) === 46 &&
    text.charCodeAt(i + 6) === 48 &&
    text.charCodeAt(i + 7) === 47
  );
}

function parsePort(c: Cursor): number {
  const start = c.i;
  let value = 0;
  while (c.i < c.end) {
    const d = c.s.charCodeAt(c.i);
    if (d < 48 || d > 57) break;
    value = value * 10 + (d - 48);
    c.i++;
  }
  if (c.i === start || c.i - start > 5 || value > 65535) {
    c.i = start;
    c.fail('invalid port');
  }
  return value;
}

// -------------------------------------------------- name-addr (From, To, Contact, Route, ...)

/**
 * `["display name"] <uri>;params` or `uri;params` (RFC 3261 §25.1 name-addr / addr-spec), as
 * used by From, To, Contact, Route, Record-Route, Reply-To, Refer-To, Referred-By, P-Asserted-Identity.
 */
export class NameAddr {
  #displayName: string | undefined;
  #params: Params | undefined;
  #uri: Uri | undefined;
  /** URI text not parsed yet (parsed on first access to `uri`), and the header it came from. */
  #uriText: string | undefined;
  #header: string;
  /**
   * An address read from a message (see {@link NameAddr.fromText}) takes its display name, URI
   * text and params from `#text` on first access (a start of -1: nothing pending); the tag needs
   * no `Params`. `#text` is `undefined` otherwise.
   */
  #text: string | undefined;
  #nameStart: number;
  #nameEnd: number;
  #uriStart: number;
  #uriEnd: number;
  #paramsEnd: number;
  #tagStart: number;
  #tagEnd: number;

  constructor(uri: Uri, params: Params = EMPTY_PARAMS, displayName?: string) {
    this.#uri = uri;
    this.#uriText = undefined;
    this.#header = '';
    this.#params = params;
    this.#displayName = displayName;
    this.#text = undefined;
    this.#nameStart = -1;
    this.#nameEnd = -1;
    this.#uriStart = -1;
    this.#uriEnd = -1;
    this.#paramsEnd = -1;
    this.#tagStart = ABSENT;
    this.#tagEnd = ABSENT;
  }

  /** @internal An address whose URI text is parsed on first access to `uri`. */
  static lazy(
    uriText: string,
    params: Params,
    displayName: string | undefined,
    header: string,
  ): NameAddr {
    const value = new NameAddr(PLACEHOLDER_URI, params, displayName);
    value.#uri = undefined;
    value.#uriText = uriText;
    value.#header = header;
    return value;
  }

  /**
   * @internal An address whose parts are in `text`, already checked: the display name at
   * `[nameStart, nameEnd)` (`nameStart` -1 for none), the URI at `[uriStart, uriEnd)`, then
   * parameters as unsplit wire text (see `Params.unsplit`) from after the ">" to `paramsEnd`,
   * with the first `tag` value at `[tagStart, tagEnd)` or `tagStart` {@link ABSENT} or
   * {@link NO_VALUE}. The URI is parsed on first access to `uri`.
   */
  static fromText(
    text: string,
    nameStart: number,
    nameEnd: number,
    uriStart: number,
    uriEnd: number,
    paramsEnd: number,
    tagStart = ABSENT,
    tagEnd = ABSENT,
    header: string,
  ): NameAddr {
    const value = new NameAddr(PLACEHOLDER_URI);
    value.#uri = undefined;
    value.#params = undefined;
    value.#header = header;
    value.#text = text;
    value.#nameStart = nameStart;
    value.#nameEnd = nameEnd;
    value.#uriStart = uriStart;
    value.#uriEnd = uriEnd;
    value.#paramsEnd = paramsEnd;
    value.#tagStart = tagStart;
    value.#tagEnd = tagEnd;
    return value;
  }

  /** Display name, unquoted; `undefined` when absent. */
  get displayName(): string | undefined {
    const start = this.#nameStart;
    if (start >= 0) {
      this.#displayName = this.#text!.substring(start, this.#nameEnd);
      this.#nameStart = -1;
    }
    return this.#displayName;
  }

  /** Header parameters after the address (`tag`, `expires`, `q`, `lr` lives in the URI). */
  get params(): Params {
    return (this.#params ??= paramsInText(
      this.#text!,
      this.#uriEnd + 1,
      this.#paramsEnd,
      'tag',
      this.#tagStart,
      this.#tagEnd,
    ));
  }

  /** The address. Parsed on first access; throws `SipParseError` when malformed. */
  get uri(): Uri {
    let uri = this.#uri;
    if (uri === undefined) {
      const text = this.uriText;
      try {
        uri = parseUri(text);
      } catch (e) {
        const c = new Cursor(text, this.#header);
        c.i = e instanceof SipParseError ? e.offset : 0;
        return c.fail(e instanceof Error ? e.message : 'bad URI');
      }
      this.#uri = uri;
      this.#uriText = undefined;
    }
    return uri;
  }

  /** The URI as text, without parsing it. */
  get uriText(): string {
    const start = this.#uriStart;
    if (start >= 0) {
      this.#uriText = this.#text!.substring(start, this.#uriEnd);
      this.#uriStart = -1;
    }
    return this.#uriText ?? this.#uri!.toString();
  }

  /** The `tag` parameter (RFC 3261 §19.3). */
  get tag(): string | undefined {
    if (this.#params === undefined) {
      // Read from a message: found by the scanner.
      const start = this.#tagStart;
      return start >= 0 ? this.#text!.substring(start, this.#tagEnd) : undefined;
    }
    return this.#params.get('tag') ?? undefined;
  }

  /** Contact `expires` parameter (RFC 3261 §20.10). */
  get expires(): number | undefined {
    const v = this.params.get('expires');
    return v === undefined || v === null ? undefined : Number(v);
  }

  /** Contact `q` parameter (RFC 3261 §20.10). */
  get q(): number | undefined {
    const v = this.params.get('q');
    return v === undefined || v === null ? undefined : Number(v);
  }

  withTag(tag: string): NameAddr {
    return this.withParam('tag', tag);
  }

  withParam(name: string, value: string | null): NameAddr {
    return new NameAddr(this.uri, this.params.with(name, value), this.displayName);
  }

  withoutParam(name: string): NameAddr {
    return new NameAddr(this.uri, this.params.without(name), this.displayName);
  }

  withUri(uri: Uri): NameAddr {
    return new NameAddr(uri, this.params, this.displayName);
  }

  /** Always the `<uri>` form, so URI parameters and header parameters cannot be confused. */
  toString(): string {
    const name = this.displayName === undefined ? '' : `${quote(this.displayName)} `;
    return `${name}<${this.uriText}>${this.params.toString()}`;
  }

  toJSON(): { displayName?: string; uri: string; params: Record<string, string | null> } {
    return {
      ...(this.displayName === undefined ? {} : { displayName: this.displayName }),
      uri: this.uriText,
      params: this.params.toJSON(),
    };
  }
}

function parseNameAddrAt(c: Cursor): NameAddr {
  c.skipLws();
  const s = c.s;
  let displayName: string | undefined;
  let bracketed = false;
  const first = c.peek();
  if (first === 34) {
    displayName = unquote(c.quoted());
    c.skipLws();
    if (c.peek() !== 60) c.fail('expected "<" after the display name');
    bracketed = true;
  } else if (first === 60) {
    bracketed = true;
  } else {
    // Either display-name tokens before "<", or an addr-spec (a token followed by ":").
    const start = c.i;
    c.token('an address');
    if (c.peek() !== 58) {
      let end = c.i; // after the last token: the name without the whitespace before "<"
      for (;;) {
        c.skipLws();
        const d = c.peek();
        if (d === 60) break;
        if (d >= 128 || d === -1 || (CHAR_CLASS[d]! & TOKEN) === 0) {
          c.fail('expected "<" after the display name (quote it if it has special characters)');
        }
        c.token('display name');
        end = c.i;
      }
      displayName = s.slice(start, end);
      bracketed = true;
    } else c.i = start;
  }
  let uriText: string;
  if (bracketed) {
    c.i++; // "<"
    const close = s.indexOf('>', c.i);
    if (close === -1) c.fail('missing ">"');
    uriText = s.slice(c.i, close);
    if (uriText.length === 0 || isLws(s.charCodeAt(c.i)) || isLws(s.charCodeAt(close - 1))) {
      c.fail('whitespace inside "<>"');
    }
    c.i = close + 1;
  } else {
    // addr-spec: the URI ends at ";", "," or whitespace and may not contain "?" (§20).
    const start = c.i;
    let i = start;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === 59 || d === 44 || d === 32 || d === 9 || d === 13 || d === 10) break;
      if (d === 63) {
        c.i = i;
        c.fail('a URI with "?" must be enclosed in "<>"');
      }
      i++;
    }
    if (i === start) c.fail('expected an address');
    uriText = s.slice(start, i);
    c.i = i;
  }
  return NameAddr.lazy(uriText, c.params(), displayName, c.header);
}

/** Parses a single name-addr/addr-spec with parameters (From, To, Refer-To, Referred-By). */
export function parseNameAddr(text: string, header = 'From'): NameAddr {
  const c = new Cursor(text, header);
  const value = parseNameAddrAt(c);
  c.skipLws();
  if (!c.done) c.fail('unexpected text after the address');
  return value;
}

/** Parses a comma-separated list of name-addrs (Route, Record-Route, Contact, Path). */
export function parseNameAddrList(text: string, header = 'Route'): NameAddr[] {
  const c = new Cursor(text, header);
  const out: NameAddr[] = [];
  do out.push(parseNameAddrAt(c));
  while (c.nextElement());
  return out;
}

/** A Contact header value: `*` or a list of addresses (RFC 3261 §20.10). */
export type ContactValue = '*' | NameAddr[];

export function parseContact(text: string): ContactValue {
  if (text.trim() === '*') return '*';
  return parseNameAddrList(text, 'Contact');
}

// ------------------------------------------------------------------------------ CSeq (§20.16)

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

const MAX_UINT32 = 0xffffffff;

/** Parses a 32-bit unsigned decimal (leading zeros allowed, §25.1 1*DIGIT, < 2^32). */
function uint32(c: Cursor, what: string): number {
  const start = c.i;
  let value = 0;
  while (c.i < c.end) {
    const d = c.s.charCodeAt(c.i);
    if (d < 48 || d > 57) break;
    value = value * 10 + (d - 48);
    c.i++;
  }
  if (c.i === start) c.fail(`expected ${what}`);
  if (value > MAX_UINT32) {
    c.i = start;
    c.fail(`${what} exceeds 2^32-1`);
  }
  return value;
}

export function parseCSeq(text: string): CSeq {
  const c = new Cursor(text, 'CSeq');
  c.skipLws();
  const seq = uint32(c, 'sequence number');
  const before = c.i;
  c.skipLws();
  if (c.i === before) c.fail('expected whitespace before the method');
  const method = c.token('method');
  c.skipLws();
  if (!c.done) c.fail('unexpected text');
  return { seq, method };
}

/** Parses a header holding one unsigned integer < 2^32 (Expires, Content-Length, RSeq, ...). */
export function parseUint(text: string, header: string, max = MAX_UINT32): number {
  const c = new Cursor(text, header);
  c.skipLws();
  const value = uint32(c, 'a number');
  c.skipLws();
  if (!c.done) c.fail('unexpected text after the number');
  if (value > max) {
    c.i = 0;
    c.fail(`value exceeds ${max}`);
  }
  return value;
}

// ------------------------------------------------------------------ token lists (Allow, ...)

/** Parses a comma-separated token list (Allow, Supported, Require, Proxy-Require, Unsupported). */
export function parseTokenList(text: string, header: string): string[] {
  const c = new Cursor(text, header);
  const out: string[] = [];
  c.skipLws();
  if (c.done) return out; // Allow: and Supported: may be empty
  do out.push(c.token('a token'));
  while (c.nextElement());
  return out;
}

// ------------------------------------------------------------ Content-Type (§20.15, RFC 2045)

export class MediaType {
  readonly type: string;
  readonly subtype: string;
  readonly params: Params;

  constructor(type: string, subtype: string, params: Params = new Params()) {
    this.type = type;
    this.subtype = subtype;
    this.params = params;
  }

  /** `type/subtype` in lower case, e.g. `application/sdp`. */
  get essence(): string {
    return `${this.type}/${this.subtype}`.toLowerCase();
  }

  toString(): string {
    return `${this.type}/${this.subtype}${this.params.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function mediaTypeAt(c: Cursor): MediaType {
  c.skipLws();
  const type = c.token('a media type');
  c.expect(47, '"/"');
  const subtype = c.token('a media subtype');
  return new MediaType(type, subtype, c.params());
}

export function parseMediaType(text: string, header = 'Content-Type'): MediaType {
  const c = new Cursor(text, header);
  const value = mediaTypeAt(c);
  c.skipLws();
  if (!c.done) c.fail('unexpected text');
  return value;
}

/** Accept (§20.1): a possibly empty list of media ranges. */
export function parseMediaTypeList(text: string, header = 'Accept'): MediaType[] {
  const c = new Cursor(text, header);
  c.skipLws();
  if (c.done) return [];
  const out: MediaType[] = [];
  do out.push(mediaTypeAt(c));
  while (c.nextElement());
  return out;
}

// ------------------------------------------------- WWW-Authenticate, Authorization (§20.7, §20.44)

/**
 * A challenge (WWW-Authenticate, Proxy-Authenticate) or credentials (Authorization,
 * Proxy-Authorization): `Digest realm="x", nonce="y", ...`. Parameter values keep their quotes
 * in `params.raw()`; `params.get()` unquotes.
 */
export class AuthValue {
  readonly scheme: string;
  readonly params: Params;

  constructor(scheme: string, params: Params) {
    this.scheme = scheme;
    this.params = params;
  }

  /** A parameter value, unquoted. */
  param(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  /**
   * Builds a value from unquoted parameters; names in `quoted` (default: every one except
   * `algorithm`, `stale`, `nc` and an Authorization `qop`) are written as quoted-strings.
   */
  static build(
    scheme: string,
    params: Readonly<Record<string, string | undefined>>,
    unquotedNames: readonly string[] = ['algorithm', 'stale', 'nc', 'qop'],
  ): AuthValue {
    const names: string[] = [];
    const values: string[] = [];
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      names.push(name);
      values.push(unquotedNames.includes(name) ? value : quote(value));
    }
    return new AuthValue(scheme, new Params(names, values));
  }

  toString(): string {
    return `${this.scheme} ${this.params.toString(', ').slice(2)}`;
  }

  toJSON(): { scheme: string; params: Record<string, string | null> } {
    return { scheme: this.scheme, params: this.params.toJSON() };
  }
}

export function parseAuth(text: string, header = 'Authorization'): AuthValue {
  const c = new Cursor(text, header);
  c.skipLws();
  const scheme = c.token('an auth scheme');
  const names: string[] = [];
  const values: (string | null)[] = [];
  c.skipLws();
  if (!c.done) {
    do {
      names.push(c.token('an auth parameter'));
      c.expect(61, '"="');
      values.push(c.peek() === 34 ? c.quoted() : c.genValue());
    } while (c.nextElement());
  }
  return new AuthValue(scheme, new Params(names, values));
}

// ---------------------------------------------------------------------- Event (RFC 6665 §8.2.1)

export interface EventValue {
  /** event-type, e.g. `refer`, `presence`, `dialog`. */
  readonly event: string;
  readonly id: string | undefined;
  readonly params: Params;
}

export function parseEvent(text: string): EventValue {
  const c = new Cursor(text, 'Event');
  c.skipLws();
  const event = c.token('an event type');
  const params = c.params();
  c.skipLws();
  if (!c.done) c.fail('unexpected text');
  return { event, id: params.get('id') ?? undefined, params };
}

// ---------------------------------------------------------------- Replaces (RFC 3891 §6.1)

export interface Replaces {
  readonly callId: string;
  readonly toTag: string;
  readonly fromTag: string;
  readonly earlyOnly: boolean;
  readonly params: Params;
}

export function parseReplaces(text: string): Replaces {
  const c = new Cursor(text, 'Replaces');
  c.skipLws();
  const start = c.i;
  while (c.i < c.end) {
    const d = c.s.charCodeAt(c.i);
    if (d === 59 || d === 32 || d === 9 || d === 13 || d === 10) break;
    c.i++;
  }
  if (c.i === start) c.fail('expected a Call-ID');
  const callId = text.slice(start, c.i);
  const params = c.params();
  c.skipLws();
  if (!c.done) c.fail('unexpected text');
  const toTag = params.get('to-tag');
  const fromTag = params.get('from-tag');
  if (typeof toTag !== 'string' || typeof fromTag !== 'string') {
    return c.fail('to-tag and from-tag are required');
  }
  return { callId, toTag, fromTag, earlyOnly: params.has('early-only'), params };
}

// ------------------------------------------------------------- RAck (RFC 3262 §7.2)

export interface RAck {
  readonly rseq: number;
  readonly cseq: number;
  readonly method: string;
}

export function parseRAck(text: string): RAck {
  const c = new Cursor(text, 'RAck');
  c.skipLws();
  const rseq = uint32(c, 'response number');
  c.skipLws();
  const cseq = uint32(c, 'CSeq number');
  c.skipLws();
  const method = c.token('method');
  c.skipLws();
  if (!c.done) c.fail('unexpected text');
  return { rseq, cseq, method };
}

// ----------------------------------------------------- Session-Expires (RFC 4028 §4)

export interface SessionExpires {
  readonly delta: number;
  readonly refresher: 'uac' | 'uas' | undefined;
  readonly params: Params;
}

export function parseSessionExpires(text: string, header = 'Session-Expires'): SessionExpires {
  const c = new Cursor(text, header);
  c.skipLws();
  const delta = uint32(c, 'delta-seconds');
  const params = c.params();
  c.skipLws();
  if (!c.done) c.fail('unexpected text');
  const raw = params.get('refresher');
  const refresher = raw === undefined || raw === null ? undefined : raw.toLowerCase();
  if (refresher !== undefined && refresher !== 'uac' && refresher !== 'uas') {
    return c.fail('refresher must be uac or uas');
  }
  return { delta, refresher, params };
}

/** Visible ASCII only: what the loop below accepts, checked natively for the usual case. */
const CALL_ID = /^[\x21-\x7e]+$/;

/** Checks a Call-ID (§25.1 callid = word [ "@" word ]). */
export function parseCallId(text: string): string {
  const value =
    isLws(text.charCodeAt(0)) || isLws(text.charCodeAt(text.length - 1)) ? text.trim() : text;
  if (CALL_ID.test(value)) return value;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i);
    if (d <= 32 || d >= 127) {
      const c = new Cursor(value, 'Call-ID');
      c.i = i;
      c.fail('invalid character in Call-ID');
    }
  }
  if (value.length === 0) new Cursor(value, 'Call-ID').fail('empty Call-ID');
  return value;
}

// ------------------------------------------------------------- Retry-After (RFC 3261 §20.33)

export interface RetryAfter {
  readonly delta: number;
  /** The comment, without its parentheses. */
  readonly comment: string | undefined;
  readonly duration: number | undefined;
  readonly params: Params;
}

/** Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) */
export function parseRetryAfter(text: string): RetryAfter {
  const c = new Cursor(text, 'Retry-After');
  c.skipLws();
  const delta = uint32(c, 'delta-seconds');
  c.skipLws();
  const comment = c.peek() === 40 ? c.comment() : undefined;
  const params = c.params();
  c.skipLws();
  if (!c.done) c.fail('unexpected text');
  const duration = params.get('duration');
  return {
    delta,
    comment,
    duration: typeof duration === 'string' ? Number(duration) : undefined,
    params,
  };
}

// -------------------------------------------- Server, User-Agent (RFC 3261 §20.35, §20.41)

/** One element of a Server or User-Agent header: a product or a comment. */
export type ProductToken =
  { readonly product: string; readonly version: string | undefined } | { readonly comment: string };

/** server-val *(LWS server-val); server-val = product / comment; product = token [SLASH token] */
export function parseProducts(text: string, header = 'User-Agent'): ProductToken[] {
  const c = new Cursor(text, header);
  const out: ProductToken[] = [];
  c.skipLws();
  while (!c.done) {
    if (c.peek() === 40) out.push({ comment: c.comment() });
    else {
      const product = c.token('a product');
      const version = c.sep(47) ? c.token('a product version') : undefined;
      out.push({ product, version });
    }
    c.skipLws();
  }
  return out;
}
