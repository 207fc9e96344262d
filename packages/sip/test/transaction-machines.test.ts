// The transaction timer tables of RFC 3261 §17 / RFC 6026 on fake time.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIMERS,
  InviteClientTransaction,
  InviteServerTransaction,
  ManualClock,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  SipStateError,
} from '@callbridge/sip';

function clientHost(clock: ManualClock): {
  log: string[];
  sendTimes: number[];
  host: ConstructorParameters<typeof InviteClientTransaction<string>>[0];
} {
  const log: string[] = [];
  const sendTimes: number[] = [];
  return {
    log,
    sendTimes,
    host: {
      transmit: () => sendTimes.push(clock.now()),
      sendAck: (r) => log.push(`ack ${r}`),
      deliver: (r) => log.push(`deliver ${r}`),
      fail: (reason) => log.push(`fail ${reason}`),
      terminated: () => log.push(`terminated@${clock.now()}`),
    },
  };
}

function serverHost(clock: ManualClock): {
  log: string[];
  sendTimes: number[];
  host: ConstructorParameters<typeof InviteServerTransaction<string>>[0];
} {
  const log: string[] = [];
  const sendTimes: number[] = [];
  return {
    log,
    sendTimes,
    host: {
      transmit: (r) => {
        sendTimes.push(clock.now());
        log.push(`send ${r}`);
      },
      sendTrying: () => log.push(`trying@${clock.now()}`),
      deliverAck: () => log.push('ack to TU'),
      fail: (reason) => log.push(`fail ${reason}`),
      terminated: () => log.push(`terminated@${clock.now()}`),
    },
  };
}

describe('INVITE client transaction (§17.1.1, RFC 6026)', () => {
  it('retransmits on Timer A with doubling and times out on Timer B (64*T1) over UDP', () => {
    const clock = new ManualClock();
    const { host, sendTimes, log } = clientHost(clock);
    const tx = new InviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    clock.advance(40_000);
    // 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s: 7 sends before Timer B at 32 s.
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(log).toEqual(['terminated@32000', 'fail timeout']);
    expect(tx.state).toBe('terminated');
    expect(clock.pending).toBe(0);
  });

  it('does not retransmit over a reliable transport', () => {
    const clock = new ManualClock();
    const { host, sendTimes } = clientHost(clock);
    const tx = new InviteClientTransaction(host, clock, DEFAULT_TIMERS, true);
    tx.start();
    clock.advance(31_999);
    expect(sendTimes).toEqual([0]);
    expect(tx.state).toBe('calling');
  });

  it('stops Timer A on 1xx and keeps Timer B', () => {
    const clock = new ManualClock();
    const { host, sendTimes, log } = clientHost(clock);
    const tx = new InviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    clock.advance(600);
    tx.receiveResponse(180, '180');
    expect(tx.state).toBe('proceeding');
    clock.advance(10_000);
    expect(sendTimes).toEqual([0, 500]);
    expect(log).toEqual(['deliver 180']);
    clock.advance(22_000);
    expect(tx.state).toBe('terminated');
    expect(log.at(-1)).toBe('fail timeout');
  });

  it('ACKs 3xx–6xx, re-ACKs retransmissions, and waits Timer D (32 s) over UDP', () => {
    const clock = new ManualClock();
    const { host, log } = clientHost(clock);
    const tx = new InviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    tx.receiveResponse(486, '486');
    expect(tx.state).toBe('completed');
    tx.receiveResponse(486, '486 again');
    clock.advance(31_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(log).toEqual(['ack 486', 'deliver 486', 'ack 486 again', 'terminated@32000']);
  });

  it('Timer D is zero over a reliable transport', () => {
    const clock = new ManualClock();
    const { host } = clientHost(clock);
    const tx = new InviteClientTransaction(host, clock, DEFAULT_TIMERS, true);
    tx.start();
    tx.receiveResponse(500, '500');
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });

  it('passes every 2xx up while Accepted and ends on Timer M (64*T1)', () => {
    const clock = new ManualClock();
    const { host, log } = clientHost(clock);
    const tx = new InviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    tx.receiveResponse(200, '200 a');
    expect(tx.state).toBe('accepted');
    tx.receiveResponse(200, '200 b');
    tx.receiveResponse(180, 'late 180');
    clock.advance(31_999);
    expect(tx.state).toBe('accepted');
    clock.advance(1);
    expect(log).toEqual(['deliver 200 a', 'deliver 200 b', 'terminated@32000']);
  });

  it('reports a transport error and terminates', () => {
    const clock = new ManualClock();
    const { host, log } = clientHost(clock);
    const tx = new InviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    tx.transportError(new Error('ECONNREFUSED'));
    expect(log).toEqual(['terminated@0', 'fail transport-error']);
    expect(clock.pending).toBe(0);
  });
});

describe('non-INVITE client transaction (§17.1.2)', () => {
  it('Timer E doubles up to T2 and Timer F ends at 64*T1', () => {
    const clock = new ManualClock();
    const { host, sendTimes, log } = clientHost(clock);
    const tx = new NonInviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    clock.advance(40_000);
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(log).toEqual(['terminated@32000', 'fail timeout']);
  });

  it('retransmits every T2 once a provisional arrived', () => {
    const clock = new ManualClock();
    const { host, sendTimes } = clientHost(clock);
    const tx = new NonInviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    clock.advance(100);
    tx.receiveResponse(100, '100');
    expect(tx.state).toBe('proceeding');
    clock.advance(13_000);
    // The running E (500 ms) fires, then every T2.
    expect(sendTimes).toEqual([0, 500, 4500, 8500, 12500]);
  });

  it('final response: Completed, absorbs retransmissions, Timer K = T4', () => {
    const clock = new ManualClock();
    const { host, log, sendTimes } = clientHost(clock);
    const tx = new NonInviteClientTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.start();
    tx.receiveResponse(200, '200');
    tx.receiveResponse(200, 'again');
    clock.advance(4_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(log).toEqual(['deliver 200', 'terminated@5000']);
    expect(sendTimes).toEqual([0]);
  });
});

describe('INVITE server transaction (§17.2.1, RFC 6026)', () => {
  it('sends 100 Trying after 200 ms unless the TU answered', () => {
    const clock = new ManualClock();
    const a = serverHost(clock);
    new InviteServerTransaction(a.host, clock, DEFAULT_TIMERS, false);
    clock.advance(200);
    expect(a.log).toEqual(['trying@200']);

    const b = serverHost(clock);
    const tx = new InviteServerTransaction(b.host, clock, DEFAULT_TIMERS, false);
    tx.respond(180, '180');
    clock.advance(1000);
    expect(b.log).toEqual(['send 180']);
  });

  it('retransmits the last provisional on request retransmission', () => {
    const clock = new ManualClock();
    const { host, log } = serverHost(clock);
    const tx = new InviteServerTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.receiveRequestRetransmission();
    tx.respond(183, '183');
    tx.receiveRequestRetransmission();
    expect(log).toEqual(['send 183', 'send 183']);
  });

  it('3xx–6xx: Timer G doubles to T2, Timer H fails without ACK', () => {
    const clock = new ManualClock();
    const { host, log, sendTimes } = serverHost(clock);
    const tx = new InviteServerTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.respond(486, '486');
    clock.advance(40_000);
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(log.slice(-2)).toEqual(['terminated@32000', 'fail timeout']);
  });

  it('ACK moves Completed to Confirmed; Timer I = T4 absorbs further ACKs', () => {
    const clock = new ManualClock();
    const { host, log } = serverHost(clock);
    const tx = new InviteServerTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.respond(603, '603');
    clock.advance(700);
    tx.receiveAck('ACK');
    expect(tx.state).toBe('confirmed');
    tx.receiveAck('ACK');
    tx.receiveRequestRetransmission();
    clock.advance(4_999);
    expect(tx.state).toBe('confirmed');
    clock.advance(1);
    expect(log).toEqual(['send 603', 'send 603', 'terminated@5700']);
  });

  it('2xx: Accepted, 2xx retransmissions from the TU, ACK to the TU, Timer L', () => {
    const clock = new ManualClock();
    const { host, log } = serverHost(clock);
    const tx = new InviteServerTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.respond(200, '200');
    expect(tx.state).toBe('accepted');
    tx.receiveRequestRetransmission();
    tx.respond(200, '200 again');
    tx.receiveAck('ACK');
    clock.advance(32_000);
    expect(log).toEqual(['send 200', 'send 200 again', 'ack to TU', 'terminated@32000']);
    expect(() => tx.respond(200, 'late')).toThrow(SipStateError);
  });
});

describe('non-INVITE server transaction (§17.2.2)', () => {
  it('discards retransmissions in Trying, replays the last response afterwards, Timer J', () => {
    const clock = new ManualClock();
    const { host, log } = serverHost(clock);
    const tx = new NonInviteServerTransaction(host, clock, DEFAULT_TIMERS, false);
    tx.receiveRequestRetransmission();
    tx.respond(100, '100');
    tx.receiveRequestRetransmission();
    tx.respond(200, '200');
    tx.receiveRequestRetransmission();
    clock.advance(31_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(log).toEqual(['send 100', 'send 100', 'send 200', 'send 200', 'terminated@32000']);
    expect(() => tx.respond(200, 'x')).toThrow(SipStateError);
  });

  it('Timer J is zero on reliable transports', () => {
    const clock = new ManualClock();
    const { host } = serverHost(clock);
    const tx = new NonInviteServerTransaction(host, clock, DEFAULT_TIMERS, true);
    tx.respond(404, '404');
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });
});
