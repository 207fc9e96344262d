import { MediaError } from '../errors.js';
import { eventToDigit } from '@callbridge/rtp';
import { parseDigit } from './digits.js';
import type { DtmfDigit } from './digits.js';

/** The two SIP INFO bodies for DTMF in common use. */
export type DtmfInfoContentType = 'application/dtmf-relay' | 'application/dtmf';

export interface DtmfInfo {
  readonly digit: DtmfDigit;
  /** Tone duration in ms, when the body said (application/dtmf carries none). */
  readonly durationMs?: number;
}

/**
 * Body of a SIP INFO carrying one digit. `application/dtmf-relay` is the de-facto format
 * (Cisco, Asterisk, FreeSWITCH): `Signal=<digit>` and `Duration=<ms>` lines, CRLF-terminated.
 * `application/dtmf` carries the digit alone.
 */
export function formatDtmfInfo(
  contentType: DtmfInfoContentType,
  digit: DtmfDigit,
  durationMs: number,
): string {
  if (contentType === 'application/dtmf') return digit;
  return `Signal=${digit}\r\nDuration=${Math.max(0, Math.round(durationMs))}\r\n`;
}

/**
 * Parses a SIP INFO DTMF body. Tolerant of what deployed senders do: any case and spacing,
 * LF or CRLF, `Signal=10`/`11` for `*`/`#` (RFC 4733 event numbers), extra lines ignored.
 * Throws `MediaError` `DTMF_BODY_INVALID` when no digit can be found.
 */
export function parseDtmfInfo(contentType: string, body: string): DtmfInfo {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/dtmf') {
    const text = body.trim();
    const digit = text.length === 1 ? parseDigit(text) : undefined;
    if (digit === undefined) {
      throw new MediaError(
        'DTMF_BODY_INVALID',
        `application/dtmf body ${JSON.stringify(body)} is not one digit`,
      );
    }
    return { digit };
  }
  if (type !== 'application/dtmf-relay') {
    throw new MediaError('DTMF_BODY_INVALID', `content type ${type} is not a DTMF body`);
  }
  let digit: DtmfDigit | undefined;
  let durationMs: number | undefined;
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') digit = parseSignal(value);
    else if (key === 'duration' && /^\d{1,7}$/.test(value)) durationMs = Number(value);
  }
  if (digit === undefined) {
    throw new MediaError(
      'DTMF_BODY_INVALID',
      `application/dtmf-relay body has no valid Signal line`,
    );
  }
  return durationMs === undefined ? { digit } : { digit, durationMs };
}

function parseSignal(value: string): DtmfDigit | undefined {
  // RFC 4733 §3.2 event numbers: 10 is '*', 11 '#', 12–15 'A'–'D'.
  if (/^1[0-5]$/.test(value)) return parseDigit(eventToDigit(Number(value)) ?? '');
  return value.length === 1 ? parseDigit(value) : undefined;
}
