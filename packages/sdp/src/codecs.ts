// Codec capabilities and the per-format matching rules of RFC 3264 §6.1 and the payload format
// RFCs (RFC 7587 Opus, RFC 6184 H.264, RFC 7741 VP8, RFC 4733 telephone-event, RFC 3389 CN,
// RFC 2198 red, RFC 4588 rtx).
import { formatFmtp, parseFmtp } from './fmtp.js';
import { answerH264, sameH264Format } from './h264.js';
import type { RtcpFeedback, RtpCodec } from './model.js';

/**
 * A codec the local side can use on one leg. The list order is the preference order. Pass only
 * what the deployment supports: the negotiation never invents codecs.
 */
export interface CodecCapability {
  /** Encoding name (`opus`, `PCMU`, `telephone-event`, `H264`), compared case-insensitively. */
  readonly name: string;
  readonly clockRate: number;
  /** Audio channels; default 1 (Opus is always 2 in SDP, RFC 7587 §7). */
  readonly channels?: number;
  /**
   * Format parameters the local side states: its receive preferences for Opus (minptime,
   * useinbandfec, stereo, maxaveragebitrate), the events it understands for telephone-event
   * (`0-16`), profile-level-id / packetization-mode / level-asymmetry-allowed for H.264.
   */
  readonly fmtp?: string;
  /** RTCP feedback the local side supports for this codec (RFC 4585), e.g. `nack`, `nack pli`. */
  readonly rtcpFeedback?: readonly RtcpFeedback[];
  /** Payload type to use when offering a dynamic codec, if free. Static types are used as is. */
  readonly payloadType?: number;
  /**
   * The local side can forward this codec between legs but not decode or encode it (video, or an
   * audio codec without an implementation): it is offered only when the other leg has it too.
   */
  readonly relayOnly?: boolean;
}

/** What a payload format is for: the media itself, or something that travels with it. */
export type CodecRole =
  'media' | 'dtmf' | 'comfort-noise' | 'redundancy' | 'retransmission' | 'fec';

/** The role of a payload format, by encoding name. */
export function codecRole(name: string): CodecRole {
  switch (name.toLowerCase()) {
    case 'telephone-event':
      return 'dtmf';
    case 'cn':
      return 'comfort-noise';
    case 'red':
      return 'redundancy';
    case 'rtx':
      return 'retransmission';
    case 'ulpfec':
    case 'flexfec-03':
      return 'fec';
    default:
      return 'media';
  }
}

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Channels as compared: the rtpmap default is 1 (RFC 8866 §6.6). */
export function capabilityChannels(capability: CodecCapability): number {
  return capability.channels ?? 1;
}

/** RFC 4733 §2.4.1: events as a sorted set; no fmtp means 0-15. */
export function parseEventList(fmtp: string | undefined): Set<number> {
  const events = new Set<number>();
  const list = fmtp === undefined || fmtp.trim() === '' ? '0-15' : fmtp;
  for (const part of list.split(',')) {
    const m = /^\s*(\d{1,3})(?:\s*-\s*(\d{1,3}))?\s*$/.exec(part);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let e = from; e <= Math.min(to, 255); e++) events.add(e);
  }
  return events;
}

/** Writes an event set as ranges: `0-16`, `0-15,66,70`. */
export function formatEventList(events: ReadonlySet<number>): string {
  const sorted = [...events].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

/**
 * Whether an offered payload format and a local capability are the same codec (RFC 3264 §6.1:
 * name, clock rate, channels) and their format parameters can be reconciled. Returns the fmtp the
 * local side puts in its answer for that format (`null` for none), or undefined when they do not
 * match. Associated formats (red, rtx) are matched on their own parameters only here; whether
 * their primary format was accepted is checked by the caller.
 */
export function answerFormat(
  offered: RtpCodec,
  capability: CodecCapability,
): string | null | undefined {
  if (!sameName(offered.name, capability.name) || offered.clockRate !== capability.clockRate)
    return undefined;
  if (offered.channels !== capabilityChannels(capability)) return undefined;
  const name = offered.name.toLowerCase();
  switch (name) {
    case 'h264': {
      const fmtp = answerH264(offered.fmtp, capability.fmtp);
      return fmtp === undefined ? undefined : fmtp;
    }
    case 'vp9': {
      // RFC 9628 / libwebrtc: profile-id must match (default 0).
      const a = parseFmtp(offered.fmtp).get('profile-id') ?? '0';
      const b = parseFmtp(capability.fmtp).get('profile-id') ?? '0';
      return a === b ? (capability.fmtp ?? null) : undefined;
    }
    case 'av1': {
      const a = parseFmtp(offered.fmtp).get('profile') ?? '0';
      const b = parseFmtp(capability.fmtp).get('profile') ?? '0';
      return a === b ? (capability.fmtp ?? null) : undefined;
    }
    case 'telephone-event': {
      // RFC 4733 §7.1.1: the answer lists the events both sides understand.
      const offeredEvents = parseEventList(offered.fmtp);
      const common = new Set(
        [...parseEventList(capability.fmtp)].filter((e) => offeredEvents.has(e)),
      );
      return common.size === 0 ? undefined : formatEventList(common);
    }
    case 'g729': {
      // RFC 4856 §2.1.9: Annex B (VAD/CNG) is on unless a side says annexb=no.
      const offeredAnnexB = parseFmtp(offered.fmtp).get('annexb')?.toLowerCase() ?? 'yes';
      const localAnnexB = parseFmtp(capability.fmtp).get('annexb')?.toLowerCase() ?? 'yes';
      return offeredAnnexB === 'no' || localAnnexB === 'no'
        ? 'annexb=no'
        : (capability.fmtp ?? null);
    }
    case 'red':
    case 'rtx':
      // The parameters name payload types of the offer; the caller keeps them as offered.
      return offered.fmtp ?? null;
    default:
      // Opus (RFC 7587 §7), VP8 (RFC 7741 §6.2), G.711, G.722, CN...: each side states its own
      // receive preferences, so the answer carries the local ones.
      return capability.fmtp ?? null;
  }
}

/** Whether two formats describe the same codec configuration (used to find relay partners). */
export function sameFormat(
  a: {
    readonly name: string;
    readonly clockRate: number;
    readonly channels: number;
    readonly fmtp?: string;
  },
  b: {
    readonly name: string;
    readonly clockRate: number;
    readonly channels: number;
    readonly fmtp?: string;
  },
): boolean {
  if (!sameName(a.name, b.name) || a.clockRate !== b.clockRate || a.channels !== b.channels)
    return false;
  switch (a.name.toLowerCase()) {
    case 'h264':
      return sameH264Format(a.fmtp, b.fmtp);
    case 'vp9':
      return (
        (parseFmtp(a.fmtp).get('profile-id') ?? '0') ===
        (parseFmtp(b.fmtp).get('profile-id') ?? '0')
      );
    case 'av1':
      return (
        (parseFmtp(a.fmtp).get('profile') ?? '0') === (parseFmtp(b.fmtp).get('profile') ?? '0')
      );
    default:
      return true;
  }
}

/** RTCP feedback both sides list (RFC 4585 §4.2: the answer keeps a subset of the offer's). */
export function commonFeedback(
  offered: readonly RtcpFeedback[],
  local: readonly RtcpFeedback[] | undefined,
): RtcpFeedback[] {
  if (!local) return [];
  return offered.filter((o) =>
    local.some(
      (l) =>
        sameName(l.type, o.type) &&
        (l.parameter ?? '').toLowerCase() === (o.parameter ?? '').toLowerCase(),
    ),
  );
}

/** The primary payload type an rtx format repairs (RFC 4588 §8.6 apt=). */
export function rtxAssociatedPayloadType(codec: { readonly fmtp?: string }): number | undefined {
  const apt = parseFmtp(codec.fmtp).get('apt');
  return apt === undefined || !/^\d+$/.test(apt) ? undefined : Number(apt);
}

/** The payload types a red format carries (RFC 2198 §5: `111/111`). Empty when not stated. */
export function redPayloadTypes(codec: { readonly fmtp?: string }): number[] {
  if (codec.fmtp === undefined || !/^\d+(\/\d+)*$/.test(codec.fmtp.trim())) return [];
  return codec.fmtp.trim().split('/').map(Number);
}

export { formatFmtp, parseFmtp };
