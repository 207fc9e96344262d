// Opus format parameters (RFC 7587 §6.1). Each side states what it wants to receive; the sender
// shapes its encoder by the other side's parameters (RFC 7587 §7.1).
import { parseFmtp } from './fmtp.js';

export interface OpusParameters {
  /** Highest audio bandwidth the receiver renders, in Hz (default 48000). */
  readonly maxplaybackrate: number;
  /** Highest bitrate the receiver wants, in bit/s (6000..510000), if stated. */
  readonly maxaveragebitrate?: number;
  /** The receiver prefers stereo (default false). */
  readonly stereo: boolean;
  /** The sender is likely to send stereo (default false). */
  readonly spropStereo: boolean;
  /** The receiver wants constant bitrate (default false). */
  readonly cbr: boolean;
  /** The receiver can use in-band FEC, so the sender should add it (default false). */
  readonly useinbandfec: boolean;
  /** The receiver prefers discontinuous transmission (default false). */
  readonly usedtx: boolean;
  /** Smallest packet duration the receiver wants, in ms, if stated. */
  readonly minptime?: number;
  /** Preferred packet duration, in ms, if stated in the fmtp. */
  readonly ptime?: number;
}

const flag = (params: ReadonlyMap<string, string>, name: string): boolean =>
  params.get(name) === '1';

function integer(
  params: ReadonlyMap<string, string>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = params.get(name);
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

/** Reads an Opus a=fmtp value; out-of-range values are ignored as RFC 7587 §6.1 asks. */
export function parseOpusParameters(fmtp: string | undefined): OpusParameters {
  const params = parseFmtp(fmtp);
  const result: { -readonly [K in keyof OpusParameters]: OpusParameters[K] } = {
    maxplaybackrate: integer(params, 'maxplaybackrate', 8000, 48000) ?? 48000,
    stereo: flag(params, 'stereo'),
    spropStereo: flag(params, 'sprop-stereo'),
    cbr: flag(params, 'cbr'),
    useinbandfec: flag(params, 'useinbandfec'),
    usedtx: flag(params, 'usedtx'),
  };
  const bitrate = integer(params, 'maxaveragebitrate', 6000, 510000);
  if (bitrate !== undefined) result.maxaveragebitrate = bitrate;
  const minptime = integer(params, 'minptime', 3, 120);
  if (minptime !== undefined) result.minptime = minptime;
  const ptime = integer(params, 'ptime', 3, 120);
  if (ptime !== undefined) result.ptime = ptime;
  return result;
}
