/**
 * Names the WebSocket protocol v1 carries, shared by the gateway and the browser SDK. The
 * names follow what people who used web call servers expect; the wire carries these strings.
 * Pure TypeScript: no DOM, no Node.
 */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol (Sec-WebSocket-Protocol) clients may ask for. */
export const WEBSOCKET_SUBPROTOCOL = 'callbridge.v1';

export const CALL_STATUS = {
  /** Created, nothing sent yet. */
  NEW: 'NEW',
  /** Accepted by the gateway, SIP INVITE being prepared (or waiting for the browser's offer). */
  PENDING: 'PENDING',
  /** The SIP side answered 100 Trying. */
  TRYING: 'TRYING',
  /** 180 Ringing (for an incoming call: the browser is being alerted). */
  RING: 'RING',
  /** 180 with SDP: ringing with early media. */
  RING_MEDIA: 'RING_MEDIA',
  /** 183 Session Progress with SDP: early media (ringback, announcements). */
  SESSION_PROGRESS: 'SESSION_PROGRESS',
  ESTABLISHED: 'ESTABLISHED',
  /** Held by either side. */
  HOLD: 'HOLD',
  /** The callee was busy (486/600): final. */
  BUSY: 'BUSY',
  /** Ended normally: final. */
  FINISH: 'FINISH',
  /** Ended with a failure reason: final. */
  FAILED: 'FAILED',
} as const;
export type CallStatus = (typeof CALL_STATUS)[keyof typeof CALL_STATUS];

/** Statuses after which a call does nothing more. */
export const FINAL_CALL_STATUSES: readonly CallStatus[] = ['BUSY', 'FINISH', 'FAILED'];

export const SESSION_STATUS = {
  /** The WebSocket is open and the session accepted. */
  CONNECTED: 'CONNECTED',
  /** The SIP account is bound: the gateway can place calls for it. */
  ESTABLISHED: 'ESTABLISHED',
  REGISTERED: 'REGISTERED',
  UNREGISTERED: 'UNREGISTERED',
  DISCONNECTED: 'DISCONNECTED',
  FAILED: 'FAILED',
  /** Not a state: the event that announces an incoming call. */
  INCOMING_CALL: 'INCOMING_CALL',
} as const;
/** The states a session can be in (INCOMING_CALL is only an event). */
export type SessionState = Exclude<
  (typeof SESSION_STATUS)[keyof typeof SESSION_STATUS],
  'INCOMING_CALL'
>;

/** Why the gateway failed a call or session, beyond a plain SIP final response. */
export const FAILURE_REASON = {
  NO_COMMON_CODECS: 'NO_COMMON_CODECS',
  FAILED_BY_ICE_ERROR: 'FAILED_BY_ICE_ERROR',
  FAILED_BY_DTLS_FINGERPRINT_ERROR: 'FAILED_BY_DTLS_FINGERPRINT_ERROR',
  FAILED_BY_DTLS_ERROR: 'FAILED_BY_DTLS_ERROR',
  FAILED_BY_REQUEST_TIMEOUT: 'FAILED_BY_REQUEST_TIMEOUT',
  FAILED_BY_RTP_ACTIVITY: 'FAILED_BY_RTP_ACTIVITY',
  /** The SIP side answered with a final error response; `sipStatus`/`sipReason` say which. */
  SIP_ERROR: 'SIP_ERROR',
  /** Registration was refused (401/403 after authentication, or another final error). */
  AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  /** The SIP server could not be reached (transport error or no response). */
  SIP_SERVER_UNREACHABLE: 'SIP_SERVER_UNREACHABLE',
  /** The callee does not match the account's dial-plan allowlist. */
  DIAL_PLAN_REJECTED: 'DIAL_PLAN_REJECTED',
  /** The browser went away and did not come back within the grace period. */
  BROWSER_DISCONNECTED: 'BROWSER_DISCONNECTED',
  /** The gateway is stopping. */
  GATEWAY_SHUTDOWN: 'GATEWAY_SHUTDOWN',
  /** No call backend is wired into this gateway, so nothing can reach SIP. */
  GATEWAY_UNAVAILABLE: 'GATEWAY_UNAVAILABLE',
  /** The call-control backend failed; `message` says how. */
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type GatewayFailureReason = (typeof FAILURE_REASON)[keyof typeof FAILURE_REASON];

/** A failure as the gateway reports it on the wire. */
export interface GatewayFailure {
  readonly reason: GatewayFailureReason;
  /** SIP final response status when the failure came from the SIP side. */
  readonly sipStatus?: number;
  readonly sipReason?: string;
  readonly message?: string;
}

export const DTMF_TYPE = {
  /** RFC 4733 telephone-event (the successor of RFC 2833). */
  RFC2833: 'RFC2833',
  /** SIP INFO with application/dtmf-relay. */
  INFO: 'INFO',
} as const;
export type DtmfType = (typeof DTMF_TYPE)[keyof typeof DTMF_TYPE];
