/**
 * Status names and failure reasons exactly as the gateway reports them (WebSocket protocol v1).
 * The client package does not import the gateway (it runs in browsers); a test checks that
 * these lists match the gateway's.
 */
export const PROTOCOL_VERSION = 1;
export const WEBSOCKET_SUBPROTOCOL = 'callbridge.v1';

export const CALL_STATUS = {
  NEW: 'NEW',
  PENDING: 'PENDING',
  TRYING: 'TRYING',
  RING: 'RING',
  RING_MEDIA: 'RING_MEDIA',
  SESSION_PROGRESS: 'SESSION_PROGRESS',
  ESTABLISHED: 'ESTABLISHED',
  HOLD: 'HOLD',
  BUSY: 'BUSY',
  FINISH: 'FINISH',
  FAILED: 'FAILED',
} as const;
export type CallStatus = (typeof CALL_STATUS)[keyof typeof CALL_STATUS];

/** Statuses after which a call does nothing more. */
export const FINAL_CALL_STATUSES: readonly CallStatus[] = ['BUSY', 'FINISH', 'FAILED'];

export const SESSION_STATUS = {
  CONNECTED: 'CONNECTED',
  ESTABLISHED: 'ESTABLISHED',
  REGISTERED: 'REGISTERED',
  UNREGISTERED: 'UNREGISTERED',
  DISCONNECTED: 'DISCONNECTED',
  FAILED: 'FAILED',
  INCOMING_CALL: 'INCOMING_CALL',
} as const;
export type SessionStatus = Exclude<
  (typeof SESSION_STATUS)[keyof typeof SESSION_STATUS],
  'INCOMING_CALL'
>;

/** Session events besides the statuses. */
export const SESSION_EVENT = {
  ...SESSION_STATUS,
  /** The gateway asked this browser to place a call (REST /call/startup with this session). */
  OUTGOING_CALL: 'OUTGOING_CALL',
  /** The WebSocket dropped; the SDK is reconnecting and will resume the session. */
  RECONNECTING: 'RECONNECTING',
  /** The session was resumed on a new WebSocket; calls continue. */
  RESUMED: 'RESUMED',
} as const;

/** Call events besides the statuses. */
export const CALL_EVENT = {
  ...CALL_STATUS,
  /** Progress of a transfer this call requested (SIP status of the NOTIFY sipfrag). */
  TRANSFER_STATUS: 'TRANSFER_STATUS',
  /** DTMF received from the remote party. */
  DTMF_RECEIVED: 'DTMF_RECEIVED',
  /** The local media stream is ready (after getUserMedia). */
  LOCAL_STREAM: 'LOCAL_STREAM',
  /** Remote media arrived. */
  REMOTE_STREAM: 'REMOTE_STREAM',
} as const;

export const FAILURE_REASON = {
  NO_COMMON_CODECS: 'NO_COMMON_CODECS',
  FAILED_BY_ICE_ERROR: 'FAILED_BY_ICE_ERROR',
  FAILED_BY_DTLS_FINGERPRINT_ERROR: 'FAILED_BY_DTLS_FINGERPRINT_ERROR',
  FAILED_BY_DTLS_ERROR: 'FAILED_BY_DTLS_ERROR',
  FAILED_BY_REQUEST_TIMEOUT: 'FAILED_BY_REQUEST_TIMEOUT',
  FAILED_BY_RTP_ACTIVITY: 'FAILED_BY_RTP_ACTIVITY',
  SIP_ERROR: 'SIP_ERROR',
  AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  SIP_SERVER_UNREACHABLE: 'SIP_SERVER_UNREACHABLE',
  DIAL_PLAN_REJECTED: 'DIAL_PLAN_REJECTED',
  BROWSER_DISCONNECTED: 'BROWSER_DISCONNECTED',
  GATEWAY_SHUTDOWN: 'GATEWAY_SHUTDOWN',
  GATEWAY_UNAVAILABLE: 'GATEWAY_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

/** Failures the browser side detects itself. */
export const CLIENT_FAILURE_REASON = {
  MEDIA_PERMISSION_DENIED: 'MEDIA_PERMISSION_DENIED',
  MEDIA_DEVICE_NOT_FOUND: 'MEDIA_DEVICE_NOT_FOUND',
  MEDIA_DEVICE_BUSY: 'MEDIA_DEVICE_BUSY',
  MEDIA_UNSUPPORTED: 'MEDIA_UNSUPPORTED',
  WEBRTC_ERROR: 'WEBRTC_ERROR',
  CONNECTION_LOST: 'CONNECTION_LOST',
  REQUEST_REFUSED: 'REQUEST_REFUSED',
} as const;

export type FailureReason =
  | (typeof FAILURE_REASON)[keyof typeof FAILURE_REASON]
  | (typeof CLIENT_FAILURE_REASON)[keyof typeof CLIENT_FAILURE_REASON];

export interface Failure {
  readonly reason: FailureReason;
  readonly sipStatus?: number;
  readonly sipReason?: string;
  readonly message?: string;
}

export const DTMF_TYPE = {
  /** RFC 4733 telephone-events in the media (the RFC 2833 successor). */
  RFC2833: 'RFC2833',
  /** SIP INFO. */
  INFO: 'INFO',
} as const;
export type DtmfType = (typeof DTMF_TYPE)[keyof typeof DTMF_TYPE];
