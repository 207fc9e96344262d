/**
 * The WebSocket protocol v1 between the browser SDK and the gateway: the names it carries and
 * the shapes of its messages. Both sides import it from here; it has no DOM or Node dependency.
 */
export {
  PROTOCOL_VERSION,
  WEBSOCKET_SUBPROTOCOL,
  CALL_STATUS,
  FINAL_CALL_STATUSES,
  SESSION_STATUS,
  FAILURE_REASON,
  DTMF_TYPE,
} from './constants.js';
export type {
  CallStatus,
  SessionState,
  GatewayFailureReason,
  GatewayFailure,
  DtmfType,
} from './constants.js';
export type {
  SessionDescription,
  SipOptionsMessage,
  ClientMessage,
  ClientMessageType,
  ServerMessage,
} from './messages.js';
