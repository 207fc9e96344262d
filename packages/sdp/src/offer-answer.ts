// Creating offers and answers (RFC 3264 §5 and §6, RFC 8829 JSEP §5.2 and §5.3) for the two leg
// profiles: WebRTC (UDP/TLS/RTP/SAVPF, ICE-lite, DTLS-SRTP, BUNDLE, rtcp-mux) and plain SIP
// (RTP/AVP, or RTP/SAVP with SDES).
import {
  answerFormat,
  codecRole,
  commonFeedback,
  redPayloadTypes,
  rtxAssociatedPayloadType,
  type CodecCapability,
} from './codecs.js';
import { answerDirection, effectiveDirection } from './direction.js';
import type {
  BridgedKind,
  CodecsByKind,
  LocalEndpoint,
  SessionOptions,
  SipEndpoint,
  WebRtcEndpoint,
} from './endpoint.js';
import { SdpError, type SdpErrorCode } from './errors.js';
import type {
  CryptoAttribute,
  HeaderExtension,
  MediaDirection,
  MediaGroup,
  MediaSection,
  RtpCodec,
  SessionDescription,
  SetupRole,
  SsrcAttribute,
} from './model.js';
import {
  describeNegotiation,
  isActive,
  srtpKeyingOf,
  type NegotiatedMedia,
} from './negotiation.js';
import { connectionFor, emptyMedia, finishSession } from './session.js';
import { DYNAMIC_PAYLOAD_TYPES, staticPayloadTypeFor } from './static-payload-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NULL_ADDRESS = '0.0.0.0';
const WEBRTC_PROTOCOL = 'UDP/TLS/RTP/SAVPF';

export interface NegotiateCodecsOptions {
  /** Order of the answer's media codecs: the offer's order, or the capability list's. Default `local`. */
  readonly order?: 'offer' | 'local';
  /** Answer with one media codec only (plus its dtmf/CN/red/rtx), pinning what each side sends. */
  readonly singleCodec?: boolean;
}

/**
 * The payload formats to answer an offered list with (RFC 3264 §6.1): the offered formats that
 * match a capability, with the offer's payload types and the answer's format parameters;
 * telephone-event and CN only at a clock rate of an accepted media codec; red and rtx only when
 * the formats they carry are accepted. Media codecs come first.
 */
export function negotiateCodecs(
  offered: readonly RtpCodec[],
  capabilities: readonly CodecCapability[],
  options: NegotiateCodecsOptions = {},
): RtpCodec[] {
  const answered = (o: RtpCodec, capability: CodecCapability, fmtp: string | null): RtpCodec => ({
    payloadType: o.payloadType,
    name: o.name,
    clockRate: o.clockRate,
    channels: o.channels,
    ...(fmtp === null ? {} : { fmtp }),
    rtcpFeedback: commonFeedback(o.rtcpFeedback, capability.rtcpFeedback),
  });
  const firstMatch = (
    o: RtpCodec,
  ): { capability: CodecCapability; rank: number; fmtp: string | null } | undefined => {
    for (let rank = 0; rank < capabilities.length; rank++) {
      const capability = capabilities[rank]!;
      const fmtp = answerFormat(o, capability);
      if (fmtp !== undefined) return { capability, rank, fmtp };
    }
    return undefined;
  };

  const primaries: { codec: RtpCodec; rank: number; offerIndex: number }[] = [];
  offered.forEach((o, offerIndex) => {
    if (codecRole(o.name) !== 'media') return;
    const match = firstMatch(o);
    if (match)
      primaries.push({
        codec: answered(o, match.capability, match.fmtp),
        rank: match.rank,
        offerIndex,
      });
  });
  if (options.order !== 'offer')
    primaries.sort((a, b) => a.rank - b.rank || a.offerIndex - b.offerIndex);
  const chosen = (options.singleCodec ? primaries.slice(0, 1) : primaries).map((p) => p.codec);
  const acceptedTypes = new Set(chosen.map((c) => c.payloadType));
  const clockRates = new Set(chosen.map((c) => c.clockRate));

  const associated: RtpCodec[] = [];
  for (const o of offered) {
    const role = codecRole(o.name);
    if (role === 'media') continue;
    const match = firstMatch(o);
    if (!match) continue;
    let keep: boolean;
    switch (role) {
      case 'retransmission': {
        const apt = rtxAssociatedPayloadType(o);
        keep = apt !== undefined && acceptedTypes.has(apt);
        break;
      }
      case 'redundancy': {
        // RFC 2198 §5: red shares the clock of the formats it carries, which must be accepted.
        const carried = redPayloadTypes(o);
        keep = clockRates.has(o.clockRate) && carried.every((pt) => acceptedTypes.has(pt));
        break;
      }
      default:
        // dtmf and comfort noise travel at the media codec's clock rate (RFC 4733 §2.1, RFC 3389 §5).
        keep = clockRates.has(o.clockRate);
    }
    if (keep) associated.push(answered(o, match.capability, match.fmtp));
  }
  // Firefox offers telephone-event/8000 only, also next to Opus: rather than lose DTMF, take
  // events at another clock rate when none was offered at the media codec's (the receiver
  // rescales the event timestamps).
  if (chosen.length > 0 && !associated.some((c) => codecRole(c.name) === 'dtmf')) {
    for (const o of offered) {
      if (codecRole(o.name) !== 'dtmf') continue;
      const match = firstMatch(o);
      if (!match) continue;
      associated.push(answered(o, match.capability, match.fmtp));
      break;
    }
  }
  return chosen.length === 0 ? [] : [...chosen, ...associated];
}

/** Hands out payload types: the preferred one when free, else a dynamic one (RFC 3551 §3). */
export type PayloadTypeAllocator = (preferred?: number) => number;

export function payloadTypeAllocator(reserved: Iterable<number> = []): PayloadTypeAllocator {
  const used = new Set(reserved);
  return (preferred) => {
    if (preferred !== undefined && !used.has(preferred)) {
      used.add(preferred);
      return preferred;
    }
    // 96..127 first, then 35..63 as browsers do; 64..95 would clash with RTCP packet types
    // under rtcp-mux (RFC 5761 §4).
    for (let pt = DYNAMIC_PAYLOAD_TYPES.first; pt <= DYNAMIC_PAYLOAD_TYPES.last; pt++)
      if (!used.has(pt)) return (used.add(pt), pt);
    for (let pt = 35; pt <= 63; pt++) if (!used.has(pt)) return (used.add(pt), pt);
    throw new SdpError('SDP_INVALID_ARGUMENT', 'more formats than free payload types');
  };
}

/** An offered format from a capability, with the given payload type and fmtp. */
export function formatFromCapability(
  capability: CodecCapability,
  payloadType: number,
  fmtp: string | undefined = capability.fmtp,
): RtpCodec {
  return {
    payloadType,
    name: capability.name,
    clockRate: capability.clockRate,
    channels: capability.channels ?? 1,
    ...(fmtp === undefined ? {} : { fmtp }),
    rtcpFeedback: capability.rtcpFeedback ?? [],
  };
}

const staticTypeOf = (c: CodecCapability): number | undefined =>
  staticPayloadTypeFor(c.name, c.clockRate, c.channels ?? 1);

/**
 * The formats that travel with the given media formats, from capabilities: telephone-event and
 * CN at each media clock rate, red carrying the first media format of its rate (RFC 2198), one
 * rtx per media format (RFC 4588 §8.6), FEC. `preferred` may suggest a payload type per capability.
 */
export function associatedFormats(
  media: readonly RtpCodec[],
  capabilities: readonly CodecCapability[],
  take: PayloadTypeAllocator,
  preferred: (capability: CodecCapability) => number | undefined = () => undefined,
): RtpCodec[] {
  const associated: RtpCodec[] = [];
  for (const c of capabilities) {
    const sameRate = media.filter((x) => x.clockRate === c.clockRate);
    if (sameRate.length === 0) continue;
    switch (codecRole(c.name)) {
      case 'media':
        break;
      case 'retransmission':
        for (const m of sameRate)
          associated.push(formatFromCapability(c, take(undefined), `apt=${m.payloadType}`));
        break;
      case 'redundancy': {
        const carried = sameRate[0]!;
        const fmtp =
          c.clockRate === 90000 ? undefined : `${carried.payloadType}/${carried.payloadType}`;
        associated.push(formatFromCapability(c, take(preferred(c) ?? c.payloadType), fmtp));
        break;
      }
      default:
        associated.push(
          formatFromCapability(c, take(preferred(c) ?? staticTypeOf(c) ?? c.payloadType)),
        );
    }
  }
  return associated;
}

/** Picks payload types for the formats of an offer from capabilities (static ones as assigned). */
export function offerCodecs(
  capabilities: readonly CodecCapability[],
  reserved: Iterable<number> = [],
): RtpCodec[] {
  const take = payloadTypeAllocator(reserved);
  const media = capabilities
    .filter((c) => codecRole(c.name) === 'media')
    .map((c) => formatFromCapability(c, take(staticTypeOf(c) ?? c.payloadType)));
  return media.length === 0 ? [] : [...media, ...associatedFormats(media, capabilities, take)];
}

// ---------------------------------------------------------------------------------------------
// Transport attributes per profile

function webRtcAddress(local: WebRtcEndpoint): { address: string; port: number } {
  const first = local.candidates.find((c) => c.component === 1);
  return { address: local.address ?? first?.address ?? NULL_ADDRESS, port: first?.port ?? 9 };
}

function localStreamAttributes(
  local: WebRtcEndpoint,
  kind: string,
  codecs: readonly RtpCodec[],
): Partial<Mutable<MediaSection>> {
  const stream = local.streams?.[kind as BridgedKind];
  if (!stream) return {};
  const ssrcs: SsrcAttribute[] = [
    { ssrc: stream.ssrc, attribute: 'cname', value: stream.cname },
    { ssrc: stream.ssrc, attribute: 'msid', value: `${stream.streamId} ${stream.trackId}` },
  ];
  const out: Partial<Mutable<MediaSection>> = {
    msid: { streamId: stream.streamId, trackId: stream.trackId },
  };
  if (stream.rtxSsrc !== undefined && codecs.some((c) => codecRole(c.name) === 'retransmission')) {
    ssrcs.push(
      { ssrc: stream.rtxSsrc, attribute: 'cname', value: stream.cname },
      { ssrc: stream.rtxSsrc, attribute: 'msid', value: `${stream.streamId} ${stream.trackId}` },
    );
    out.ssrcGroups = [{ semantics: 'FID', ssrcs: [stream.ssrc, stream.rtxSsrc] }];
  }
  out.ssrcs = ssrcs;
  return out;
}

function webRtcTransport(local: WebRtcEndpoint, setup: SetupRole): Partial<Mutable<MediaSection>> {
  const { address, port } = webRtcAddress(local);
  return {
    port,
    connection: connectionFor(address),
    ice: { ufrag: local.ice.ufrag, pwd: local.ice.pwd, options: local.ice.options ?? [] },
    candidates: local.candidates,
    // An ICE-lite agent has all its candidates at once (RFC 8838 §4.1 end-of-candidates).
    endOfCandidates: true,
    fingerprints: local.fingerprints,
    setup,
    rtcpMux: true,
  };
}

function sipPort(local: SipEndpoint, kind: string, index: number): number {
  const port = local.ports[kind as BridgedKind];
  if (port === undefined || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new SdpError(
      'SDP_INVALID_ARGUMENT',
      `no RTP port configured for ${kind} on the SIP leg`,
      { mediaIndex: index },
    );
  return port;
}

/** Whether the leg has a transport for this media kind (a SIP leg needs a port per kind). */
export function carries(local: LocalEndpoint, kind: string): boolean {
  return local.profile === 'webrtc' || local.ports[kind as BridgedKind] !== undefined;
}

const canReceive = (d: MediaDirection): boolean => d === 'sendrecv' || d === 'recvonly';

// ---------------------------------------------------------------------------------------------
// Answers

/** What to answer for one offered m= section: the formats and direction, or a rejection. */
export interface MediaAnswerPlan {
  readonly codecs: readonly RtpCodec[];
  readonly direction: MediaDirection;
}

export interface AnswerOptions extends SessionOptions, NegotiateCodecsOptions {
  /** Codecs per media kind; a kind without codecs is rejected. */
  readonly codecs: CodecsByKind;
  /** What the local side wants to do: `sendrecv` (default), or `sendonly`/`inactive` to hold. */
  readonly direction?: MediaDirection;
  /** Reject particular m= sections (return false), e.g. video when the call is audio-only. */
  readonly accept?: (section: MediaSection, index: number) => boolean;
}

export interface AnswerResult {
  readonly description: SessionDescription;
  readonly media: readonly NegotiatedMedia[];
}

/** Why an offered m= section cannot be taken on this leg, or undefined when its transport is fine. */
export function transportProblem(
  offer: SessionDescription,
  section: MediaSection,
  local: LocalEndpoint,
): SdpErrorCode | undefined {
  if (section.portCount !== undefined && section.portCount > 1) return 'SDP_UNSUPPORTED_TRANSPORT';
  const keying = srtpKeyingOf(section.protocol);
  if (!/RTP\/S?AVPF?$/i.test(section.protocol)) return 'SDP_UNSUPPORTED_TRANSPORT';
  if (local.profile === 'webrtc') {
    if (keying !== 'dtls') return 'SDP_UNSUPPORTED_TRANSPORT';
    // A bundled section may take its transport from the group's first section (RFC 8843 §7.1.3).
    const group = offer.groups.find(
      (g) =>
        g.semantics.toUpperCase() === 'BUNDLE' &&
        section.mid !== undefined &&
        g.mids.includes(section.mid),
    );
    const carriers = group
      ? offer.media.filter((m) => m.mid !== undefined && group.mids.includes(m.mid))
      : [section];
    if (!carriers.some((m) => m.ice)) return 'SDP_ICE_CREDENTIALS_MISSING';
    if (!carriers.some((m) => m.fingerprints.length > 0)) return 'SDP_FINGERPRINT_MISSING';
    if (carriers.some((m) => m.setup === 'holdconn')) return 'SDP_BAD_SETUP_ROLE';
    return undefined;
  }
  if (keying === 'dtls') return 'SDP_UNSUPPORTED_TRANSPORT';
  if (keying === 'sdes' && chooseCrypto(section.crypto, local) === undefined)
    return 'SDP_CRYPTO_NOT_ACCEPTABLE';
  return undefined;
}

/** RFC 4568 §7.1.2: the first offered a=crypto whose suite has a local key; the answer keeps its tag. */
function chooseCrypto(
  offered: readonly CryptoAttribute[],
  local: SipEndpoint,
): CryptoAttribute | undefined {
  for (const o of offered) {
    const key = local.sdes?.find((k) => k.suite.toUpperCase() === o.suite.toUpperCase());
    if (key)
      return {
        tag: o.tag,
        suite: o.suite,
        keyParams: key.keyParams,
        ...(key.sessionParams === undefined ? {} : { sessionParams: key.sessionParams }),
      };
  }
  return undefined;
}

function answerSetup(offered: SetupRole | undefined, local: WebRtcEndpoint): SetupRole {
  // RFC 5763 §5 / RFC 8842 §5.3: answer actpass with active or passive, active with passive,
  // passive with active. A missing a=setup is taken as actpass, as browsers do.
  if (offered === 'active') return 'passive';
  if (offered === 'passive') return 'active';
  return local.setup ?? 'active';
}

/**
 * Builds an answer from a plan per offered m= section (undefined rejects it with port 0). The
 * plans come from `createAnswer` or from the bridge, which pins codecs across legs.
 */
export function buildAnswer(
  offer: SessionDescription,
  local: LocalEndpoint,
  plans: readonly (MediaAnswerPlan | undefined)[],
  options: SessionOptions = {},
): AnswerResult {
  const media: MediaSection[] = offer.media.map((offered, index) => {
    const plan = plans[index];
    const rejected = (): MediaSection => {
      // RFC 3264 §6: a rejected stream keeps the media type, protocol and a format; JSEP keeps mid.
      const fields: Pick<MediaSection, 'kind' | 'port' | 'protocol' | 'formats'> &
        Partial<MediaSection> = {
        kind: offered.kind,
        port: 0,
        protocol: offered.protocol,
        formats: offered.formats.slice(0, 1),
        direction: 'inactive',
      };
      const section: Mutable<MediaSection> = emptyMedia(fields);
      if (offered.mid !== undefined) section.mid = offered.mid;
      if (local.profile === 'sip') section.connection = connectionFor(local.address);
      else section.connection = connectionFor(webRtcAddress(local).address);
      return section;
    };
    if (!plan || plan.codecs.length === 0 || !isActive(offer, offered)) return rejected();
    const section: Mutable<MediaSection> = emptyMedia({
      kind: offered.kind,
      port: 0,
      protocol: offered.protocol,
      formats: plan.codecs.map((c) => String(c.payloadType)),
      codecs: plan.codecs,
      direction: plan.direction,
    });
    if (offered.mid !== undefined) section.mid = offered.mid;
    if (local.profile === 'webrtc') {
      const offeredSetup = offered.setup ?? offer.media.find((m) => m.setup !== undefined)?.setup;
      Object.assign(section, webRtcTransport(local, answerSetup(offeredSetup, local)));
      section.rtcpMux = offered.rtcpMux;
      section.rtcpReducedSize = offered.rtcpReducedSize;
      const accepted = local.headerExtensions ?? [];
      section.extensions = offered.extensions
        .filter((e) => accepted.includes(e.uri))
        .map((e): HeaderExtension => ({ id: e.id, uri: e.uri }));
      if (plan.direction === 'sendrecv' || plan.direction === 'sendonly')
        Object.assign(section, localStreamAttributes(local, offered.kind, plan.codecs));
    } else {
      section.port = sipPort(local, offered.kind, index);
      section.connection = connectionFor(local.address);
      section.rtcpMux = offered.rtcpMux && local.rtcpMux === true;
      if (srtpKeyingOf(offered.protocol) === 'sdes') {
        const crypto = chooseCrypto(offered.crypto, local);
        if (crypto) section.crypto = [crypto];
      }
      if (offered.kind === 'audio') {
        if (local.ptime !== undefined) section.ptime = local.ptime;
        if (local.maxptime !== undefined) section.maxptime = local.maxptime;
      }
    }
    return section;
  });

  const groups: MediaGroup[] = [];
  if (local.profile === 'webrtc') {
    // RFC 8843 §7.3: the answer's BUNDLE group lists the accepted sections in the offered order.
    for (const group of offer.groups) {
      if (group.semantics.toUpperCase() !== 'BUNDLE') continue;
      const mids = group.mids.filter((mid) => media.some((m) => m.mid === mid && m.port !== 0));
      if (mids.length > 0) groups.push({ semantics: 'BUNDLE', mids });
    }
  }
  const address = local.profile === 'sip' ? local.address : webRtcAddress(local).address;
  const description = finishSession(
    {
      sessionName: options.sessionName ?? '-',
      timing: { start: 0, stop: 0 },
      bandwidth: [],
      iceLite: local.profile === 'webrtc' && local.iceLite !== false,
      groups,
      extmapAllowMixed: false,
      media,
      otherAttributes: [],
    },
    address,
    options,
  );
  return { description, media: describeNegotiation(offer, description, 'answerer') };
}

/**
 * Answers an offer (RFC 3264 §6): per m= section, the offered formats the local codecs accept
 * with the offer's payload types, the direction from what was offered and what the local side
 * wants, the leg's transport, and port 0 for what cannot be taken. Throws SdpError (488) when
 * nothing at all can be accepted: SDP_NO_COMMON_CODECS, or the transport problem found.
 */
export function createAnswer(
  offer: SessionDescription,
  local: LocalEndpoint,
  options: AnswerOptions,
): AnswerResult {
  const problems: SdpErrorCode[] = [];
  const plans = offer.media.map((section, index): MediaAnswerPlan | undefined => {
    if (!isActive(offer, section)) return undefined;
    const capabilities = options.codecs[section.kind as BridgedKind];
    if (!capabilities || !carries(local, section.kind)) return undefined;
    if (options.accept && !options.accept(section, index)) return undefined;
    const problem = transportProblem(offer, section, local);
    if (problem) {
      problems.push(problem);
      return undefined;
    }
    const codecs = negotiateCodecs(section.codecs, capabilities, options);
    if (codecs.length === 0) {
      problems.push('SDP_NO_COMMON_CODECS');
      return undefined;
    }
    // RFC 3264 §8.4: an offer with c=0.0.0.0 cannot receive, whatever its direction says.
    const offeredDirection = effectiveDirection(section);
    return {
      codecs,
      direction: answerDirection(offeredDirection, options.direction ?? 'sendrecv'),
    };
  });
  if (!plans.some((p) => p !== undefined)) {
    const code =
      problems.find((p) => p !== 'SDP_NO_COMMON_CODECS') ??
      (problems.length > 0 ? 'SDP_NO_COMMON_CODECS' : 'SDP_NO_USABLE_MEDIA');
    throw new SdpError(code, noMediaMessage(code));
  }
  return buildAnswer(offer, local, plans, options);
}

export function noMediaMessage(code: SdpErrorCode): string {
  switch (code) {
    case 'SDP_NO_COMMON_CODECS':
      return 'no offered codec is acceptable';
    case 'SDP_UNSUPPORTED_TRANSPORT':
      return 'no offered m= section uses a transport this leg supports';
    case 'SDP_CRYPTO_NOT_ACCEPTABLE':
      return 'no offered a=crypto suite is acceptable';
    case 'SDP_ICE_CREDENTIALS_MISSING':
      return 'the offer has no a=ice-ufrag/a=ice-pwd';
    case 'SDP_FINGERPRINT_MISSING':
      return 'the offer has no a=fingerprint for DTLS-SRTP';
    case 'SDP_BAD_SETUP_ROLE':
      return 'the offer uses a=setup:holdconn';
    default:
      return 'the offer has no audio or video stream this leg can take';
  }
}

// ---------------------------------------------------------------------------------------------
// Offers

export interface OfferMedia {
  readonly kind: BridgedKind;
  /** Formats with payload types (see `offerCodecs`), or capabilities to derive them from. */
  readonly codecs: readonly RtpCodec[] | { readonly capabilities: readonly CodecCapability[] };
  /** Default sendrecv; `sendonly` or `inactive` holds the stream (RFC 3264 §8.4). */
  readonly direction?: MediaDirection;
  /** WebRTC leg: the a=mid (default: the previous one at this position, else the index). */
  readonly mid?: string;
  /** Keep this position as a disabled stream (port 0). */
  readonly disabled?: boolean;
}

export interface OfferOptions extends SessionOptions {
  readonly media: readonly OfferMedia[];
}

/**
 * Creates an offer (RFC 3264 §5; for the WebRTC leg RFC 8829 §5.2 with a=setup:actpass, BUNDLE
 * of every stream and rtcp-mux). With `previous`, m= sections keep their positions and mids and
 * a section the new offer does not mention stays as a disabled one (RFC 3264 §8.1).
 */
export function createOffer(local: LocalEndpoint, options: OfferOptions): SessionDescription {
  const previous = options.previous;
  const wanted: (OfferMedia | undefined)[] = [...options.media];
  while (previous && wanted.length < previous.media.length) wanted.push(undefined);
  const media = wanted.map((m, index): MediaSection => {
    const earlier = previous?.media[index];
    if (earlier && m && earlier.kind !== m.kind && earlier.port !== 0)
      throw new SdpError(
        'SDP_INVALID_ARGUMENT',
        `m= section ${index} was ${earlier.kind}; a new offer cannot turn it into ${m.kind} (RFC 3264 §8.1)`,
        { mediaIndex: index },
      );
    const kind = m?.kind ?? earlier!.kind;
    const codecs = !m
      ? []
      : 'capabilities' in m.codecs
        ? offerCodecs(m.codecs.capabilities)
        : [...m.codecs];
    const mid = local.profile === 'webrtc' ? (m?.mid ?? earlier?.mid ?? String(index)) : m?.mid;
    const protocol =
      local.profile === 'webrtc'
        ? WEBRTC_PROTOCOL
        : local.sdes && local.sdes.length > 0
          ? 'RTP/SAVP'
          : 'RTP/AVP';
    if (!m || m.disabled || codecs.length === 0) {
      const section: Mutable<MediaSection> = emptyMedia({
        kind,
        port: 0,
        protocol: earlier?.protocol ?? protocol,
        formats:
          earlier?.formats.slice(0, 1) ??
          (codecs.length > 0 ? [String(codecs[0]!.payloadType)] : ['0']),
        direction: 'inactive',
      });
      if (mid !== undefined) section.mid = mid;
      section.connection = connectionFor(
        local.profile === 'sip' ? local.address : webRtcAddress(local).address,
      );
      return section;
    }
    const direction = m.direction ?? 'sendrecv';
    const section: Mutable<MediaSection> = emptyMedia({
      kind,
      port: 0,
      protocol,
      formats: codecs.map((c) => String(c.payloadType)),
      codecs,
      direction,
    });
    if (mid !== undefined) section.mid = mid;
    if (local.profile === 'webrtc') {
      Object.assign(section, webRtcTransport(local, 'actpass'));
      section.rtcpReducedSize = true;
      section.extensions = (local.headerExtensions ?? []).map((uri, i): HeaderExtension => ({
        id: i + 1,
        uri,
      }));
      if (direction === 'sendrecv' || direction === 'sendonly')
        Object.assign(section, localStreamAttributes(local, kind, codecs));
    } else {
      section.port = sipPort(local, kind, index);
      // RFC 3264 §8.4: RFC 2543 equipment knows hold only as c=0.0.0.0.
      const hold = local.legacyHold === true && !canReceive(direction);
      section.connection = connectionFor(hold ? NULL_ADDRESS : local.address);
      section.rtcpMux = local.rtcpMux === true;
      section.crypto = (local.sdes ?? []).map((k, i): CryptoAttribute => ({
        tag: i + 1,
        suite: k.suite,
        keyParams: k.keyParams,
        ...(k.sessionParams === undefined ? {} : { sessionParams: k.sessionParams }),
      }));
      if (kind === 'audio') {
        if (local.ptime !== undefined) section.ptime = local.ptime;
        if (local.maxptime !== undefined) section.maxptime = local.maxptime;
      }
    }
    return section;
  });
  if (!media.some((m) => m.port !== 0))
    throw new SdpError('SDP_INVALID_ARGUMENT', 'an offer needs at least one stream with codecs');
  const groups: MediaGroup[] = [];
  if (local.profile === 'webrtc') {
    const mids = media.filter((m) => m.port !== 0 && m.mid !== undefined).map((m) => m.mid!);
    groups.push({ semantics: 'BUNDLE', mids });
  }
  const address = local.profile === 'sip' ? local.address : webRtcAddress(local).address;
  return finishSession(
    {
      sessionName: options.sessionName ?? '-',
      timing: { start: 0, stop: 0 },
      bandwidth: [],
      iceLite: local.profile === 'webrtc' && local.iceLite !== false,
      groups,
      extmapAllowMixed: false,
      media,
      otherAttributes: [],
    },
    address,
    options,
  );
}

/** The offerer's view of what an answer to its offer settled (validates the answer). */
export function processAnswer(
  offer: SessionDescription,
  answer: SessionDescription,
): NegotiatedMedia[] {
  return describeNegotiation(offer, answer, 'offerer');
}
