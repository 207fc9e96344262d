// RFC 4013 SASLprep, as RFC 8489 §9.2.2 requires for long-term credential passwords: the mapping
// (RFC 3454 B.1 "mapped to nothing", C.1.2 non-ASCII spaces → SPACE), NFKC normalisation and the
// prohibited-output check. Right-to-left passwords are rejected rather than bidi-checked.
import { WebRtcError } from '../errors.js';

function inRanges(cp: number, ranges: readonly (readonly [number, number])[]): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

// RFC 3454 Table B.1.
const MAPPED_TO_NOTHING: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];
// RFC 3454 Table C.1.2.
const NON_ASCII_SPACE: readonly (readonly [number, number])[] = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
// RFC 4013 §2.3: control characters, private use, non-characters, surrogates, tagging and
// display-changing characters (RFC 3454 C.2–C.9).
const PROHIBITED: readonly (readonly [number, number])[] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x0340, 0x0341],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200c, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x206f],
  [0x2ff0, 0x2ffb],
  [0xd800, 0xdfff],
  [0xe000, 0xf8ff],
  [0xfdd0, 0xfdef],
  [0xfff9, 0xffff],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
  [0xf0000, 0x10ffff],
];
// Right-to-left blocks (Hebrew, Arabic, Syriac, Thaana, NKo and their presentation forms).
const RIGHT_TO_LEFT: readonly (readonly [number, number])[] = [
  [0x0590, 0x08ff],
  [0xfb1d, 0xfdff],
  [0xfe70, 0xfefe],
];

export function saslprep(input: string): string {
  let mapped = '';
  for (const ch of input) {
    const cp = ch.codePointAt(0)!;
    if (inRanges(cp, MAPPED_TO_NOTHING)) continue;
    mapped += inRanges(cp, NON_ASCII_SPACE) ? ' ' : ch;
  }
  const normalized = mapped.normalize('NFKC');
  for (const ch of normalized) {
    const cp = ch.codePointAt(0)!;
    if (inRanges(cp, PROHIBITED)) {
      throw new WebRtcError(
        'INVALID_ARGUMENT',
        `password contains U+${cp.toString(16).toUpperCase()}, which SASLprep prohibits`,
      );
    }
    if (inRanges(cp, RIGHT_TO_LEFT)) {
      throw new WebRtcError('INVALID_ARGUMENT', 'right-to-left passwords are not supported');
    }
  }
  return normalized;
}
