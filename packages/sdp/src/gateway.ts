// The four SDP steps of a WebRTC ⇄ SIP call, named for the gateway: a browser calls out
// (browser offer → SIP offer; SIP answer, or the SDP of a 183, → browser answer) and a SIP
// call comes in (SIP offer → browser offer; browser answer → SIP answer). A SIP INVITE without
// SDP is handled as a call out: the browser makes the offer, the gateway's SIP offer goes in
// the 200 and the ACK carries the answer.
import { bridgeAnswer, bridgeOffer, type BridgeMode, type BridgeOffer } from './bridge.js';
import type { CodecsByKind, SipEndpoint, WebRtcEndpoint } from './endpoint.js';
import { SdpError } from './errors.js';
import type { SessionDescription } from './model.js';
import type { NegotiatedMedia } from './negotiation.js';
import { parseSdp } from './parse.js';
import { serializeSdp } from './serialize.js';

export interface GatewayMediaConfig {
  /** The gateway's ICE-lite / DTLS side toward the browser. */
  readonly webrtc: WebRtcEndpoint;
  /** The gateway's RTP side toward the SIP network. */
  readonly sip: SipEndpoint;
  /** Codecs allowed per leg and kind, in preference order (`relayOnly` for those it cannot transcode). */
  readonly codecs: { readonly webrtc: CodecsByKind; readonly sip: CodecsByKind };
  /** Offer codecs that need the transcoder (default true). */
  readonly transcoding?: boolean;
  /** Offer shared codecs first so the far end picks relay (default true). */
  readonly preferRelay?: boolean;
  /** What the gateway last sent on each leg, for re-INVITEs and renegotiation. */
  readonly previous?: { readonly webrtc?: SessionDescription; readonly sip?: SessionDescription };
  /** o= username and s= line of the gateway's descriptions. */
  readonly username?: string;
  readonly sessionName?: string;
}

/** An offer the gateway made on one leg for an offer it received on the other. */
export interface GatewayOffer {
  readonly flow: 'browser-to-sip' | 'sip-to-browser';
  /** The offer to send (to the SIP side for browser-to-sip, to the browser otherwise). */
  readonly description: SessionDescription;
  readonly sdp: string;
  readonly bridge: BridgeOffer;
}

/** One media stream of the call, as negotiated on both legs. */
export interface BridgedMedia {
  readonly kind: string;
  /** relay: same codec on both legs; transcode: different codecs; rejected: not in the call. */
  readonly mode: BridgeMode;
  readonly webrtc?: NegotiatedMedia;
  readonly sip?: NegotiatedMedia;
}

/** The answer the gateway gives on the leg the offer came from, and what the call now uses. */
export interface GatewayAnswer {
  readonly description: SessionDescription;
  readonly sdp: string;
  /** One entry per m= section of the received offer. */
  readonly media: readonly BridgedMedia[];
  /** True when no accepted stream needs the transcoder. */
  readonly relay: boolean;
}

function parsed(sdp: string | SessionDescription): SessionDescription {
  return typeof sdp === 'string' ? parseSdp(sdp) : sdp;
}

function legOptions(config: GatewayMediaConfig, leg: 'webrtc' | 'sip') {
  const previous = config.previous?.[leg];
  return {
    endpoint: config[leg],
    codecs: config.codecs[leg],
    ...(previous ? { previous } : {}),
  };
}

function bridgeOptions(config: GatewayMediaConfig, from: 'webrtc' | 'sip', to: 'webrtc' | 'sip') {
  return {
    incoming: legOptions(config, from),
    outgoing: legOptions(config, to),
    ...(config.transcoding === undefined ? {} : { transcoding: config.transcoding }),
    ...(config.preferRelay === undefined ? {} : { preferRelay: config.preferRelay }),
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.sessionName === undefined ? {} : { sessionName: config.sessionName }),
  };
}

function answerFor(
  offer: GatewayOffer,
  expected: GatewayOffer['flow'],
  answer: string | SessionDescription,
): GatewayAnswer {
  if (offer.flow !== expected)
    throw new SdpError(
      'SDP_INVALID_ARGUMENT',
      `this offer was made for the ${offer.flow} flow, not ${expected}`,
    );
  const result = bridgeAnswer(offer.bridge, parsed(answer));
  const incomingLeg = expected === 'browser-to-sip' ? 'webrtc' : 'sip';
  const outgoingLeg = expected === 'browser-to-sip' ? 'sip' : 'webrtc';
  const media = result.streams.map((s): BridgedMedia => {
    const entry: { -readonly [K in keyof BridgedMedia]: BridgedMedia[K] } = {
      kind: s.kind,
      mode: s.mode,
    };
    entry[incomingLeg] = s.incoming;
    if (s.outgoing) entry[outgoingLeg] = s.outgoing;
    return entry;
  });
  return {
    description: result.incomingAnswer,
    sdp: serializeSdp(result.incomingAnswer),
    media,
    relay: media.every((m) => m.mode !== 'transcode'),
  };
}

/** Browser calls out: its offer becomes the gateway's RTP/AVP (or SDES) offer to the SIP side. */
export function browserOfferToSip(
  browserOffer: string | SessionDescription,
  config: GatewayMediaConfig,
): GatewayOffer {
  const bridge = bridgeOffer(parsed(browserOffer), bridgeOptions(config, 'webrtc', 'sip'));
  return {
    flow: 'browser-to-sip',
    description: bridge.outgoingOffer,
    sdp: serializeSdp(bridge.outgoingOffer),
    bridge,
  };
}

/**
 * The SIP side answered (a 200, or a 183 with SDP for early media): the answer for the browser,
 * with the gateway's ICE-lite credentials, candidates, fingerprint and DTLS role.
 */
export function sipAnswerToBrowser(
  offer: GatewayOffer,
  sipAnswer: string | SessionDescription,
): GatewayAnswer {
  return answerFor(offer, 'browser-to-sip', sipAnswer);
}

/** A SIP call comes in with an offer: the gateway's WebRTC offer to the browser. */
export function sipOfferToBrowser(
  sipOffer: string | SessionDescription,
  config: GatewayMediaConfig,
): GatewayOffer {
  const bridge = bridgeOffer(parsed(sipOffer), bridgeOptions(config, 'sip', 'webrtc'));
  return {
    flow: 'sip-to-browser',
    description: bridge.outgoingOffer,
    sdp: serializeSdp(bridge.outgoingOffer),
    bridge,
  };
}

/** The browser answered: the gateway's answer to the SIP offer. */
export function browserAnswerToSip(
  offer: GatewayOffer,
  browserAnswer: string | SessionDescription,
): GatewayAnswer {
  return answerFor(offer, 'sip-to-browser', browserAnswer);
}
