// A minimal ASN.1 DER writer (ITU-T X.690 §8, §10): just what a self-signed X.509 certificate needs.

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  const header = [tag, ...encodeLength(content.length)];
  const out = new Uint8Array(header.length + content.length);
  out.set(header);
  out.set(content, header.length);
  return out;
}

function join(items: readonly Uint8Array[]): Uint8Array {
  const total = items.reduce((n, i) => n + i.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const item of items) {
    out.set(item, offset);
    offset += item.length;
  }
  return out;
}

export const derSequence = (...items: Uint8Array[]): Uint8Array => derTlv(0x30, join(items));
export const derSet = (...items: Uint8Array[]): Uint8Array => derTlv(0x31, join(items));
/** Context-specific constructed tag [n] EXPLICIT. */
export const derExplicit = (n: number, inner: Uint8Array): Uint8Array => derTlv(0xa0 | n, inner);

/** A non-negative INTEGER from big-endian magnitude bytes (X.690 §8.3: minimal, sign bit clear). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const needsPad = trimmed.length === 0 || (trimmed[0]! & 0x80) !== 0;
  const content = new Uint8Array(trimmed.length + (needsPad ? 1 : 0));
  content.set(trimmed, needsPad ? 1 : 0);
  return derTlv(0x02, content);
}

export const derSmallInteger = (value: number): Uint8Array =>
  derUnsignedInteger(
    Uint8Array.of((value >> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff),
  );

/** OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const first = arcs[0]! * 40 + arcs[1]!;
  const bytes: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return derTlv(0x06, Uint8Array.from(bytes));
}

export const derUtf8String = (text: string): Uint8Array =>
  derTlv(0x0c, new TextEncoder().encode(text));

/** UTCTime for years 1950–2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
export function derTime(date: Date): Uint8Array {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const year = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) {
    return derTlv(0x17, new TextEncoder().encode(`${pad(year % 100)}${rest}`));
  }
  return derTlv(0x18, new TextEncoder().encode(`${year}${rest}`));
}

/** BIT STRING with no unused bits. */
export function derBitString(bytes: Uint8Array): Uint8Array {
  const content = new Uint8Array(bytes.length + 1);
  content.set(bytes, 1);
  return derTlv(0x03, content);
}
