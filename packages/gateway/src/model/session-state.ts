import { GatewayError } from '../errors.js';
import type { SessionState } from './status.js';

/**
 * Allowed moves of a session: CONNECTED (WebSocket accepted) → ESTABLISHED (SIP account bound)
 * → REGISTERED/UNREGISTERED as registration comes and goes; FAILED and DISCONNECTED end it.
 */
const SESSION_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  CONNECTED: ['ESTABLISHED', 'FAILED', 'DISCONNECTED'],
  ESTABLISHED: ['REGISTERED', 'UNREGISTERED', 'FAILED', 'DISCONNECTED'],
  REGISTERED: ['REGISTERED', 'UNREGISTERED', 'FAILED', 'DISCONNECTED'],
  UNREGISTERED: ['REGISTERED', 'UNREGISTERED', 'FAILED', 'DISCONNECTED'],
  FAILED: ['DISCONNECTED'],
  DISCONNECTED: [],
};

export function canTransitionSession(from: SessionState, to: SessionState): boolean {
  return SESSION_TRANSITIONS[from].includes(to);
}

/** The one place a session's status changes; same contract as `transitionCall`. */
export function transitionSession(
  sessionId: string,
  from: SessionState,
  to: SessionState,
): boolean {
  if (!canTransitionSession(from, to)) {
    throw new GatewayError(
      'INVALID_SESSION_TRANSITION',
      `session ${sessionId} cannot go from ${from} to ${to}`,
      { details: { sessionId, from, to } },
    );
  }
  return from !== to;
}
