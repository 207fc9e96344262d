// The wire protocol, shared with the gateway.
export {
  CALL_STATUS,
  SESSION_STATUS,
  FAILURE_REASON,
  DTMF_TYPE,
  FINAL_CALL_STATUSES,
  PROTOCOL_VERSION,
  WEBSOCKET_SUBPROTOCOL,
} from './protocol/index.js';
export type {
  CallStatus,
  SessionState,
  GatewayFailure,
  GatewayFailureReason,
  DtmfType,
  SessionDescription,
  SipOptionsMessage,
  ClientMessage,
  ClientMessageType,
  ServerMessage,
} from './protocol/index.js';
export { CALL_EVENT, SESSION_EVENT, CLIENT_FAILURE_REASON } from './constants.js';
export type { SessionStatus, Failure, FailureReason } from './constants.js';
export { CallbridgeError, CLIENT_ERROR_CODES } from './errors.js';
export type { ClientErrorCode } from './errors.js';
export { Call } from './call.js';
export type { CallOptions, CallEvents, CallStatusEvent } from './call.js';
export type { CallStats, InboundStats, OutboundStats } from './stats.js';
export { Session, createSession, connectSession, fetchGatewayInfo } from './session.js';
export type {
  SessionOptions,
  SipOptions,
  SessionEvents,
  SessionStatusEvent,
  GatewayInfo,
} from './session.js';
export { getUserMedia, mediaError } from './media.js';
export type { MediaConstraints } from './media.js';
export { websocketUrl } from './signalling.js';
