import { describe, expect, it } from 'vitest';
import {
  CALL_STATUSES,
  GatewayError,
  SESSION_STATES,
  canTransitionCall,
  canTransitionSession,
  transitionCall,
  transitionSession,
} from '@callbridge/gateway';

describe('call state machine', () => {
  it('walks an outbound call with early media to the end', () => {
    const path = [
      'PENDING',
      'TRYING',
      'RING',
      'SESSION_PROGRESS',
      'ESTABLISHED',
      'HOLD',
      'ESTABLISHED',
      'FINISH',
    ] as const;
    let from: (typeof CALL_STATUSES)[number] = 'NEW';
    for (const to of path) {
      expect(transitionCall('c', from, to)).toBe(true);
      from = to;
    }
  });

  it('treats repeated provisional responses as no change', () => {
    expect(transitionCall('c', 'RING', 'RING')).toBe(false);
    expect(transitionCall('c', 'SESSION_PROGRESS', 'SESSION_PROGRESS')).toBe(false);
  });

  it('never leaves a final state', () => {
    for (const final of ['BUSY', 'FINISH', 'FAILED'] as const) {
      for (const to of CALL_STATUSES) expect(canTransitionCall(final, to)).toBe(false);
    }
  });

  it('rejects going back from ESTABLISHED to ringing with a typed error', () => {
    let error: unknown;
    try {
      transitionCall('c1', 'ESTABLISHED', 'RING');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('INVALID_CALL_TRANSITION');
    expect((error as GatewayError).details).toEqual({
      callId: 'c1',
      from: 'ESTABLISHED',
      to: 'RING',
    });
  });

  it('cannot hold a call that is not up', () => {
    expect(canTransitionCall('RING', 'HOLD')).toBe(false);
    expect(canTransitionCall('NEW', 'ESTABLISHED')).toBe(false);
  });
});

describe('session state machine', () => {
  it('goes CONNECTED → ESTABLISHED → REGISTERED ↔ UNREGISTERED → DISCONNECTED', () => {
    expect(transitionSession('s', 'CONNECTED', 'ESTABLISHED')).toBe(true);
    expect(transitionSession('s', 'ESTABLISHED', 'REGISTERED')).toBe(true);
    expect(transitionSession('s', 'REGISTERED', 'UNREGISTERED')).toBe(true);
    expect(transitionSession('s', 'UNREGISTERED', 'REGISTERED')).toBe(true);
    expect(transitionSession('s', 'REGISTERED', 'REGISTERED')).toBe(false);
    expect(transitionSession('s', 'REGISTERED', 'DISCONNECTED')).toBe(true);
  });

  it('ends only in DISCONNECTED, and FAILED only leads there', () => {
    for (const to of SESSION_STATES) {
      expect(canTransitionSession('DISCONNECTED', to)).toBe(false);
      expect(canTransitionSession('FAILED', to)).toBe(to === 'DISCONNECTED');
    }
    expect(() => transitionSession('s', 'CONNECTED', 'REGISTERED')).toThrow(
      /cannot go from CONNECTED/,
    );
  });
});
