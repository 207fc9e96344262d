/**
 * Call and session states as the browser SDK and the REST API see them. The names are part of
 * the WebSocket protocol, which lives in @callbridge/client (the reference implementation of
 * its browser side); this module adds the lists the gateway iterates (schema enums, metrics).
 */
import type {
  CallStatus,
  DtmfType,
  GatewayFailure,
  GatewayFailureReason,
  SessionState,
} from '@callbridge/client';
import {
  CALL_STATUS,
  DTMF_TYPE,
  FAILURE_REASON,
  FINAL_CALL_STATUSES as FINAL_CALL_STATUS_LIST,
  SESSION_STATUS,
} from '@callbridge/client';

export { CALL_STATUS, DTMF_TYPE, FAILURE_REASON, SESSION_STATUS };
export type { CallStatus, DtmfType, SessionState };
/** Why a call or session failed, beyond a plain SIP final response. */
export type FailureReason = GatewayFailureReason;
/** A failure as reported to clients. */
export type Failure = GatewayFailure;

export const CALL_STATUSES = Object.values(CALL_STATUS) as readonly CallStatus[];
export const FINAL_CALL_STATUSES: ReadonlySet<CallStatus> = new Set(FINAL_CALL_STATUS_LIST);

export type SessionStatusEvent = (typeof SESSION_STATUS)[keyof typeof SESSION_STATUS];
export const SESSION_STATES = Object.values(SESSION_STATUS).filter(
  (s): s is SessionState => s !== 'INCOMING_CALL',
);

export const FAILURE_REASONS = Object.values(FAILURE_REASON) as readonly FailureReason[];
export const DTMF_TYPES = Object.values(DTMF_TYPE) as readonly DtmfType[];
