// @callbridge/sdp: a typed session description model over sdp-transform, and offer/answer for
// the WebRTC profile and the plain SIP profile, with the B2BUA bridge between them.
export { SdpError, type SdpErrorCode, type SdpErrorOptions, type SdpSipStatus } from './errors.js';
export type {
  Bandwidth,
  ConnectionAddress,
  CryptoAttribute,
  Fingerprint,
  HeaderExtension,
  IceCandidate,
  IceParameters,
  MediaDirection,
  MediaGroup,
  MediaKind,
  MediaSection,
  MediaStreamId,
  Origin,
  OtherAttribute,
  RtcpFeedback,
  RtpCodec,
  SessionDescription,
  SetupRole,
  SsrcAttribute,
  SsrcGroup,
} from './model.js';
export { parseSdp, type ParseOptions } from './parse.js';
export { serializeSdp } from './serialize.js';
export { parseFmtp, formatFmtp } from './fmtp.js';
export {
  answerH264,
  formatProfileLevelId,
  parseProfileLevelId,
  sameH264Format,
  type H264Profile,
  type H264ProfileLevel,
} from './h264.js';
export {
  answerFormat,
  capabilityChannels,
  codecRole,
  commonFeedback,
  formatEventList,
  parseEventList,
  redPayloadTypes,
  rtxAssociatedPayloadType,
  sameFormat,
  type CodecCapability,
  type CodecRole,
} from './codecs.js';
export {
  staticPayloadType,
  staticPayloadTypeFor,
  type StaticPayloadType,
} from './static-payload-types.js';
export {
  answerDirection,
  directionReceives,
  directionSends,
  effectiveDirection,
  isHeld,
  isNullConnection,
  makeDirection,
  reverseDirection,
} from './direction.js';
export type {
  BridgedKind,
  CodecsByKind,
  LocalEndpoint,
  LocalStream,
  SdesKey,
  SessionOptions,
  SipEndpoint,
  WebRtcEndpoint,
} from './endpoint.js';
export {
  describeNegotiation,
  srtpKeyingOf,
  type NegotiatedCodec,
  type NegotiatedMedia,
  type SrtpKeying,
} from './negotiation.js';
export {
  buildAnswer,
  createAnswer,
  createOffer,
  negotiateCodecs,
  offerCodecs,
  processAnswer,
  type AnswerOptions,
  type AnswerResult,
  type MediaAnswerPlan,
  type NegotiateCodecsOptions,
  type OfferMedia,
  type OfferOptions,
} from './offer-answer.js';
export {
  bridgeAnswer,
  bridgeOffer,
  type BridgeAnswer,
  type BridgedStream,
  type BridgeLeg,
  type BridgeMode,
  type BridgeOffer,
  type BridgeOptions,
} from './bridge.js';
export {
  browserAnswerToSip,
  browserOfferToSip,
  sipAnswerToBrowser,
  sipOfferToBrowser,
  type BridgedMedia,
  type GatewayAnswer,
  type GatewayMediaConfig,
  type GatewayOffer,
} from './gateway.js';
export { parseOpusParameters, type OpusParameters } from './opus.js';
