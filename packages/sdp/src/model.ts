// The typed session description: what an SDP says, resolved so a reader never has to look in two
// places. Session-level defaults that RFC 4566 (RFC 8866) lets a media section inherit (c=,
// direction, ICE credentials, fingerprint, setup) are copied into every media section on parse;
// the serializer writes them per section again (as JSEP does), except c=, which goes to the
// session level when every section shares it (what older SIP equipment expects).

/** RFC 3264 §5.1 / RFC 4566 §6: the direction attribute of a media stream. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** RFC 4145 §4 / RFC 8842: which side opens the DTLS (or TCP) connection. */
export type SetupRole = 'actpass' | 'active' | 'passive' | 'holdconn';

/** RFC 4566 §5.14 media types; others are kept as written. */
export type MediaKind = 'audio' | 'video' | 'application' | 'text' | 'message' | 'image';

export interface ConnectionAddress {
  /** `IP4` or `IP6` (the c= line's addrtype). */
  readonly addressType: 'IP4' | 'IP6';
  /** Unicast address, or multicast address with its /ttl suffix kept as written. */
  readonly address: string;
}

/** RFC 4566 §5.2 o= line. Numbers are kept as decimal strings: they may exceed 2^53. */
export interface Origin {
  readonly username: string;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly addressType: 'IP4' | 'IP6';
  readonly address: string;
}

export interface Bandwidth {
  readonly type: 'AS' | 'CT' | 'TIAS' | 'RR' | 'RS';
  /** kbit/s for AS and CT, bit/s for TIAS (RFC 3890), bit/s for RR/RS (RFC 3556). */
  readonly value: number;
}

/** RFC 4585 §4.2 a=rtcp-fb value for one payload type: `nack`, `nack pli`, `ccm fir`, `transport-cc`. */
export interface RtcpFeedback {
  readonly type: string;
  readonly parameter?: string;
}

/** One payload format of an RTP m= section (its a=rtpmap, a=fmtp and a=rtcp-fb lines together). */
export interface RtpCodec {
  /** 0..127, as it appears on the m= line. */
  readonly payloadType: number;
  /** Encoding name as written (`opus`, `PCMU`, `telephone-event`); compare case-insensitively. */
  readonly name: string;
  readonly clockRate: number;
  /** Audio channels; 1 when the rtpmap gives none. */
  readonly channels: number;
  /** The a=fmtp value as written, if any. Parse it with `parseFmtp`. */
  readonly fmtp?: string;
  readonly rtcpFeedback: readonly RtcpFeedback[];
}

/** RFC 8839 §5.1 a=candidate. */
export interface IceCandidate {
  readonly foundation: string;
  readonly component: number;
  /** `udp` or `tcp` (lower case on parse). */
  readonly transport: string;
  readonly priority: number;
  readonly address: string;
  readonly port: number;
  readonly type: 'host' | 'srflx' | 'prflx' | 'relay';
  readonly relatedAddress?: string;
  readonly relatedPort?: number;
  /** RFC 6544 §4.5 tcptype for TCP candidates. */
  readonly tcpType?: 'active' | 'passive' | 'so';
}

/** RFC 8122 §5 a=fingerprint: hash function name and the colon-separated upper-case hex value. */
export interface Fingerprint {
  readonly algorithm: string;
  readonly value: string;
}

/**
 * RFC 4568 §9.1 a=crypto, kept as strings: the SRTP package owns what the key parameters mean.
 * `keyParams` is e.g. `inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32`.
 */
export interface CryptoAttribute {
  readonly tag: number;
  readonly suite: string;
  readonly keyParams: string;
  readonly sessionParams?: string;
}

/** RFC 5576 a=ssrc:<ssrc> <attribute>[:<value>]. */
export interface SsrcAttribute {
  readonly ssrc: number;
  readonly attribute: string;
  readonly value?: string;
}

/** RFC 5576 §4.2 a=ssrc-group (FID for RTX, FEC-FR, SIM). */
export interface SsrcGroup {
  readonly semantics: string;
  readonly ssrcs: readonly number[];
}

/** RFC 8285 a=extmap. */
export interface HeaderExtension {
  readonly id: number;
  readonly direction?: MediaDirection;
  readonly uri: string;
  readonly attributes?: string;
}

/** RFC 8830 a=msid. */
export interface MediaStreamId {
  readonly streamId: string;
  readonly trackId?: string;
}

/** An attribute this model has no field for, kept so a parse/serialize round trip loses nothing. */
export interface OtherAttribute {
  readonly name: string;
  readonly value?: string;
}

export interface IceParameters {
  readonly ufrag: string;
  readonly pwd: string;
  /** RFC 8839 §5.6 a=ice-options tokens, e.g. `trickle`, `ice2`. */
  readonly options: readonly string[];
}

/** One m= section. */
export interface MediaSection {
  readonly kind: MediaKind | (string & {});
  /** 0 marks a rejected or disabled stream (RFC 3264 §6), or a bundle-only section (RFC 8843). */
  readonly port: number;
  /** RFC 4566 port count (`m=audio 49170/2 ...`), when given. */
  readonly portCount?: number;
  /** `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`, ... as written. */
  readonly protocol: string;
  /** The m= line's format list as written (payload types for RTP). */
  readonly formats: readonly string[];
  /** RTP payload formats in m= line order. A dynamic type without a=rtpmap is left out. */
  readonly codecs: readonly RtpCodec[];
  /** Effective connection address (media level, else session level). */
  readonly connection?: ConnectionAddress;
  readonly bandwidth: readonly Bandwidth[];
  /** Effective direction (media level, else session level, else sendrecv). */
  readonly direction: MediaDirection;
  readonly mid?: string;
  /** RFC 3605 a=rtcp. */
  readonly rtcp?: { readonly port: number; readonly connection?: ConnectionAddress };
  /** RFC 5761 a=rtcp-mux. */
  readonly rtcpMux: boolean;
  /** RFC 5506 a=rtcp-rsize. */
  readonly rtcpReducedSize: boolean;
  /** RFC 4566 a=ptime / a=maxptime, in milliseconds. */
  readonly ptime?: number;
  readonly maxptime?: number;
  readonly ice?: IceParameters;
  readonly candidates: readonly IceCandidate[];
  readonly endOfCandidates: boolean;
  readonly fingerprints: readonly Fingerprint[];
  readonly setup?: SetupRole;
  readonly crypto: readonly CryptoAttribute[];
  readonly ssrcs: readonly SsrcAttribute[];
  readonly ssrcGroups: readonly SsrcGroup[];
  readonly msid?: MediaStreamId;
  readonly extensions: readonly HeaderExtension[];
  /** RFC 8843 §6 a=bundle-only. */
  readonly bundleOnly: boolean;
  /** RFC 8841 a=sctp-port and a=max-message-size for data channels. */
  readonly sctpPort?: number;
  readonly maxMessageSize?: number;
  readonly otherAttributes: readonly OtherAttribute[];
}

/** RFC 5888 a=group, e.g. `BUNDLE 0 1` (RFC 8843) or `LS`. */
export interface MediaGroup {
  readonly semantics: string;
  readonly mids: readonly string[];
}

export interface SessionDescription {
  readonly origin: Origin;
  /** s= (`-` when the sender has nothing to say). */
  readonly sessionName: string;
  readonly timing: { readonly start: number; readonly stop: number };
  /** c= at the session level as written (each media section also carries its effective one). */
  readonly connection?: ConnectionAddress;
  readonly bandwidth: readonly Bandwidth[];
  /** RFC 8445 §5.1.1 a=ice-lite. */
  readonly iceLite: boolean;
  readonly groups: readonly MediaGroup[];
  /** RFC 8830 a=msid-semantic (historic, still sent by browsers). */
  readonly msidSemantic?: { readonly semantic: string; readonly token: string };
  /** RFC 8285 §6 a=extmap-allow-mixed. */
  readonly extmapAllowMixed: boolean;
  readonly media: readonly MediaSection[];
  readonly otherAttributes: readonly OtherAttribute[];
}
