import { GatewayError } from '../errors.js';
import type { CallStatus } from './status.js';

/**
 * Allowed moves of a call. Repeated provisional responses (a second 180 from a fork, 183
 * updates) are self-transitions that report no change. BUSY, FINISH and FAILED are final.
 */
const CALL_TRANSITIONS: Readonly<Record<CallStatus, readonly CallStatus[]>> = {
  NEW: ['PENDING', 'TRYING', 'RING', 'FAILED', 'FINISH'],
  PENDING: [
    'TRYING',
    'RING',
    'RING_MEDIA',
    'SESSION_PROGRESS',
    'ESTABLISHED',
    'BUSY',
    'FAILED',
    'FINISH',
  ],
  TRYING: [
    'TRYING',
    'RING',
    'RING_MEDIA',
    'SESSION_PROGRESS',
    'ESTABLISHED',
    'BUSY',
    'FAILED',
    'FINISH',
  ],
  RING: ['RING', 'RING_MEDIA', 'SESSION_PROGRESS', 'ESTABLISHED', 'BUSY', 'FAILED', 'FINISH'],
  RING_MEDIA: ['RING', 'RING_MEDIA', 'SESSION_PROGRESS', 'ESTABLISHED', 'BUSY', 'FAILED', 'FINISH'],
  SESSION_PROGRESS: [
    'RING',
    'RING_MEDIA',
    'SESSION_PROGRESS',
    'ESTABLISHED',
    'BUSY',
    'FAILED',
    'FINISH',
  ],
  ESTABLISHED: ['HOLD', 'FAILED', 'FINISH'],
  HOLD: ['ESTABLISHED', 'FAILED', 'FINISH'],
  BUSY: [],
  FINISH: [],
  FAILED: [],
};

export function canTransitionCall(from: CallStatus, to: CallStatus): boolean {
  return CALL_TRANSITIONS[from].includes(to);
}

/**
 * The one place a call's status changes. Returns whether the status changed (false for an
 * allowed self-transition); throws INVALID_CALL_TRANSITION for a move the table forbids.
 */
export function transitionCall(callId: string, from: CallStatus, to: CallStatus): boolean {
  if (!canTransitionCall(from, to)) {
    throw new GatewayError(
      'INVALID_CALL_TRANSITION',
      `call ${callId} cannot go from ${from} to ${to}`,
      { details: { callId, from, to } },
    );
  }
  return from !== to;
}
