// What the local side brings to a leg: its transport parameters and, per media kind, its codecs.
import type { CodecCapability } from './codecs.js';
import type { Fingerprint, IceCandidate, SessionDescription } from './model.js';

/** The media kinds the gateway bridges. */
export type BridgedKind = 'audio' | 'video';

/** Codec capabilities per media kind, in preference order. A kind without a list is rejected. */
export type CodecsByKind = Readonly<Partial<Record<BridgedKind, readonly CodecCapability[]>>>;

/** The local side's own outgoing stream in a media section (announced with a=msid and a=ssrc). */
export interface LocalStream {
  readonly ssrc: number;
  readonly cname: string;
  readonly streamId: string;
  readonly trackId: string;
  /** SSRC of the RFC 4588 retransmission stream, announced as a=ssrc-group:FID. */
  readonly rtxSsrc?: number;
}

/**
 * The local side of a WebRTC leg (RFC 8829 JSEP profile): UDP/TLS/RTP/SAVPF with ICE, DTLS-SRTP,
 * BUNDLE and rtcp-mux. The gateway is an ICE-lite agent with host candidates only.
 */
export interface WebRtcEndpoint {
  readonly profile: 'webrtc';
  readonly ice: {
    readonly ufrag: string;
    readonly pwd: string;
    readonly options?: readonly string[];
  };
  /** a=ice-lite at the session level (RFC 8445 §5.1.1). Default true. */
  readonly iceLite?: boolean;
  readonly candidates: readonly IceCandidate[];
  /** The local DTLS certificate's fingerprint(s) (RFC 8122). */
  readonly fingerprints: readonly Fingerprint[];
  /**
   * DTLS role taken when answering an `actpass` offer. Default `active`: RFC 5763 §5 recommends
   * it, as the handshake can then start as soon as the answer is sent.
   */
  readonly setup?: 'active' | 'passive';
  /** The c= address; default the first candidate's. The m= port is the first candidate's. */
  readonly address?: string;
  /** RTP header extensions (RFC 8285) the local side accepts, by URI; answers keep the offered ids. */
  readonly headerExtensions?: readonly string[];
  /** Outgoing streams to announce, per kind. */
  readonly streams?: Readonly<Partial<Record<BridgedKind, LocalStream>>>;
}

/** One SDES key the local side can use (RFC 4568), as the a=crypto strings the SRTP layer made. */
export interface SdesKey {
  readonly suite: string;
  /** e.g. `inline:<base64 key||salt>` with optional lifetime and MKI. */
  readonly keyParams: string;
  readonly sessionParams?: string;
}

/** The local side of a plain SIP leg: RTP/AVP, or RTP/SAVP with SDES keys. */
export interface SipEndpoint {
  readonly profile: 'sip';
  /** The c= address media is received on (the public address behind 1:1 NAT). */
  readonly address: string;
  /** The RTP port per media kind. */
  readonly ports: Readonly<Partial<Record<BridgedKind, number>>>;
  /**
   * SDES keys in preference order. When given, offers use RTP/SAVP with one a=crypto line per key;
   * answers to RTP/SAVP pick the first offered suite that has a key here. Without keys the leg
   * offers RTP/AVP and rejects RTP/SAVP streams.
   */
  readonly sdes?: readonly SdesKey[];
  /** Offer a=rtcp-mux (RFC 5761) and accept it when offered. Default false. */
  readonly rtcpMux?: boolean;
  /** a=ptime / a=maxptime to state, in milliseconds. */
  readonly ptime?: number;
  readonly maxptime?: number;
  /**
   * Put a held stream on hold the RFC 2543 way as well (c=0.0.0.0 besides a=sendonly or
   * a=inactive, RFC 3264 §8.4) for equipment that knows only that form. Default false.
   */
  readonly legacyHold?: boolean;
}

export type LocalEndpoint = WebRtcEndpoint | SipEndpoint;

/** Origin fields and versioning shared by offers and answers. */
export interface SessionOptions {
  /** o= username; default `-`. */
  readonly username?: string;
  /** s= line; default `-`. */
  readonly sessionName?: string;
  /**
   * The description this side sent last on this leg. The new one keeps its o= session id and
   * bumps the version only if something changed (RFC 3264 §8); a new offer keeps its m= sections
   * in order (RFC 3264 §8.1).
   */
  readonly previous?: SessionDescription;
}
