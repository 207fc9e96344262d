import type { SrtpContextOptions } from '@callbridge/srtp';
import type { DtmfDigit } from './dtmf/digits.js';
import type { DtmfInfoContentType } from './dtmf/sip-info.js';
import type { MediaError } from './errors.js';

/** The two legs of a call. */
export type LegId = 'a' | 'b';

/**
 * Where a leg's packets go: the gateway plugs a UDP socket, an ICE transport or a test harness
 * in here. The bytes are only valid during the call; send or copy them before returning.
 */
export interface MediaTransport {
  sendRtp(data: Uint8Array, length: number): void;
  sendRtcp(data: Uint8Array, length: number): void;
}

/** One negotiated RTP payload format (`a=rtpmap`, `a=fmtp`). */
export interface PayloadFormat {
  readonly payloadType: number;
  /** Encoding name as in SDP (`PCMU`, `opus`, `G722`, `VP8`, `H264`). */
  readonly name: string;
  readonly clockRate: number;
  readonly channels?: number;
  readonly fmtp?: string;
}

/** `telephone-event/<clockRate>` (RFC 4733 §7.1.1). */
export interface TelephoneEventFormat {
  readonly payloadType: number;
  readonly clockRate: number;
}

/** How a leg carries DTMF: RTP events, SIP INFO or tones in the audio. */
export type DtmfMode = 'rfc4733' | 'sip-info' | 'inband';

/** SDP direction attribute of a leg, from the leg's point of view (RFC 3264 §5.1). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface LegAudioConfig {
  /** Formats the leg accepts, preferred first; the first is what we send it. */
  readonly formats: readonly PayloadFormat[];
  /** Packetization interval we send with (default 20 ms; 10, 20, 30, 40 and 60 are typical). */
  readonly ptime?: number;
  readonly telephoneEvents?: readonly TelephoneEventFormat[];
  /** Payload type of `CN/8000` (RFC 3389), if negotiated. */
  readonly comfortNoisePayloadType?: number;
}

export interface LegVideoConfig {
  readonly formats: readonly PayloadFormat[];
}

/** SRTP keys of a leg: what we protect with (`send`) and what the peer protects with (`receive`). */
export interface LegSrtpConfig {
  readonly send: SrtpContextOptions;
  readonly receive: SrtpContextOptions;
}

export interface LegConfig {
  readonly transport: MediaTransport;
  readonly audio?: LegAudioConfig;
  readonly video?: LegVideoConfig;
  /** Absent for plain RTP. SDES (RFC 4568) and DTLS-SRTP keys both end up here. */
  readonly srtp?: LegSrtpConfig;
  /** DTMF mode (default `rfc4733` when the leg negotiated telephone-event, else `inband`). */
  readonly dtmf?: DtmfMode;
  /** Body type for SIP INFO DTMF towards this leg (default `application/dtmf-relay`). */
  readonly sipInfoContentType?: DtmfInfoContentType;
  readonly direction?: MediaDirection;
  /** RTCP CNAME we use towards this leg. */
  readonly cname?: string;
}

export interface DtmfEvent {
  /** Leg the digit came from. */
  readonly leg: LegId;
  readonly digit: DtmfDigit;
  readonly durationMs: number;
  readonly via: DtmfMode;
}

export interface MediaSessionEvents {
  /** A digit received from a leg (after it ended, with its duration). */
  dtmf: DtmfEvent;
  /** Send this SIP INFO on `leg` (DTMF towards a `sip-info` leg). */
  sipInfo: {
    readonly leg: LegId;
    readonly contentType: DtmfInfoContentType;
    readonly body: string;
  };
  /**
   * Ask `leg` for a video keyframe on its SIP side (RFC 5168 `picture_fast_update` INFO). A PLI
   * has been sent on RTCP as well.
   */
  pictureFastUpdate: { readonly leg: LegId };
  /** No RTP or RTCP from a leg that should be sending, for the configured time. */
  inactive: { readonly leg: LegId; readonly silentForMs: number };
  /** A direction changed between relaying and transcoding. */
  modeChange: { readonly from: LegId; readonly mode: PathMode };
  /** A problem that did not stop the session (for example a codec failing on one packet). */
  error: MediaError;
}

/** How audio flows from one leg to the other. */
export type PathMode = 'relay' | 'transcode' | 'none';

export interface LegStatistics {
  readonly rtpReceived: number;
  readonly rtpSent: number;
  readonly rtcpReceived: number;
  readonly rtcpSent: number;
  /** SRTP/SRTCP packets that failed authentication or replay checks. */
  readonly srtpFailures: number;
  /** Packets that were not RTP, or had a payload type the leg did not negotiate. */
  readonly discarded: number;
  /** Packets not forwarded because of hold or direction. */
  readonly suppressed: number;
  /**
   * Interarrival jitter (RFC 3550 §6.4.1, estimated as in A.8) of the leg's latest audio source,
   * in milliseconds; absent until that source has passed probation (A.1).
   */
  readonly audioJitterMs?: number;
}
