/**
 * Fast paths for the headers every message is asked for (Via, From/To, CSeq, Call-ID): they read
 * the value straight from the message bytes when it has the usual shape and give the same typed
 * value the general parsers in `header-values.ts` give. Anything unusual (whitespace other than
 * the single space the grammar places, quoted parameter values, IPv6 hosts, several values,
 * escapes, non-ASCII bytes, ...) returns `undefined`, and the caller runs the general parser,
 * which also produces every error. So these accept a subset of what the general parsers accept,
 * never more.
 *
 * `start`/`end` are indexes in `src.text` (the value without surrounding whitespace, not folded);
 * byte `src.base + i` is text index `i`.
 *
 * When the WebAssembly scanner already checked the value (the first line of each of these headers,
 * `src.hot`), the same checks having passed there, the value is built from the offsets it
 * recorded instead.
 */
import {
  ALPHA,
  CHAR_CLASS,
  DIGIT,
  PARAM_UNRESERVED,
  TOKEN_BYTE,
  UNRESERVED,
  USER_UNRESERVED,
} from './chars.js';
import { HOT_CALL_ID, HOT_CSEQ, HOT_FROM, HOT_TO, HOT_URI, HOT_VIA } from './header-scan-wasm.js';
import { EMPTY_PARAMS, NameAddr, Via, type CSeq } from './header-values.js';
import type { MessageSource } from './message.js';
import { Params } from './params.js';
import { SipUri, isIPv4 } from './uri.js';
import { COMMON_WORDS } from './common-words.js';

/** Reads a typed value from `src.text[start, end)`, or `undefined` to use the general parser. */
export type Scanner<T> = (
  src: MessageSource,
  start: number,
  end: number,
  header: string,
) => T | undefined;

/** gen-value characters without quotes (token plus ":[]" of IPv6 hosts), by byte. */
const GEN_VALUE_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) GEN_VALUE_BYTE[c] = TOKEN_BYTE[c]!;
GEN_VALUE_BYTE[58] = GEN_VALUE_BYTE[91] = GEN_VALUE_BYTE[93] = 1;

/** The common words as bytes, by length. */
const WORDS_BY_LENGTH: { readonly word: string; readonly bytes: Uint8Array }[][] = [];
for (const word of COMMON_WORDS) {
  (WORDS_BY_LENGTH[word.length] ??= []).push({ word, bytes: new TextEncoder().encode(word) });
}

/** `text[start, end)` as a shared string when it is a common word (compared as bytes). */
export function commonWord(src: MessageSource, start: number, end: number): string {
  const list = WORDS_BY_LENGTH[end - start];
  if (list !== undefined) {
    const bytes = src.bytes;
    const at = src.base + start;
    outer: for (let n = 0; n < list.length; n++) {
      const known = list[n]!.bytes;
      for (let k = 0; k < known.length; k++) if (bytes[at + k] !== known[k]) continue outer;
      return list[n]!.word;
    }
  }
  return src.text.substring(start, end);
}

/** End of the run of bytes of `table` starting at text index `i` (stops at `end`). */
function run(table: Uint8Array, bytes: Uint8Array, base: number, i: number, end: number): number {
  let b = base + i;
  const stop = base + end;
  while (b < stop && table[bytes[b]!] === 1) b++;
  return b - base;
}

/**
 * `*( ";" name [ "=" gen-value ] )` up to `end` (RFC 3261 §25.1 generic-param), no whitespace, no
 * quoted values. Returns the params unsplit (checked here, split on demand), or `undefined` when
 * the text has any other shape. `valueRequired` names a parameter that must have a value (the
 * Via `branch`): without one the text is left to the general parser, which reports the error.
 */
function scanParams(
  src: MessageSource,
  start: number,
  end: number,
  valueRequired?: string,
): Params | undefined {
  if (start === end) return EMPTY_PARAMS;
  const bytes = src.bytes;
  const base = src.base;
  let i = start;
  while (i < end) {
    if (bytes[base + i] !== 59) return undefined;
    const nameStart = i + 1;
    const nameEnd = run(TOKEN_BYTE, bytes, base, nameStart, end);
    if (nameEnd === nameStart) return undefined;
    if (nameEnd < end && bytes[base + nameEnd] === 61) {
      const valueStart = nameEnd + 1;
      const valueEnd = run(GEN_VALUE_BYTE, bytes, base, valueStart, end);
      if (valueEnd === valueStart) return undefined;
      i = valueEnd;
    } else {
      if (valueRequired !== undefined && sameWord(src, nameStart, nameEnd, valueRequired))
        return undefined;
      i = nameEnd;
    }
  }
  return Params.unsplit(src.text, start, end);
}

/** `text[start, end)` is `word`, ASCII letters compared case-insensitively. */
function sameWord(src: MessageSource, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  const bytes = src.bytes;
  for (let k = 0, b = src.base + start; k < word.length; k++, b++)
    if ((bytes[b]! | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * The typed value of a hot header's first line (top Via, From, To, CSeq, Call-ID) built from the
 * scanner's record (`src.hot`), or `undefined` when there is no record (another shape, or no such
 * header). Made once per parse and kept in `src` with the value start of its line, so a message's
 * accessors, its generic header path and its clones share it (typed values are immutable).
 */
export function hotVia(src: MessageSource): Via[] | undefined {
  const hot = src.hot;
  if (src.hotVia !== undefined || hot === undefined || hot[HOT_VIA] === -1) return src.hotVia;
  src.hotViaAt = hot[HOT_VIA]!;
  const port = hot[HOT_VIA + 3]!;
  return (src.hotVia = [
    Via.fromText(
      src.text,
      hot[HOT_VIA]! + 8,
      hot[HOT_VIA + 1]!,
      hot[HOT_VIA + 2]!,
      port === -1 ? undefined : port,
      hot[HOT_VIA + 4]!,
      hot[HOT_VIA + 7]!,
      hot[HOT_VIA + 5],
      hot[HOT_VIA + 6],
    ),
  ]);
}

/** From (`to` false) or To from its record (see {@link hotVia}). */
export function hotAddress(src: MessageSource, to: boolean): NameAddr | undefined {
  const built = to ? src.hotTo : src.hotFrom;
  const hot = src.hot;
  const at = to ? HOT_TO : HOT_FROM;
  if (built !== undefined || hot === undefined || hot[at] === -1) return built;
  const value = NameAddr.fromText(
    src.text,
    hot[at + 1]!,
    hot[at + 2]!,
    hot[at + 3]!,
    hot[at + 4]!,
    hot[at + 7]!,
    hot[at + 5],
    hot[at + 6],
    to ? 'To' : 'From',
  );
  if (to) {
    src.hotTo = value;
    src.hotToAt = hot[at]!;
  } else {
    src.hotFrom = value;
    src.hotFromAt = hot[at]!;
  }
  return value;
}

/** CSeq from its record (see {@link hotVia}). */
export function hotCSeq(src: MessageSource): CSeq | undefined {
  const hot = src.hot;
  if (src.hotCSeq !== undefined || hot === undefined || hot[HOT_CSEQ] === -1) return src.hotCSeq;
  src.hotCSeqAt = hot[HOT_CSEQ]!;
  const word = hot[HOT_CSEQ + 4]!;
  const method =
    word === -1 ? commonWord(src, hot[HOT_CSEQ + 2]!, hot[HOT_CSEQ + 3]!) : COMMON_WORDS[word]!;
  return (src.hotCSeq = { seq: hot[HOT_CSEQ + 1]! >>> 0, method });
}

/** Call-ID from its record (see {@link hotVia}). */
export function hotCallId(src: MessageSource): string | undefined {
  const hot = src.hot;
  if (src.hotCallId !== undefined || hot === undefined || hot[HOT_CALL_ID] === -1)
    return src.hotCallId;
  src.hotCallIdAt = hot[HOT_CALL_ID]!;
  return (src.hotCallId = src.text.substring(hot[HOT_CALL_ID]!, hot[HOT_CALL_ID + 1]));
}

/** Via (RFC 3261 §20.42) of the usual shape: one `SIP/2.0/TRANSPORT host[:port];params`. */
export const scanVia: Scanner<Via[]> = (src, start, end) => {
  if (src.hotViaAt === start || src.hot?.[HOT_VIA] === start) return hotVia(src);
  const bytes = src.bytes;
  const base = src.base;
  let b = base + start;
  if (
    end - start < 10 ||
    bytes[b] !== 83 ||
    bytes[b + 1] !== 73 ||
    bytes[b + 2] !== 80 ||
    bytes[b + 3] !== 47 ||
    bytes[b + 4] !== 50 ||
    bytes[b + 5] !== 46 ||
    bytes[b + 6] !== 48 ||
    bytes[b + 7] !== 47
  ) {
    return undefined;
  }
  const transportStart = start + 8;
  const transportEnd = run(TOKEN_BYTE, bytes, base, transportStart, end);
  if (transportEnd === transportStart || transportEnd === end || bytes[base + transportEnd] !== 32)
    return undefined;
  const hostStart = transportEnd + 1;
  const hostEnd = run(TOKEN_BYTE, bytes, base, hostStart, end);
  if (hostEnd === hostStart) return undefined;
  let i = hostEnd;
  let port: number | undefined;
  if (i < end && bytes[base + i] === 58) {
    b = base + i + 1;
    const stop = base + Math.min(end, i + 6);
    let value = 0;
    while (b < stop && bytes[b]! >= 48 && bytes[b]! <= 57) value = value * 10 + bytes[b++]! - 48;
    const digitsEnd = b - base;
    if (digitsEnd === i + 1 || value > 65535) return undefined;
    port = value;
    i = digitsEnd;
  }
  // A branch without value is an error: the general parser reports it.
  const params = scanParams(src, i, end, 'branch');
  if (params === undefined) return undefined;
  return [
    new Via({
      protocol: 'SIP/2.0',
      transport: commonWord(src, transportStart, transportEnd),
      host: src.text.substring(hostStart, hostEnd),
      port,
      params,
    }),
  ];
};

/**
 * From, To and other single addresses (RFC 3261 §20.20, §20.39) of the usual shapes:
 * `<uri>;params`, `Name Words <uri>;params`, `"Quoted Name" <uri>;params`.
 */
export const scanNameAddr: Scanner<NameAddr> = (src, start, end, header) => {
  const hot = src.hot;
  if (src.hotFromAt === start || hot?.[HOT_FROM] === start) return hotAddress(src, false);
  if (src.hotToAt === start || hot?.[HOT_TO] === start) return hotAddress(src, true);
  const bytes = src.bytes;
  const base = src.base;
  let i = start;
  let displayName: string | undefined;
  const first = bytes[base + i];
  if (first === 34) {
    // A quoted display name without escapes or non-ASCII, then an optional single space.
    let b = base + i + 1;
    const stop = base + end;
    while (b < stop) {
      const c = bytes[b]!;
      if (c === 34 || c === 92 || c >= 128) break;
      b++;
    }
    if (b === stop || bytes[b] !== 34) return undefined;
    displayName = src.text.substring(i + 1, b - base);
    i = b - base + 1;
    if (i < end && bytes[base + i] === 32) i++;
  } else if (first !== 60) {
    // Display-name tokens separated by single spaces, then one space before "<".
    const nameStart = i;
    for (;;) {
      const tokenEnd = run(TOKEN_BYTE, bytes, base, i, end);
      if (tokenEnd === i || tokenEnd === end || bytes[base + tokenEnd] !== 32) return undefined;
      i = tokenEnd + 1;
      if (i < end && bytes[base + i] === 60) {
        displayName = src.text.substring(nameStart, tokenEnd);
        break;
      }
    }
  }
  if (i >= end || bytes[base + i] !== 60) return undefined;
  // "<" uri ">": no whitespace or non-ASCII inside (the general parser handles those).
  const uriStart = i + 1;
  let b = base + uriStart;
  const stop = base + end;
  while (b < stop) {
    const c = bytes[b]!;
    if (c <= 32 || c >= 127 || c === 62) break;
    b++;
  }
  if (b === stop || bytes[b] !== 62 || b === base + uriStart) return undefined;
  const uriEnd = b - base;
  const params = scanParams(src, uriEnd + 1, end);
  if (params === undefined) return undefined;
  return NameAddr.lazy(src.text.substring(uriStart, uriEnd), params, displayName, header);
};

/** CSeq (RFC 3261 §20.16): `digits SP method`. */
export const scanCSeq: Scanner<CSeq> = (src, start, end) => {
  if (src.hotCSeqAt === start || src.hot?.[HOT_CSEQ] === start) return hotCSeq(src);
  const bytes = src.bytes;
  const base = src.base;
  let b = base + start;
  const digitsStop = base + Math.min(end, start + 10);
  let seq = 0;
  while (b < digitsStop && bytes[b]! >= 48 && bytes[b]! <= 57) seq = seq * 10 + bytes[b++]! - 48;
  const digitsEnd = b - base;
  if (digitsEnd === start || seq > 0xffffffff || digitsEnd >= end || bytes[b] !== 32)
    return undefined;
  const methodStart = digitsEnd + 1;
  if (run(TOKEN_BYTE, bytes, base, methodStart, end) !== end || methodStart === end)
    return undefined;
  return { seq, method: commonWord(src, methodStart, end) };
};

/** Call-ID (RFC 3261 §20.8): visible ASCII only. */
export const scanCallId: Scanner<string> = (src, start, end) => {
  if (src.hotCallIdAt === start || src.hot?.[HOT_CALL_ID] === start) return hotCallId(src);
  const bytes = src.bytes;
  if (start === end) return undefined;
  for (let b = src.base + start, stop = src.base + end; b < stop; b++) {
    const c = bytes[b]!;
    if (c < 0x21 || c > 0x7e) return undefined;
  }
  return src.text.substring(start, end);
};

/** Host name bytes (§25.1 hostname; "_" too, as `parseUri` allows): letters, "-", "_"; digits. */
const HOST_NAME_CHAR = 1;
const HOST_DIGIT = 2;
const HOST_BYTE = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const cls = CHAR_CLASS[c]!;
  if ((cls & ALPHA) !== 0 || c === 45 || c === 95) HOST_BYTE[c] = HOST_NAME_CHAR;
  else if ((cls & DIGIT) !== 0) HOST_BYTE[c] = HOST_DIGIT;
}

const USER_BYTE = new Uint8Array(256);
const URI_PARAM_BYTE = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const cls = CHAR_CLASS[c]!;
  USER_BYTE[c] = (cls & (UNRESERVED | USER_UNRESERVED)) === 0 ? 0 : 1;
  URI_PARAM_BYTE[c] = (cls & (UNRESERVED | PARAM_UNRESERVED)) === 0 ? 0 : 1;
}

/**
 * A `sip:`/`sips:` Request-URI (RFC 3261 §19.1.1) without escapes, password, IPv6 host or
 * headers, read from the bytes; `undefined` for anything else (the caller runs `parseUri`).
 * The host is checked exactly as `parseUri` checks it.
 */
export function scanSipUri(src: MessageSource, start: number, end: number): SipUri | undefined {
  const text = src.text;
  const hot = src.hot;
  if (hot !== undefined && hot[HOT_URI] === start && hot[HOT_URI + 1] === end) {
    const userStart = hot[HOT_URI + 3]!;
    const hostStart = hot[HOT_URI + 4]!;
    const port = hot[HOT_URI + 7]!;
    const paramsStart = hot[HOT_URI + 8]!;
    return new SipUri(
      {
        scheme: hot[HOT_URI + 2] === 1 ? 'sips' : 'sip',
        user: userStart === -1 ? undefined : text.substring(userStart, hostStart - 1),
        host: text.substring(hostStart, hot[HOT_URI + 5]),
        port: port === -1 ? undefined : port,
        params: paramsStart === end ? EMPTY_PARAMS : Params.unsplit(text, paramsStart, end),
      },
      hot[HOT_URI + 6] === 1 ? 'ipv4' : 'name',
    );
  }
  const bytes = src.bytes;
  const base = src.base;
  let i = start;
  if (bytes[base + i] !== 115 || bytes[base + i + 1] !== 105 || bytes[base + i + 2] !== 112)
    return undefined;
  let scheme: 'sip' | 'sips' = 'sip';
  i += 3;
  if (bytes[base + i] === 115) {
    scheme = 'sips';
    i++;
  }
  if (bytes[base + i] !== 58) return undefined;
  i++;
  let user: string | undefined;
  const at = text.indexOf('@', i);
  if (at !== -1 && at < end) {
    const userEnd = run(USER_BYTE, bytes, base, i, end);
    if (userEnd !== at || userEnd === i) return undefined;
    user = text.substring(i, at);
    i = at + 1;
  }
  // hostname = *( domainlabel "." ) toplabel [ "." ], or IPv4address (§25.1), as in parseUri.
  const hostStart = i;
  let labelStart = i;
  let labelFirst = -1;
  let prevLabelFirst = -1;
  let numeric = true;
  const hostByte = HOST_BYTE; // a local: module bindings are re-checked on each use in a loop
  for (; i < end; i++) {
    const c = bytes[base + i]!;
    if (c === 58 || c === 59) break;
    if (c === 46) {
      if (i === labelStart) return undefined;
      prevLabelFirst = labelFirst;
      labelStart = i + 1;
      continue;
    }
    const kind = hostByte[c]!;
    if (kind === HOST_NAME_CHAR) numeric = false;
    else if (kind !== HOST_DIGIT) return undefined;
    if (i === labelStart) labelFirst = c;
  }
  if (i === hostStart || (labelStart === i && labelStart - 1 === hostStart)) return undefined;
  const host = text.substring(hostStart, i);
  let hostKind: 'ipv4' | 'name';
  if (numeric) {
    if (!isIPv4(host)) return undefined;
    hostKind = 'ipv4';
  } else {
    const topFirst = labelStart === i ? prevLabelFirst : labelFirst;
    if (topFirst === -1 || (CHAR_CLASS[topFirst]! & ALPHA) === 0) return undefined;
    hostKind = 'name';
  }
  let port: number | undefined;
  if (i < end && bytes[base + i] === 58) {
    const portStart = ++i;
    let value = 0;
    for (let c = bytes[base + i]!; i < end && c >= 48 && c <= 57; c = bytes[base + ++i]!)
      value = value * 10 + c - 48;
    if (i === portStart || i - portStart > 5 || value > 65535) return undefined;
    port = value;
  }
  // uri-parameters (§19.1.1): checked here, split on demand.
  const paramsStart = i;
  while (i < end) {
    if (bytes[base + i] !== 59) return undefined;
    const nameStart = ++i;
    i = run(URI_PARAM_BYTE, bytes, base, i, end);
    if (i === nameStart) return undefined;
    if (i < end && bytes[base + i] === 61) {
      const valueStart = ++i;
      i = run(URI_PARAM_BYTE, bytes, base, i, end);
      if (i === valueStart) return undefined;
    }
  }
  const params = i === paramsStart ? undefined : Params.unsplit(text, paramsStart, i);
  return new SipUri({ scheme, user, host, port, params: params ?? EMPTY_PARAMS }, hostKind);
}
