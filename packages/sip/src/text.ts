/**
 * Byte ⇄ string conversion. The parser decodes the header section once; when it is pure ASCII
 * (the common case) string offsets equal byte offsets. Otherwise it is decoded byte-per-char
 * (latin1) so offsets still match, and values with non-ASCII bytes are decoded as UTF-8 on access.
 */

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Decodes bytes as UTF-8 (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return utf8Decoder.decode(
    start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end),
  );
}

/** Encodes a string as UTF-8. */
export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Writes `s` as UTF-8 into `out` at `offset`; returns the number of bytes written. */
export function encodeUtf8Into(s: string, out: Uint8Array, offset: number): number {
  return utf8Encoder.encodeInto(s, out.subarray(offset)).written;
}

/** Upper bound on the UTF-8 length of `s`. */
export function maxUtf8Length(s: string): number {
  return s.length * 3;
}

/** Decodes bytes one char per byte (ISO-8859-1), so string offsets equal byte offsets. */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += 4096) {
    const stop = Math.min(end, i + 4096);
    out += String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]);
  }
  return out;
}

/** True when `s` holds a char ≥ 0x80. */
export function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return true;
  return false;
}
