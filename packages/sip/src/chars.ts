/**
 * Character classes of the RFC 3261 §25.1 grammar as a 128-entry table of bit flags, so the
 * scanners test a character with one lookup and no regular expression.
 */

export const ALPHA = 1;
export const DIGIT = 2;
export const HEX = 4;
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = 8;
/** unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
export const UNRESERVED = 16;
/** user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
export const USER_UNRESERVED = 32;
/** param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" */
export const PARAM_UNRESERVED = 64;
/** hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
export const HNV_UNRESERVED = 128;
/** Password characters besides unreserved: "&" / "=" / "+" / "$" / "," */
export const PASSWORD_EXTRA = 256;
/** word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}") */
export const WORD = 512;
/** reserved = ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / "," */
export const RESERVED = 1024;
/** uric for absoluteURI: reserved / unreserved / escaped ("%" itself flagged here). */
export const URIC = 2048;

export const CHAR_CLASS = new Uint16Array(128);

function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) CHAR_CLASS[chars.charCodeAt(i)]! |= flag;
}

function markRange(from: string, to: string, flag: number): void {
  for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) CHAR_CLASS[c]! |= flag;
}

markRange('a', 'z', ALPHA | TOKEN | UNRESERVED | WORD | URIC);
markRange('A', 'Z', ALPHA | TOKEN | UNRESERVED | WORD | URIC);
markRange('0', '9', DIGIT | HEX | TOKEN | UNRESERVED | WORD | URIC);
markRange('a', 'f', HEX);
markRange('A', 'F', HEX);
mark("-.!%*_+`'~", TOKEN | WORD);
mark("-_.!~*'()", UNRESERVED | URIC);
mark('&=+$,;?/', USER_UNRESERVED);
mark('[]/:&+$', PARAM_UNRESERVED);
mark('[]/?:+$', HNV_UNRESERVED);
mark('&=+$,', PASSWORD_EXTRA);
mark('()<>:\\"/[]?{}', WORD);
mark(';/?:@&=+$,', RESERVED | URIC);
mark('%', URIC);

/** 1 for token characters, by byte (0 for every byte ≥ 0x80), for scanners working on bytes. */
export const TOKEN_BYTE = new Uint8Array(256);
for (let c = 0; c < 128; c++) TOKEN_BYTE[c] = (CHAR_CLASS[c]! & TOKEN) === 0 ? 0 : 1;

export function isClass(code: number, flags: number): boolean {
  return code < 128 && (CHAR_CLASS[code]! & flags) !== 0;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CHAR_CLASS[c]! & TOKEN) === 0) return false;
  }
  return true;
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** SP or HTAB */
export function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

/** SP, HTAB, CR or LF (the characters LWS is made of) */
export function isLws(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}
