// Transfer pieces that need no sockets: the Refer-To of an attended transfer and what a
// received one asks for (RFC 3515, RFC 3891 §3, RFC 5589), which dialog an INVITE with
// Replaces points at, and the call's media once its SIP leg is swapped for another.
import { parseReplaces, type DialogId, type Replaces } from '@callbridge/sip';
import {
  createAnswer,
  type BridgedMedia,
  type CodecCapability,
  type CodecsByKind,
  type MediaSection,
  type NegotiatedMedia,
  type SessionDescription,
} from '@callbridge/sdp';

/** What a Refer-To header field value (RFC 3515 §2.1) asks the transferee to call. */
export interface ReferRequest {
  /** The URI to INVITE, without its header part. */
  readonly target: string;
  /** The Replaces header field value carried in the URI (attended transfer), decoded. */
  readonly replaces?: string;
}

/**
 * Reads a Refer-To value: `<sip:bob@host?Replaces=call%3Bto-tag%3Da%3Bfrom-tag%3Db>`. Only
 * sip/sips targets are followed; of the URI headers (RFC 3261 §19.1.1) only Replaces is
 * taken, and a Replaces that does not parse makes the whole value unusable.
 */
export function parseReferTo(referTo: string): ReferRequest | undefined {
  const inner = (/<([^>]*)>/.exec(referTo)?.[1] ?? referTo).trim();
  const question = inner.indexOf('?');
  const target = (question < 0 ? inner : inner.slice(0, question)).trim();
  if (!/^sips?:[^\s]+$/i.test(target)) return undefined;
  if (question < 0) return { target };
  let replaces: string | undefined;
  for (const field of inner.slice(question + 1).split('&')) {
    const equals = field.indexOf('=');
    if (equals < 0 || field.slice(0, equals).toLowerCase() !== 'replaces') continue;
    try {
      replaces = decodeURIComponent(field.slice(equals + 1));
      parseReplaces(replaces);
    } catch {
      return undefined;
    }
  }
  return replaces === undefined ? { target } : { target, replaces };
}

/**
 * The Refer-To of an attended transfer (RFC 5589 §7, RFC 3891 §3): the target's URI, with the
 * dialog to replace as the target sees it (its local tag is our remote tag, and To of the new
 * INVITE's Replaces names the target's tag), escaped for a URI header (RFC 3261 §19.1.1).
 */
export function attendedReferTo(targetUri: string, dialog: DialogId): string {
  const replaces = `${dialog.callId};to-tag=${dialog.remoteTag};from-tag=${dialog.localTag}`;
  const base = targetUri.split('?')[0]!;
  return `<${base}?Replaces=${encodeURIComponent(replaces)}>`;
}

/** One SIP dialog of a call, as an INVITE with Replaces may name it. */
export interface ReplaceableDialog<T> {
  readonly id: DialogId;
  readonly state: 'early' | 'confirmed' | 'terminated';
  /** Whether this side sent the INVITE that created the dialog. */
  readonly initiatedLocally: boolean;
  readonly owner: T;
}

export type ReplacesVerdict<T> =
  | { readonly accept: true; readonly dialog: ReplaceableDialog<T> }
  | { readonly accept: false; readonly sipStatus: 400 | 481 | 486 | 603; readonly reason: string };

/**
 * RFC 3891 §3: which of our dialogs an INVITE's Replaces header field values name, and whether
 * the INVITE may replace it. The Call-ID must match, to-tag our local tag and from-tag the
 * remote tag. No match (or more than one) is 481; a dialog that has ended is 603; early-only
 * for a confirmed dialog is 486; an early dialog the other side started is 481 (only the UA
 * that sent an INVITE can have it replaced before the answer).
 */
export function replacesVerdict<T>(
  values: readonly string[],
  dialogs: Iterable<ReplaceableDialog<T>>,
): ReplacesVerdict<T> {
  if (values.length !== 1)
    return { accept: false, sipStatus: 400, reason: 'Exactly One Replaces Allowed' };
  let replaces: Replaces;
  try {
    replaces = parseReplaces(values[0]!);
  } catch {
    return { accept: false, sipStatus: 400, reason: 'Bad Replaces Header' };
  }
  const matches: ReplaceableDialog<T>[] = [];
  for (const dialog of dialogs) {
    if (
      dialog.id.callId === replaces.callId &&
      dialog.id.localTag === replaces.toTag &&
      dialog.id.remoteTag === replaces.fromTag
    )
      matches.push(dialog);
  }
  const [dialog] = matches;
  if (!dialog || matches.length > 1)
    return { accept: false, sipStatus: 481, reason: 'Call/Transaction Does Not Exist' };
  if (dialog.state === 'terminated') return { accept: false, sipStatus: 603, reason: 'Declined' };
  if (dialog.state === 'confirmed' && replaces.earlyOnly)
    return { accept: false, sipStatus: 486, reason: 'Busy Here' };
  if (dialog.state === 'early' && !dialog.initiatedLocally)
    return { accept: false, sipStatus: 481, reason: 'Call/Transaction Does Not Exist' };
  return { accept: true, dialog };
}

const sameCodec = (
  a: { readonly name: string; readonly clockRate: number } | undefined,
  b: { readonly name: string; readonly clockRate: number } | undefined,
): boolean =>
  a !== undefined &&
  b !== undefined &&
  a.name.toLowerCase() === b.name.toLowerCase() &&
  a.clockRate === b.clockRate;

/**
 * The SIP codecs to answer a new SIP leg with while the browser leg stays as it is: the browser
 * leg's codec first (so the call keeps relaying), then the others only when the gateway may
 * transcode (codecs it can only relay never, as the browser does not use them).
 */
export function codecsForNewSipLeg(
  bridged: readonly BridgedMedia[],
  sipCodecs: CodecsByKind,
  transcoding: boolean,
): CodecsByKind {
  const result: Partial<Record<keyof CodecsByKind, readonly CodecCapability[]>> = {};
  for (const kind of ['audio', 'video'] as const) {
    const browser = bridged.find((m) => m.kind === kind && m.mode !== 'rejected')?.webrtc?.codec;
    const all = sipCodecs[kind];
    if (!browser || !all) continue;
    const same = all.filter((c) => sameCodec(c, browser));
    const ancillary = all.filter((c) => isAncillary(c.name));
    const others = transcoding
      ? all.filter((c) => !sameCodec(c, browser) && !isAncillary(c.name) && c.relayOnly !== true)
      : [];
    result[kind] = [...same, ...others, ...ancillary];
  }
  return result;
}

const isAncillary = (name: string): boolean => /^(telephone-event|CN)$/i.test(name);

/**
 * The call's streams once a new SIP leg replaced the old one: the browser side of each stream
 * unchanged, the SIP side from the new negotiation, relay when both use the same codec.
 */
export function withNewSipLeg(
  bridged: readonly BridgedMedia[],
  sip: readonly NegotiatedMedia[],
): BridgedMedia[] {
  return bridged.map((stream): BridgedMedia => {
    if (stream.mode === 'rejected' || !stream.webrtc) return stream;
    const next = sip.find((m) => m.kind === stream.kind && m.accepted && m.codec);
    if (!next) return { kind: stream.kind, mode: 'rejected', webrtc: stream.webrtc };
    return {
      kind: stream.kind,
      mode: sameCodec(next.codec, stream.webrtc.codec) ? 'relay' : 'transcode',
      webrtc: stream.webrtc,
      sip: next,
    };
  });
}

/**
 * The answer a party would have given to our offer, judged from an offer of its own: per kind,
 * its address and port and the first of its codecs that our offer has. For a party that picks
 * up a call we placed (RFC 3891 §7.1) while the browser still waits for its answer.
 */
export function answerAsIf(
  ours: SessionDescription,
  theirs: SessionDescription,
): SessionDescription {
  const active = (kind: string): MediaSection | undefined =>
    theirs.media.find((m) => m.kind === kind && m.port !== 0);
  const audio = active('audio');
  const video = active('video');
  const capabilities = (section: MediaSection): CodecCapability[] =>
    section.codecs.map((c) => ({
      name: c.name,
      clockRate: c.clockRate,
      channels: c.channels,
      ...(c.fmtp === undefined ? {} : { fmtp: c.fmtp }),
    }));
  const address = (audio ?? video)?.connection?.address ?? theirs.connection?.address ?? '0.0.0.0';
  return createAnswer(
    ours,
    {
      profile: 'sip',
      address,
      ports: { ...(audio ? { audio: audio.port } : {}), ...(video ? { video: video.port } : {}) },
    },
    {
      codecs: {
        ...(audio ? { audio: capabilities(audio) } : {}),
        ...(video ? { video: capabilities(video) } : {}),
      },
      singleCodec: true,
    },
  ).description;
}
