/**
 * The SDK's event names and failure reasons. The wire names they build on (statuses, the
 * gateway's failure reasons, DTMF types) live in ./protocol, shared with the gateway.
 */
import type { GatewayFailure, GatewayFailureReason, SessionState } from './protocol/index.js';
import { CALL_STATUS, SESSION_STATUS } from './protocol/index.js';

/** The states a session can be in, as the SDK reports them. */
export type SessionStatus = SessionState;

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
  GatewayFailureReason | (typeof CLIENT_FAILURE_REASON)[keyof typeof CLIENT_FAILURE_REASON];

/** A failure reported by the gateway or detected by the SDK. */
export interface Failure extends Omit<GatewayFailure, 'reason'> {
  readonly reason: FailureReason;
}
