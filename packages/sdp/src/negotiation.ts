// What an offer/answer exchange settled, seen from the local side: the result type both the
// answerer (after createAnswer) and the offerer (after receiving the answer) work with.
import { codecRole, sameFormat } from './codecs.js';
import { directionReceives, directionSends, isNullConnection, makeDirection } from './direction.js';
import { SdpError } from './errors.js';
import type {
  ConnectionAddress,
  CryptoAttribute,
  Fingerprint,
  HeaderExtension,
  IceCandidate,
  IceParameters,
  MediaDirection,
  MediaSection,
  RtcpFeedback,
  RtpCodec,
  SessionDescription,
  SetupRole,
  SsrcAttribute,
} from './model.js';

/** One payload format both sides agreed on, with the payload type each direction uses. */
export interface NegotiatedCodec {
  readonly name: string;
  readonly clockRate: number;
  readonly channels: number;
  /** Payload type to put in packets sent to the remote side (from the remote description). */
  readonly sendPayloadType: number;
  /** Payload type the remote side puts in packets it sends here (from the local description). */
  readonly receivePayloadType: number;
  /** Parameters the local side stated (its receive preferences). */
  readonly localFmtp?: string;
  /** Parameters the remote side stated: they bound what may be sent to it. */
  readonly remoteFmtp?: string;
  /** RTCP feedback both sides listed. */
  readonly rtcpFeedback: readonly RtcpFeedback[];
}

export type SrtpKeying = 'dtls' | 'sdes' | 'none';

/** The negotiated state of one m= section. */
export interface NegotiatedMedia {
  readonly index: number;
  readonly kind: string;
  readonly mid?: string;
  /** False when the answer (or the offer) gave port 0: the stream is rejected. */
  readonly accepted: boolean;
  /** What the local side does: sendrecv, or less when held or one-way. */
  readonly direction: MediaDirection;
  /** The remote side asked not to receive (a=sendonly, a=inactive, or c=0.0.0.0): it holds the call. */
  readonly remoteHold: boolean;
  /** The first media codec of the answer: the one to send, and to expect. */
  readonly codec?: NegotiatedCodec;
  /** RFC 4733 events, at the codec's clock rate when negotiated so (else check clockRate). */
  readonly telephoneEvent?: NegotiatedCodec;
  /** RFC 3389 comfort noise at the codec's clock rate, if negotiated. */
  readonly comfortNoise?: NegotiatedCodec;
  /** Every negotiated payload format (media codecs first, then dtmf, CN, red, rtx, fec). */
  readonly codecs: readonly NegotiatedCodec[];
  /** Packetization the remote side asked for (a=ptime/a=maxptime), in ms. */
  readonly remotePtime?: number;
  readonly remoteMaxptime?: number;
  readonly localPtime?: number;
  /** Where to send RTP and RTCP. */
  readonly remoteAddress?: ConnectionAddress;
  readonly remotePort: number;
  readonly remoteRtcpPort: number;
  /** RFC 5761: both sides agreed to multiplex RTCP on the RTP port. */
  readonly rtcpMux: boolean;
  readonly rtcpReducedSize: boolean;
  readonly srtp: SrtpKeying;
  /** DTLS-SRTP: the remote ICE credentials, candidates and certificate fingerprints. */
  readonly remoteIce?: IceParameters;
  readonly remoteCandidates: readonly IceCandidate[];
  readonly remoteFingerprints: readonly Fingerprint[];
  /** DTLS-SRTP: which side runs the DTLS client (RFC 5763 §5: `active` is the client). */
  readonly dtlsRole?: 'client' | 'server';
  /** SDES: the a=crypto line of each side for the agreed tag (RFC 4568 §7.1). */
  readonly localCrypto?: CryptoAttribute;
  readonly remoteCrypto?: CryptoAttribute;
  /** The remote side's announced SSRCs (RFC 5576). */
  readonly remoteSsrcs: readonly SsrcAttribute[];
  /** RTP header extensions both sides agreed on, with the ids of the answer (RFC 8285 §6). */
  readonly headerExtensions: readonly HeaderExtension[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const isDtlsProtocol = (protocol: string): boolean =>
  /(^|\/)(UDP\/TLS|TCP\/TLS|UDP\/DTLS|TCP\/DTLS|DTLS)\//i.test(protocol);
const isSavp = (protocol: string): boolean => /RTP\/SAVPF?$/i.test(protocol);

export function srtpKeyingOf(protocol: string): SrtpKeying {
  if (isDtlsProtocol(protocol)) return 'dtls';
  return isSavp(protocol) ? 'sdes' : 'none';
}

/** RFC 8843: a bundle-only section with port 0 that is inside a BUNDLE group is in use. */
export function isBundled(description: SessionDescription, section: MediaSection): boolean {
  return (
    section.mid !== undefined &&
    description.groups.some(
      (g) => g.semantics.toUpperCase() === 'BUNDLE' && g.mids.includes(section.mid!),
    )
  );
}

export function isActive(description: SessionDescription, section: MediaSection): boolean {
  return section.port !== 0 || (section.bundleOnly && isBundled(description, section));
}

/** The transport of a bundled section is the one of the first (tagged) section of its group. */
function transportSection(description: SessionDescription, section: MediaSection): MediaSection {
  if (section.mid === undefined) return section;
  const group = description.groups.find(
    (g) => g.semantics.toUpperCase() === 'BUNDLE' && g.mids.includes(section.mid!),
  );
  const tagMid = group?.mids.find((mid) =>
    description.media.some((m) => m.mid === mid && m.port !== 0),
  );
  return description.media.find((m) => m.mid === tagMid) ?? section;
}

function dtlsRoleOf(
  local: SetupRole | undefined,
  remote: SetupRole | undefined,
): 'client' | 'server' | undefined {
  if (local === 'active') return 'client';
  if (local === 'passive') return 'server';
  if (local === 'actpass') {
    if (remote === 'active') return 'server';
    if (remote === 'passive') return 'client';
  }
  return undefined;
}

function pairCodecs(
  offer: MediaSection,
  answer: MediaSection,
  localIsOfferer: boolean,
  index: number,
): NegotiatedCodec[] {
  const pairs: NegotiatedCodec[] = [];
  for (const answered of answer.codecs) {
    // RFC 3264 §6.1: the answer should reuse the offer's payload types; match by format if not.
    const offered =
      offer.codecs.find((c) => c.payloadType === answered.payloadType && sameFormat(c, answered)) ??
      offer.codecs.find((c) => sameFormat(c, answered));
    if (!offered) continue;
    const local: RtpCodec = localIsOfferer ? offered : answered;
    const remote: RtpCodec = localIsOfferer ? answered : offered;
    const feedback = answered.rtcpFeedback.filter((f) =>
      offered.rtcpFeedback.some((o) => o.type === f.type && o.parameter === f.parameter),
    );
    const codec: Mutable<NegotiatedCodec> = {
      name: answered.name,
      clockRate: answered.clockRate,
      channels: answered.channels,
      sendPayloadType: remote.payloadType,
      receivePayloadType: local.payloadType,
      rtcpFeedback: feedback,
    };
    if (local.fmtp !== undefined) codec.localFmtp = local.fmtp;
    if (remote.fmtp !== undefined) codec.remoteFmtp = remote.fmtp;
    pairs.push(codec);
  }
  if (pairs.length === 0 && answer.codecs.length > 0)
    throw new SdpError('SDP_ANSWER_MISMATCH', 'the answer lists no payload format of the offer', {
      mediaIndex: index,
    });
  const rank = (c: NegotiatedCodec): number => {
    const role = codecRole(c.name);
    return role === 'media' ? 0 : role === 'dtmf' ? 1 : role === 'comfort-noise' ? 2 : 3;
  };
  return pairs
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map(({ c }) => c);
}

/**
 * Describes what an offer and its answer settled, from the local side's point of view. The
 * offerer calls it when the answer arrives (it validates the answer against the offer); the
 * answerer gets it from `createAnswer`. Throws SDP_ANSWER_MISMATCH when the answer does not fit.
 */
export function describeNegotiation(
  offer: SessionDescription,
  answer: SessionDescription,
  localRole: 'offerer' | 'answerer',
): NegotiatedMedia[] {
  if (answer.media.length !== offer.media.length)
    throw new SdpError(
      'SDP_ANSWER_MISMATCH',
      `the answer has ${answer.media.length} m= sections, the offer ${offer.media.length} (RFC 3264 §6)`,
    );
  const localIsOfferer = localRole === 'offerer';
  const localDescription = localIsOfferer ? offer : answer;
  const remoteDescription = localIsOfferer ? answer : offer;
  return offer.media.map((offered, index): NegotiatedMedia => {
    const answered = answer.media[index]!;
    if (answered.kind !== offered.kind)
      throw new SdpError(
        'SDP_ANSWER_MISMATCH',
        `m= section ${index} is ${offered.kind} in the offer but ${answered.kind} in the answer`,
        { mediaIndex: index },
      );
    const localSection = localIsOfferer ? offered : answered;
    const remoteSection = localIsOfferer ? answered : offered;
    const accepted = isActive(offer, offered) && isActive(answer, answered);
    const remoteTransport = transportSection(remoteDescription, remoteSection);
    const localTransport = transportSection(localDescription, localSection);
    const result: Mutable<NegotiatedMedia> = {
      index,
      kind: offered.kind,
      accepted,
      direction: 'inactive',
      remoteHold: false,
      codecs: [],
      remotePort: remoteTransport.port,
      remoteRtcpPort: remoteTransport.port,
      rtcpMux: offered.rtcpMux && answered.rtcpMux,
      rtcpReducedSize: offered.rtcpReducedSize && answered.rtcpReducedSize,
      srtp: srtpKeyingOf(offered.protocol),
      remoteCandidates: remoteTransport.candidates,
      remoteFingerprints: remoteTransport.fingerprints,
      remoteSsrcs: remoteSection.ssrcs,
      headerExtensions: [],
    };
    if (offered.mid !== undefined) result.mid = offered.mid;
    if (!accepted) return result;

    result.headerExtensions = answered.extensions.filter((e) =>
      offered.extensions.some((o) => o.uri === e.uri),
    );
    const codecs = pairCodecs(offered, answered, localIsOfferer, index);
    result.codecs = codecs;
    const primary = codecs.find((c) => codecRole(c.name) === 'media');
    if (primary) {
      result.codec = primary;
      const dtmf = codecs.filter((c) => codecRole(c.name) === 'dtmf');
      const te = dtmf.find((c) => c.clockRate === primary.clockRate) ?? dtmf[0];
      if (te) result.telephoneEvent = te;
      const cn = codecs.find(
        (c) => codecRole(c.name) === 'comfort-noise' && c.clockRate === primary.clockRate,
      );
      if (cn) result.comfortNoise = cn;
    }
    // RFC 3264 §6.1: each side states what it does; a side sends only if the other receives.
    // RFC 3264 §8.4: a null c= address means that side receives nothing, unless it uses ICE:
    // there c= only names the default candidate, and a browser that gathered only mDNS host
    // candidates (Firefox by default, RFC 8839 §5.1) has no IP address to put there.
    const receives = (section: MediaSection, transport: MediaSection): boolean =>
      directionReceives(section.direction) &&
      (transport.ice !== undefined || !isNullConnection(transport.connection));
    const remoteReceives = receives(remoteSection, remoteTransport);
    const localReceives = receives(localSection, localTransport);
    result.direction = makeDirection(
      directionSends(localSection.direction) && remoteReceives,
      localReceives && directionSends(remoteSection.direction),
    );
    result.remoteHold = !remoteReceives;
    if (remoteTransport.connection) result.remoteAddress = remoteTransport.connection;
    result.remoteRtcpPort = result.rtcpMux
      ? remoteTransport.port
      : (remoteTransport.rtcp?.port ?? remoteTransport.port + 1);
    if (remoteSection.ptime !== undefined) result.remotePtime = remoteSection.ptime;
    if (remoteSection.maxptime !== undefined) result.remoteMaxptime = remoteSection.maxptime;
    if (localSection.ptime !== undefined) result.localPtime = localSection.ptime;
    if (remoteTransport.ice) result.remoteIce = remoteTransport.ice;
    if (result.srtp === 'dtls') {
      const role = dtlsRoleOf(
        localTransport.setup,
        remoteTransport.setup ?? (localIsOfferer ? undefined : 'actpass'),
      );
      if (role) result.dtlsRole = role;
    }
    if (result.srtp === 'sdes') {
      // RFC 4568 §7.1.2: the answer carries one a=crypto line whose tag picks the offered one.
      const chosen = answered.crypto[0];
      const matching = chosen && offered.crypto.find((c) => c.tag === chosen.tag);
      if (chosen && matching) {
        result.localCrypto = localIsOfferer ? matching : chosen;
        result.remoteCrypto = localIsOfferer ? chosen : matching;
      }
    }
    return result;
  });
}
