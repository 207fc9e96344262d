/**
 * URIs: `sip:` and `sips:` (RFC 3261 §19.1, §25.1), `tel:` (RFC 3966) and any other absolute URI
 * kept as text. Components keep the text written on the wire (user, password, parameter values
 * keep their %HEX escapes); {@link unescapeUri} decodes them and {@link uriEquals} compares with
 * the rules of RFC 3261 §19.1.4 and RFC 3966 §4.
 *
 * ```ts
 * const uri = parseUri('sip:alice@[2001:db8::1]:5070;transport=tcp');
 * uri.kind === 'sip' && uri.host === '[2001:db8::1]' && uri.port === 5070;
 * ```
 */
import {
  ALPHA,
  CHAR_CLASS,
  DIGIT,
  HEX,
  HNV_UNRESERVED,
  PARAM_UNRESERVED,
  PASSWORD_EXTRA,
  UNRESERVED,
  URIC,
  USER_UNRESERVED,
} from './chars.js';
import { SipParseError, badRequest } from './errors.js';
import { Params } from './params.js';

export type HostKind = 'name' | 'ipv4' | 'ipv6';

const EMPTY_PARAMS = new Params();

/** Fields of a {@link SipUri}; text fields are as on the wire (escaped). */
export interface SipUriInit {
  readonly scheme?: 'sip' | 'sips';
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** Host name, IPv4 address, or IPv6 reference in brackets (`[2001:db8::1]`). */
  readonly host: string;
  readonly port?: number | undefined;
  readonly params?: Params;
  readonly headers?: Params;
}

/** A `sip:` or `sips:` URI (RFC 3261 §19.1.1). */
export class SipUri {
  readonly kind = 'sip' as const;
  readonly scheme: 'sip' | 'sips';
  /** User part as written (escaped), `undefined` when there is no userinfo. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Host as written; IPv6 references keep their brackets. */
  readonly host: string;
  readonly hostKind: HostKind;
  readonly port: number | undefined;
  /** uri-parameters (`;transport=tcp;lr`), values as written. */
  readonly params: Params;
  /** headers (`?subject=x&priority=urgent`), values as written. */
  readonly headers: Params;

  /** `hostKind` is computed from `host` unless given (the parser knows it already). */
  constructor(init: SipUriInit, hostKind?: HostKind) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.hostKind = hostKind ?? hostKindOf(init.host);
    this.port = init.port;
    this.params = init.params ?? EMPTY_PARAMS;
    this.headers = init.headers ?? EMPTY_PARAMS;
  }

  /** A copy with some fields replaced (pass `undefined` to remove user, password or port). */
  with(changes: Partial<SipUriInit>): SipUri {
    return new SipUri({
      scheme: this.scheme,
      user: 'user' in changes ? changes.user : this.user,
      password: 'password' in changes ? changes.password : this.password,
      host: changes.host ?? this.host,
      port: 'port' in changes ? changes.port : this.port,
      params: changes.params ?? this.params,
      headers: changes.headers ?? this.headers,
      ...(changes.scheme === undefined ? {} : { scheme: changes.scheme }),
    });
  }

  /** `host[:port]` */
  get hostport(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  /** Host without IPv6 brackets, as sockets want it. */
  get hostname(): string {
    return this.hostKind === 'ipv6' ? this.host.slice(1, -1) : this.host;
  }

  toString(): string {
    let out = `${this.scheme}:`;
    if (this.user !== undefined) {
      out += this.user;
      if (this.password !== undefined) out += `:${this.password}`;
      out += '@';
    }
    out += this.hostport;
    out += this.params.toString();
    if (this.headers.size > 0) out += `?${this.headers.toString('&').slice(1)}`;
    return out;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** A `tel:` URI (RFC 3966). */
export class TelUri {
  readonly kind = 'tel' as const;
  readonly scheme = 'tel' as const;
  /** The number as written, visual separators included (`+1-201-555-0123`). */
  readonly number: string;
  readonly params: Params;

  constructor(number: string, params: Params = new Params()) {
    this.number = number;
    this.params = params;
  }

  /** A global number starts with `+`; a local one needs a `phone-context`. */
  get global(): boolean {
    return this.number.charCodeAt(0) === 43;
  }

  toString(): string {
    return `tel:${this.number}${this.params.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Any other absolute URI (RFC 3261 §25.1 absoluteURI), kept as text. */
export class AbsoluteUri {
  readonly kind = 'absolute' as const;
  /** Scheme in lower case. */
  readonly scheme: string;
  /** Everything after the first `:`. */
  readonly rest: string;

  constructor(scheme: string, rest: string) {
    this.scheme = scheme.toLowerCase();
    this.rest = rest;
  }

  toString(): string {
    return `${this.scheme}:${this.rest}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

function uriError(message: string, offset: number): SipParseError {
  return new SipParseError('BAD_URI', message, { offset, response: badRequest('Bad URI') });
}

/**
 * Parses a URI. Throws {@link SipParseError} `BAD_URI` (offset into `text`) when it is malformed.
 * `sip`/`sips`/`tel` get their grammar checked; other schemes only need `scheme:` followed by
 * URI characters.
 */
export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw uriError(`URI "${text}" has no scheme`, 0);
  for (let i = 0; i < colon; i++) {
    const c = text.charCodeAt(i);
    const ok =
      c < 128 &&
      ((CHAR_CLASS[c]! & ALPHA) !== 0 ||
        (i > 0 && ((CHAR_CLASS[c]! & DIGIT) !== 0 || c === 43 || c === 45 || c === 46)));
    if (!ok) throw uriError(`URI "${text}" has an invalid scheme`, i);
  }
  const scheme = text.slice(0, colon);
  if (scheme.length <= 4) {
    const lower = scheme.toLowerCase();
    if (lower === 'sip' || lower === 'sips') return parseSipUri(text, colon + 1, lower);
    if (lower === 'tel') return parseTelUri(text, colon + 1);
  }
  if (colon + 1 >= text.length) throw uriError(`URI "${text}" is empty after the scheme`, colon);
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // absoluteURI = scheme ":" ( hier-part / opaque-part ); be liberal with "[]#" seen in practice.
    if (c >= 128 || ((CHAR_CLASS[c]! & URIC) === 0 && c !== 91 && c !== 93 && c !== 35)) {
      throw uriError(`URI "${text}" has an invalid character at ${i}`, i);
    }
  }
  return new AbsoluteUri(scheme, text.slice(colon + 1));
}

/** Checks `text[start, end)` is made of `flags` characters and valid %HEX escapes. */
function checkEscaped(text: string, start: number, end: number, flags: number, what: string): void {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 37) {
      if (i + 2 >= end || !isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) {
        throw uriError(`${what} has a bad %HEX escape at ${i}`, i);
      }
      i += 2;
    } else if (c >= 128 || (CHAR_CLASS[c]! & flags) === 0) {
      throw uriError(`${what} has an invalid character "${text[i]!}" at ${i}`, i);
    }
  }
}

function isHex(c: number): boolean {
  return c < 128 && (CHAR_CLASS[c]! & HEX) !== 0;
}

function parseSipUri(text: string, start: number, scheme: 'sip' | 'sips'): SipUri {
  const end = text.length;
  let user: string | undefined;
  let password: string | undefined;
  let hostStart = start;
  // '@' cannot appear unescaped in params or headers, so the first one ends the userinfo.
  const at = text.indexOf('@', start);
  if (at !== -1) {
    const pw = text.indexOf(':', start);
    const userEnd = pw !== -1 && pw < at ? pw : at;
    if (userEnd === start) throw uriError(`URI "${text}" has an empty user part`, start);
    checkEscaped(text, start, userEnd, UNRESERVED | USER_UNRESERVED, 'URI user part');
    user = text.slice(start, userEnd);
    if (userEnd !== at) {
      checkEscaped(text, userEnd + 1, at, UNRESERVED | PASSWORD_EXTRA, 'URI password');
      password = text.slice(userEnd + 1, at);
    }
    hostStart = at + 1;
  }
  let i = hostStart;
  let hostKind: HostKind;
  if (i < end && text.charCodeAt(i) === 91) {
    const close = text.indexOf(']', i);
    if (close === -1) throw uriError(`URI "${text}" has an unterminated IPv6 reference`, i);
    if (!isIPv6(text.slice(i + 1, close))) {
      throw uriError(`URI "${text}" has an invalid IPv6 reference`, i);
    }
    i = close + 1;
    hostKind = 'ipv6';
  } else {
    // One pass: hostname = *( domainlabel "." ) toplabel [ "." ], or an IPv4 address (§25.1).
    // Labels may also hold "_", which real deployments use.
    let labelStart = i;
    let labelFirst = -1;
    let prevLabelFirst = -1;
    let numeric = true;
    let valid = true;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 58 || c === 59 || c === 63) break;
      if (c === 46) {
        if (i === labelStart) valid = false;
        prevLabelFirst = labelFirst;
        labelStart = i + 1;
      } else {
        const cls = c < 128 ? CHAR_CLASS[c]! : 0;
        if ((cls & ALPHA) !== 0 || c === 45 || c === 95) numeric = false;
        else if ((cls & DIGIT) === 0) valid = false;
        if (i === labelStart) labelFirst = c;
      }
      i++;
    }
    // A trailing dot ends the name: the top label is the one before it.
    const topFirst = labelStart === i ? prevLabelFirst : labelFirst;
    if (labelStart === i && (i === hostStart || labelStart - 1 === hostStart)) valid = false;
    if (numeric) {
      hostKind = 'ipv4';
      if (!isIPv4(text.slice(hostStart, i))) valid = false;
    } else {
      hostKind = 'name';
      if (topFirst === -1 || topFirst >= 128 || (CHAR_CLASS[topFirst]! & ALPHA) === 0)
        valid = false;
    }
    if (!valid || i === hostStart) {
      throw uriError(`URI "${text}" has an invalid host "${text.slice(hostStart, i)}"`, hostStart);
    }
  }
  const host = text.slice(hostStart, i);
  let port: number | undefined;
  if (i < end && text.charCodeAt(i) === 58) {
    const portStart = ++i;
    let value = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    if (i === portStart || i - portStart > 5 || value > 65535) {
      throw uriError(`URI "${text}" has an invalid port`, portStart);
    }
    port = value;
  }
  let params: Params | undefined;
  if (i < end && text.charCodeAt(i) === 59) {
    const names: string[] = [];
    const values: (string | null)[] = [];
    while (i < end && text.charCodeAt(i) === 59) {
      const nameStart = ++i;
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c === 61 || c === 59 || c === 63) break;
        i++;
      }
      if (i === nameStart) throw uriError(`URI "${text}" has an empty parameter name`, i);
      checkEscaped(text, nameStart, i, UNRESERVED | PARAM_UNRESERVED, 'URI parameter');
      names.push(text.slice(nameStart, i));
      if (i < end && text.charCodeAt(i) === 61) {
        const valueStart = ++i;
        while (i < end) {
          const c = text.charCodeAt(i);
          if (c === 59 || c === 63) break;
          i++;
        }
        if (i === valueStart) throw uriError(`URI "${text}" has an empty parameter value`, i);
        checkEscaped(text, valueStart, i, UNRESERVED | PARAM_UNRESERVED, 'URI parameter');
        values.push(text.slice(valueStart, i));
      } else values.push(null);
    }
    params = new Params(names, values);
  }
  let headers: Params | undefined;
  if (i < end && text.charCodeAt(i) === 63) {
    const names: string[] = [];
    const values: (string | null)[] = [];
    do {
      const nameStart = ++i;
      while (i < end && text.charCodeAt(i) !== 61 && text.charCodeAt(i) !== 38) i++;
      if (i === nameStart || text.charCodeAt(i) !== 61) {
        throw uriError(`URI "${text}" has a header without "="`, i);
      }
      checkEscaped(text, nameStart, i, UNRESERVED | HNV_UNRESERVED, 'URI header');
      names.push(text.slice(nameStart, i));
      const valueStart = ++i;
      while (i < end && text.charCodeAt(i) !== 38) i++;
      checkEscaped(text, valueStart, i, UNRESERVED | HNV_UNRESERVED, 'URI header');
      values.push(text.slice(valueStart, i));
    } while (i < end && text.charCodeAt(i) === 38);
    headers = new Params(names, values);
  }
  if (i !== end) throw uriError(`URI "${text}" has unexpected text at ${i}`, i);
  return new SipUri(
    {
      scheme,
      user,
      password,
      host,
      port,
      params: params ?? EMPTY_PARAMS,
      headers: headers ?? EMPTY_PARAMS,
    },
    hostKind,
  );
}

function parseTelUri(text: string, start: number): TelUri {
  const end = text.length;
  let i = start;
  const global = text.charCodeAt(i) === 43;
  if (global) i++;
  let digits = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 59) break;
    const isVisual = c === 45 || c === 46 || c === 40 || c === 41;
    const isDigit = c >= 48 && c <= 57;
    const isLocalOnly = !global && (isHex(c) || c === 42 || c === 35);
    if (!isVisual && !isDigit && !isLocalOnly) {
      throw uriError(`tel URI "${text}" has an invalid character at ${i}`, i);
    }
    if (!isVisual) digits++;
    i++;
  }
  if (digits === 0) throw uriError(`tel URI "${text}" has no digits`, start);
  const number = text.slice(start, i);
  const names: string[] = [];
  const values: (string | null)[] = [];
  while (i < end && text.charCodeAt(i) === 59) {
    const nameStart = ++i;
    while (i < end && text.charCodeAt(i) !== 61 && text.charCodeAt(i) !== 59) i++;
    if (i === nameStart) throw uriError(`tel URI "${text}" has an empty parameter name`, i);
    checkEscaped(text, nameStart, i, UNRESERVED | PARAM_UNRESERVED, 'tel URI parameter');
    names.push(text.slice(nameStart, i));
    if (i < end && text.charCodeAt(i) === 61) {
      const valueStart = ++i;
      while (i < end && text.charCodeAt(i) !== 59) i++;
      checkEscaped(text, valueStart, i, UNRESERVED | PARAM_UNRESERVED, 'tel URI parameter');
      values.push(text.slice(valueStart, i));
    } else values.push(null);
  }
  const params = new Params(names, values);
  // RFC 3966 §5.1.5: a local number needs a phone-context.
  if (!global && !params.has('phone-context')) {
    throw uriError(`tel URI "${text}" is a local number without phone-context`, start);
  }
  return new TelUri(number, params);
}

function hostKindOf(host: string): HostKind {
  if (host.charCodeAt(0) === 91) return 'ipv6';
  return isIPv4(host) ? 'ipv4' : 'name';
}

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each ≤ 255. */
export function isIPv4(s: string): boolean {
  let parts = 0;
  let i = 0;
  while (parts < 4) {
    const start = i;
    let value = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    if (i === start || i - start > 3 || value > 255) return false;
    parts++;
    if (parts < 4) {
      if (s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  return i === s.length;
}

/** IPv6address of RFC 3261 §25.1 as corrected by RFC 5954 (no brackets). */
export function isIPv6(s: string): boolean {
  if (s.length < 2) return false;
  let groups = 0;
  let doubleColon = false;
  let i = 0;
  if (s.startsWith('::')) {
    doubleColon = true;
    i = 2;
    if (i === s.length) return true;
  } else if (s.charCodeAt(0) === 58) return false;
  while (i < s.length) {
    const start = i;
    while (i < s.length && isHex(s.charCodeAt(i))) i++;
    const len = i - start;
    if (i < s.length && s.charCodeAt(i) === 46) {
      // Trailing IPv4 part counts as two groups.
      if (!isIPv4(s.slice(start))) return false;
      groups += 2;
      break;
    }
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (s.charCodeAt(i) === 58) {
      if (doubleColon) return false;
      doubleColon = true;
      i++;
      if (i === s.length) break;
    } else if (i === s.length) return false;
  }
  return doubleColon ? groups <= 7 : groups === 8;
}

/** Decodes %HEX escapes into a string of UTF-8 text (invalid UTF-8 becomes U+FFFD). */
export function unescapeUri(s: string): string {
  if (s.indexOf('%') === -1) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 128) bytes.push(c);
    else for (const b of new TextEncoder().encode(s[i])) bytes.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** %HEX-escapes every character of `s` outside `allowed` (UTF-8 for non-ASCII). */
function escapeWith(s: string, allowed: number): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 128 && c !== 37 && (CHAR_CLASS[c]! & allowed) !== 0) out += ch;
    else
      for (const b of new TextEncoder().encode(ch))
        out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Escapes a user part for a SIP URI (RFC 3261 §25.1 user). */
export function escapeUser(s: string): string {
  return escapeWith(s, UNRESERVED | USER_UNRESERVED);
}

/** Escapes a URI parameter name or value (RFC 3261 §25.1 paramchar). */
export function escapeParam(s: string): string {
  return escapeWith(s, UNRESERVED | PARAM_UNRESERVED);
}

/** Escapes a URI header name or value (RFC 3261 §25.1 hnv-unreserved). */
export function escapeHeader(s: string): string {
  return escapeWith(s, UNRESERVED | HNV_UNRESERVED);
}

/** Decodes every %HEX escape to one char per byte, so equal octet sequences compare equal. */
function octets(s: string): string {
  if (s.indexOf('%') === -1) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (
      s.charCodeAt(i) === 37 &&
      i + 2 < s.length &&
      isHex(s.charCodeAt(i + 1)) &&
      isHex(s.charCodeAt(i + 2))
    ) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += s[i]!;
  }
  return out;
}

/** Expands an IPv6 reference to eight groups so equal addresses compare equal. */
function canonicalIPv6(host: string): string {
  let s = (host.charCodeAt(0) === 91 ? host.slice(1, -1) : host).toLowerCase();
  const tail: string[] = [];
  if (s.indexOf('.') !== -1) {
    const lastColon = s.lastIndexOf(':');
    const v4 = s
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    tail.push(((v4[0]! << 8) | v4[1]!).toString(16), ((v4[2]! << 8) | v4[3]!).toString(16));
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const split = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const dc = s.indexOf('::');
  let groups: string[];
  if (dc === -1) groups = split(s);
  else {
    const a = split(s.slice(0, dc));
    const b = split(s.slice(dc + 2));
    const fill = 8 - tail.length - a.length - b.length;
    groups = [...a, ...new Array<string>(Math.max(0, fill)).fill('0'), ...b];
  }
  return [...groups, ...tail].map((g) => parseInt(g, 16).toString(16)).join(':');
}

function hostsEqual(a: SipUri, b: SipUri): boolean {
  if (a.hostKind !== b.hostKind) return false;
  if (a.hostKind === 'ipv6') return canonicalIPv6(a.host) === canonicalIPv6(b.host);
  return a.host.toLowerCase().replace(/\.$/, '') === b.host.toLowerCase().replace(/\.$/, '');
}

/** Parameters that must match when present in either URI (RFC 3261 §19.1.4). */
const SIGNIFICANT_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

function paramValueEquals(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return octets(a).toLowerCase() === octets(b).toLowerCase();
}

/**
 * URI equivalence. SIP/SIPS per RFC 3261 §19.1.4: scheme, user and password compared exactly
 * after unescaping, host case-insensitively, ports must both be absent or equal, the user, ttl,
 * method, maddr and transport parameters must match when either has them, other parameters
 * only when both do, and URI headers must all match. tel per RFC 3966 §4. Other schemes compare
 * as text with a case-insensitive scheme.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind === 'sip' && b.kind === 'sip') {
    if (a.scheme !== b.scheme) return false;
    if ((a.user === undefined) !== (b.user === undefined)) return false;
    if (a.user !== undefined && octets(a.user) !== octets(b.user!)) return false;
    if ((a.password === undefined) !== (b.password === undefined)) return false;
    if (a.password !== undefined && octets(a.password) !== octets(b.password!)) return false;
    if (!hostsEqual(a, b)) return false;
    if (a.port !== b.port) return false;
    for (const [name, value] of a.params.entries()) {
      const other = b.params.raw(name);
      if (other === undefined) {
        if (SIGNIFICANT_PARAMS.includes(name.toLowerCase())) return false;
        continue;
      }
      if (!paramValueEquals(value, other)) return false;
    }
    for (const [name] of b.params.entries()) {
      if (SIGNIFICANT_PARAMS.includes(name.toLowerCase()) && !a.params.has(name)) return false;
    }
    if (a.headers.size !== b.headers.size) return false;
    for (const [name, value] of a.headers.entries()) {
      const other = b.headers.raw(name);
      if (other === undefined || other === null || value === null) return false;
      if (octets(value) !== octets(other)) return false;
    }
    return true;
  }
  if (a.kind === 'tel' && b.kind === 'tel') {
    if (telDigits(a.number) !== telDigits(b.number)) return false;
    if (a.params.size !== b.params.size) return false;
    for (const [name, value] of a.params.entries()) {
      const other = b.params.raw(name);
      if (other === undefined || !paramValueEquals(value, other)) return false;
    }
    return true;
  }
  if (a.kind === 'absolute' && b.kind === 'absolute') {
    return a.scheme === b.scheme && a.rest === b.rest;
  }
  return false;
}

/** The digits of a telephone number without visual separators, hex digits upper-cased. */
function telDigits(number: string): string {
  return number.replace(/[-.()]/g, '').toUpperCase();
}
