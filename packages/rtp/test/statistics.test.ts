import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '@callbridge/testkit';
import {
  ReceiverStatistics,
  RtcpScheduler,
  SenderStatistics,
  buildReport,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  roundTripTime,
  rtcpInterval,
  serializeRtcp,
} from '@callbridge/rtp';
import { wrappedTransitChange } from '../src/statistics.js';

/** Feeds packets 20 ms apart (8 kHz, 160 units) with the given sequence numbers. */
function feed(stats: ReceiverStatistics, seqs: number[], startMs = 0) {
  return seqs.map((seq, i) => stats.receive(seq, (i * 160) >>> 0, startMs + i * 20, 160));
}
const range = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => (from + i) & 0xffff);

describe('ReceiverStatistics (RFC 3550 A.1, A.3, A.8)', () => {
  it('puts a new source on probation, then counts in-order packets with no loss', () => {
    const stats = new ReceiverStatistics(7, 8000);
    const verdicts = feed(stats, range(1000, 50));
    expect(verdicts.slice(0, 2)).toEqual(['probation', 'valid']);
    expect(stats.packetsReceived).toBe(49);
    expect(stats.packetsExpected).toBe(49);
    expect(stats.extendedHighestSequence).toBe(1049);
    expect(stats.reportBlock(1000)).toMatchObject({
      ssrc: 7,
      fractionLost: 0,
      cumulativeLost: 0,
      jitter: 0,
    });
  });

  it('extends the sequence number across the wrap', () => {
    const stats = new ReceiverStatistics(7, 8000);
    feed(stats, range(65500, 100));
    expect(stats.extendedHighestSequence).toBe(0x10000 + 63);
    expect(stats.packetsLost).toBe(0);
  });

  it('computes cumulative and fractional loss per interval', () => {
    const stats = new ReceiverStatistics(7, 8000);
    // probation takes packet 0; 1..201 are expected, 10, 20 … 200 are lost
    const seqs = range(0, 202).filter((seq) => seq < 2 || seq % 10 !== 0);
    feed(stats, seqs);
    const first = stats.reportBlock(5000);
    expect(first.cumulativeLost).toBe(20);
    expect(first.fractionLost).toBe(Math.floor((20 * 256) / 201));
    // nothing lost in the next interval
    feed(stats, range(202, 50), 5000);
    expect(stats.reportBlock(6000)).toMatchObject({ fractionLost: 0, cumulativeLost: 20 });
  });

  it('counts duplicates, so loss may go negative, and keeps reordered packets', () => {
    const stats = new ReceiverStatistics(7, 8000);
    feed(stats, [...range(0, 10), 5, 5, 5, 3, 10]);
    expect(stats.packetsLost).toBe(-4);
    expect(stats.reportBlock(0).cumulativeLost).toBe(-4);
  });

  it('treats a large jump as a restart only when the next packet confirms it', () => {
    const stats = new ReceiverStatistics(7, 8000);
    feed(stats, range(100, 10));
    expect(stats.receive(20000, 0, 500)).toBe('dropped');
    expect(stats.extendedHighestSequence).toBe(109);
    expect(stats.receive(50, 0, 510)).toBe('valid'); // 59 behind: reordered, still counted
    expect(stats.receive(30000, 0, 520)).toBe('dropped'); // another stray jump
    expect(stats.receive(20000, 0, 540)).toBe('dropped');
    expect(stats.receive(20001, 0, 560)).toBe('valid'); // confirmed: re-synchronised
    expect(stats.extendedHighestSequence).toBe(20001);
    expect(stats.packetsExpected).toBe(1);
  });

  it('estimates interarrival jitter as A.8 does', () => {
    const steady = new ReceiverStatistics(7, 8000);
    feed(steady, range(0, 100));
    expect(steady.jitter).toBe(0);
    // arrival alternates 10 ms early/late: D = 80 units every packet, J converges to 80
    const jittery = new ReceiverStatistics(7, 8000);
    for (let i = 0; i < 400; i++) jittery.receive(i, i * 160, i * 20 + (i % 2 ? 10 : 0));
    expect(jittery.jitter).toBeGreaterThan(79);
    expect(jittery.jitter).toBeLessThanOrEqual(80);
    expect(jittery.reportBlock(0).jitter).toBe(79);
    // RTP timestamp wrap does not disturb it
    const wrapping = new ReceiverStatistics(7, 8000);
    for (let i = 0; i < 100; i++) wrapping.receive(i, (0xffffff00 + i * 160) >>> 0, i * 20);
    expect(wrapping.jitter).toBe(0);
  });

  it('folds a transit change into |D| exactly as the A.8 formula with two remainders does', () => {
    // The reference: D taken modulo 2^32 into [0, 2^32), then folded into [0, 2^31].
    const reference = (d: number) => {
      const m = ((d % 0x100000000) + 0x100000000) % 0x100000000;
      return m >= 0x80000000 ? 0x100000000 - m : m;
    };
    const edges = [0, -0, 1e-300, -1e-300, 1e-7, -1e-7, 0.5, -0.5, 0x7fffffff, 0x80000000];
    const near = [0x100000000, 0x200000000, 2 ** 53];
    for (const x of near)
      edges.push(x, -x, x - 1e-6, -x + 1e-6, x * (1 - 2 ** -52), -x * (1 - 2 ** -52));
    for (const d of edges) expect(Object.is(wrappedTransitChange(d), reference(d))).toBe(true);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -(2 ** 33), max: 2 ** 33, noNaN: true }),
          fc.double({ min: -1000, max: 1000, noNaN: true }),
          fc.double({ noNaN: true }),
          fc.integer({ min: -(2 ** 34), max: 2 ** 34 }).map((n) => n / 1000),
        ),
        (d) => Object.is(wrappedTransitChange(d), reference(d)),
      ),
      { numRuns: 20_000 },
    );
  });

  it('reports LSR and DLSR, from which the sender gets the round-trip time', () => {
    const stats = new ReceiverStatistics(7, 8000);
    feed(stats, range(0, 5));
    stats.receiveSenderReport({ seconds: 0x12345678, fraction: 0x9abcdef0 }, 10_000);
    const block = stats.reportBlock(11_500);
    expect(block.lastSenderReport).toBe(0x56789abc);
    expect(block.delaySinceLastSenderReport).toBe(98304); // 1.5 s in 1/65536 s
    // the SR's sender receives this 1.75 s after sending the SR: RTT = 0.25 s
    const arrival = (0x56789abc + Math.round(1.75 * 65536)) >>> 0;
    expect(roundTripTime(block, arrival)).toBeCloseTo(0.25, 4);
    expect(roundTripTime({ ...block, lastSenderReport: 0 }, arrival)).toBeUndefined();
  });
});

describe('reports', () => {
  it('converts Unix time to NTP', () => {
    const ntp = ntpFromUnixMs(1_000_500);
    expect(ntp).toEqual({ seconds: 2208988800 + 1000, fraction: 0x80000000 });
    expect(ntpMiddle32(ntp)).toBe(((((2208988800 + 1000) & 0xffff) << 16) | 0x8000) >>> 0);
  });

  it('builds SR + SDES when we sent, RR + SDES otherwise, splitting over 31 blocks', () => {
    const sender = new SenderStatistics(1, 8000);
    const sources = Array.from({ length: 40 }, (_, i) => new ReceiverStatistics(100 + i, 8000));
    const rr = buildReport({ ssrc: 1, cname: 'leg-a', nowMs: 0, nowUnixMs: 0, sender, sources });
    expect(rr.map((p) => p.type)).toEqual(['rr', 'rr', 'sdes']);
    sender.send(1000, 160, 0);
    sender.send(1160, 160, 20);
    const sr = buildReport({ ssrc: 1, cname: 'leg-a', nowMs: 120, nowUnixMs: 1_000_000, sender });
    expect(sr[0]).toMatchObject({
      type: 'sr',
      packetCount: 2,
      octetCount: 320,
      rtpTimestamp: 1160 + 800,
    });
    expect(parseRtcp(serializeRtcp(sr), { requireCompound: true })).toEqual(sr);
  });
});

describe('RTCP interval (RFC 3550 §6.2, A.7)', () => {
  const base = {
    members: 2,
    senders: 2,
    rtcpBandwidth: 400,
    weSent: true,
    averageRtcpSize: 128,
    initial: false,
  };

  it('uses the 5 s minimum (2.5 s initially), randomized and compensated', () => {
    expect(rtcpInterval(base, () => 0.5)).toBeCloseTo(5 / (Math.E - 1.5), 6);
    expect(rtcpInterval({ ...base, initial: true }, () => 0.5)).toBeCloseTo(
      2.5 / (Math.E - 1.5),
      6,
    );
    expect(rtcpInterval(base, () => 0)).toBeCloseTo(2.5 / (Math.E - 1.5), 6);
    expect(rtcpInterval(base, () => 0.999999)).toBeCloseTo(7.5 / (Math.E - 1.5), 4);
  });

  it('scales with members and splits bandwidth between senders and receivers', () => {
    const big = { ...base, members: 1000, senders: 10, weSent: false };
    expect(rtcpInterval(big, () => 0.5)).toBeCloseTo(
      (128 * 990) / (400 * 0.75) / (Math.E - 1.5),
      6,
    );
    expect(rtcpInterval({ ...big, weSent: true }, () => 0.5)).toBeCloseTo(
      (128 * 10) / (400 * 0.25) / (Math.E - 1.5),
      6,
    );
    expect(rtcpInterval({ ...base, minimumInterval: 1 }, () => 0.5)).toBeCloseTo(
      1 / (Math.E - 1.5),
      6,
    );
  });

  it('schedules reports on a fake clock with timer reconsideration', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const scheduler = new RtcpScheduler({
      sessionBandwidth: 64_000,
      sendReport: () => {
        sent.push(clock.now());
        return 72;
      },
      weSent: () => true,
      clock,
      random: () => 0.5,
    });
    scheduler.start();
    clock.advance(60_000);
    const first = (2.5 / (Math.E - 1.5)) * 1000;
    const regular = (5 / (Math.E - 1.5)) * 1000;
    expect(sent[0]).toBeCloseTo(first, 6);
    expect(sent[1]! - sent[0]!).toBeCloseTo(regular, 6);
    expect(sent).toHaveLength(1 + Math.floor((60_000 - first) / regular));
    expect(scheduler.averageRtcpSize).toBeLessThan(128);
    scheduler.stop();
    const count = sent.length;
    clock.advance(60_000);
    expect(sent).toHaveLength(count);
  });

  it('uses the reduced minimum 360 / session kbit/s when asked (§6.2)', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const scheduler = new RtcpScheduler({
      sessionBandwidth: 720_000, // 360 / 720 kbit/s = 0.5 s minimum
      sendReport: () => (sent.push(clock.now()), 80),
      weSent: () => true,
      clock,
      random: () => 0.5,
      reducedMinimum: true,
    });
    scheduler.start();
    clock.advance(10_000);
    expect(sent[1]! - sent[0]!).toBeCloseTo((0.5 / (Math.E - 1.5)) * 1000, 6);
    scheduler.stop();
  });

  it('closes the loop: SR out, report block back, round-trip time', () => {
    // leg A sends media and an SR at t = 10 s; B answers 200 ms later; A reads it at 10.5 s
    const aSender = new SenderStatistics(0xa, 8000);
    aSender.send(0, 160, 0);
    const sr = buildReport({
      ssrc: 0xa,
      cname: 'a',
      nowMs: 10_000,
      nowUnixMs: 1_700_000_010_000,
      sender: aSender,
    });
    const bView = new ReceiverStatistics(0xa, 8000);
    feed(bView, range(0, 3));
    const report = sr[0];
    if (report?.type !== 'sr') throw new Error('expected an SR');
    bView.receiveSenderReport(report, 10_100); // arrives after 100 ms one way
    const [rr] = buildReport({
      ssrc: 0xb,
      cname: 'b',
      nowMs: 10_300,
      nowUnixMs: 0,
      sources: [bView],
    });
    const block = rr!.type === 'rr' ? rr.reports[0]! : undefined;
    const arrival = ntpMiddle32(ntpFromUnixMs(1_700_000_010_400)); // back 100 ms later
    expect(roundTripTime(block!, arrival)).toBeCloseTo(0.2, 3);
  });

  it('defers a report when the group grew since the timer was set (§6.3.6)', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const scheduler = new RtcpScheduler({
      sessionBandwidth: 1_000, // 6.25 octets/s of RTCP: the interval is size-bound
      sendReport: () => (sent.push(clock.now()), 100),
      weSent: () => false,
      clock,
      random: () => 0.5,
    });
    scheduler.start(); // timer set for 2 members: ~ 33.6 s
    scheduler.setPeers(50);
    clock.advance(200_000);
    expect(sent).toEqual([]); // reconsidered at expiry: 51 members need far longer
    clock.advance(800_000);
    // 128 octets × 51 members / 6.25 octets/s, compensated: ~ 857 s after the start
    expect(sent[0]!).toBeCloseTo(((128 * 51) / 6.25 / (Math.E - 1.5)) * 1000, 3);
  });
});
