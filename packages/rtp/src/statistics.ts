import type { ReportBlock, RtcpPacket, SenderReport } from './rtcp.js';

/** RFC 3550 Appendix A.1 constants. */
const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

/** An NTP timestamp (RFC 3550 §4): seconds since 1900 and a 32-bit fraction. */
export interface NtpTime {
  readonly seconds: number;
  readonly fraction: number;
}

/** NTP time of a Unix time in milliseconds. */
export function ntpFromUnixMs(ms: number): NtpTime {
  const totalSeconds = ms / 1000 + NTP_UNIX_OFFSET;
  const seconds = Math.floor(totalSeconds);
  return {
    seconds: seconds >>> 0,
    fraction: Math.min(0xffffffff, Math.round((totalSeconds - seconds) * 0x100000000)) >>> 0,
  };
}

/** RFC 3550 §6.4.1: the middle 32 bits of an NTP timestamp (LSR, and "A" for the RTT). */
export function ntpMiddle32(time: NtpTime): number {
  return (((time.seconds & 0xffff) << 16) | (time.fraction >>> 16)) >>> 0;
}

/**
 * RFC 3550 §6.4.1: round-trip time in seconds from a report block about our stream that arrived
 * when our NTP clock's middle 32 bits read `arrival`. Undefined when the peer has no SR from us.
 */
export function roundTripTime(block: ReportBlock, arrival: number): number | undefined {
  if (block.lastSenderReport === 0) return undefined;
  const rtt = (arrival - block.lastSenderReport - block.delaySinceLastSenderReport) >>> 0;
  // A negative result (clock skew, bogus report) wraps to a huge number: reject it.
  return rtt >= 0x80000000 ? undefined : rtt / 65536;
}

/** What `ReceiverStatistics.receive` decided about a packet (RFC 3550 A.1). */
export type SequenceVerdict = 'valid' | 'probation' | 'dropped';

/**
 * Statistics for one received source (RFC 3550 Appendix A): sequence tracking with wrap,
 * restart and probation (A.1), loss (A.3), interarrival jitter (A.8) and the data for LSR/DLSR,
 * producing report blocks (§6.4.1). Times are milliseconds on the caller's clock.
 */
export class ReceiverStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  #probation: number;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #started = false;
  /**
   * Relative transit of the last packet (NaN before the first). Numbers written per packet are
   * kept in fields that start as numbers: a field that starts undefined stays a tagged field,
   * and every fractional number stored in it is a new heap object.
   */
  #transit = NaN;
  #jitter = 0;
  #lastSr = 0;
  #lastSrArrivalMs = 0;
  #octets = 0;

  constructor(ssrc: number, clockRate: number, options: { probation?: number } = {}) {
    this.ssrc = ssrc;
    this.clockRate = clockRate;
    this.#probation = options.probation ?? MIN_SEQUENTIAL;
  }

  /**
   * Accounts one RTP packet (RFC 3550 A.1 update_seq and A.8 jitter). `payloadOctets` feeds the
   * octet count. Returns whether the packet counts: sources on probation or jumps beyond
   * MAX_DROPOUT are not counted until confirmed by a sequential packet. `rtpTimestamp` is the
   * 32-bit timestamp, unsigned or as the signed integer with the same bits
   * (`RtpPacket.timestampBits`, which stays unboxed across calls).
   */
  receive(
    sequenceNumber: number,
    rtpTimestamp: number,
    arrivalMs: number,
    payloadOctets = 0,
  ): SequenceVerdict {
    const seq = sequenceNumber & 0xffff;
    if (!this.#started) {
      this.#started = true;
      this.#initSequence(seq);
      this.#maxSeq = (seq - 1) & 0xffff;
      if (this.#probation === 0) {
        this.#initSequence(seq);
        return this.#count(rtpTimestamp, arrivalMs, payloadOctets);
      }
    }
    const delta = (seq - this.#maxSeq) & 0xffff;
    if (this.#probation > 0) {
      // A.1: a source is valid after MIN_SEQUENTIAL packets in sequence.
      if (seq === ((this.#maxSeq + 1) & 0xffff)) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSequence(seq);
          return this.#count(rtpTimestamp, arrivalMs, payloadOctets);
        }
      } else {
        this.#probation = MIN_SEQUENTIAL - 1;
        this.#maxSeq = seq;
      }
      return 'probation';
    }
    if (delta < MAX_DROPOUT) {
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD; // wrapped
      this.#maxSeq = seq;
    } else if (delta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: the source restarted, if the next packet confirms it.
      if (seq === this.#badSeq) {
        this.#initSequence(seq);
      } else {
        this.#badSeq = (seq + 1) & 0xffff;
        return 'dropped';
      }
    }
    // else: duplicate or reordered packet, counted as received (A.3 allows negative loss)
    return this.#count(rtpTimestamp, arrivalMs, payloadOctets);
  }

  /** Records an SR from this source (for LSR/DLSR in our next report block). */
  receiveSenderReport(report: SenderReport | NtpTime, arrivalMs: number): void {
    const time =
      'ntpSeconds' in report
        ? { seconds: report.ntpSeconds, fraction: report.ntpFraction }
        : report;
    this.#lastSr = ntpMiddle32(time);
    this.#lastSrArrivalMs = arrivalMs;
  }

  /** Highest sequence number seen, extended with the wrap count (A.3). */
  get extendedHighestSequence(): number {
    return this.#cycles + this.#maxSeq;
  }
  get packetsReceived(): number {
    return this.#received;
  }
  get octetsReceived(): number {
    return this.#octets;
  }
  get packetsExpected(): number {
    return this.#started && this.#probation === 0
      ? this.extendedHighestSequence - this.#baseSeq + 1
      : 0;
  }
  /** Cumulative loss (A.3); negative when duplicates outnumber losses. */
  get packetsLost(): number {
    return this.packetsExpected - this.#received;
  }
  /** Interarrival jitter (A.8) in timestamp units. */
  get jitter(): number {
    return this.#jitter;
  }

  /**
   * The report block for this source (RFC 3550 §6.4.1, A.3). Advances the "since last report"
   * counters used by the fraction lost, so call it once per report sent.
   */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.packetsExpected;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.#received));
    return {
      ssrc: this.ssrc,
      fractionLost,
      cumulativeLost: lost,
      extendedHighestSequence: this.extendedHighestSequence >>> 0,
      jitter: Math.floor(this.#jitter) >>> 0,
      lastSenderReport: this.#lastSr,
      delaySinceLastSenderReport:
        this.#lastSr === 0
          ? 0
          : Math.max(0, Math.round(((nowMs - this.#lastSrArrivalMs) / 1000) * 65536)) >>> 0,
    };
  }

  #initSequence(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  #count(rtpTimestamp: number, arrivalMs: number, payloadOctets: number): SequenceVerdict {
    this.#received++;
    this.#octets += payloadOctets;
    // A.8: transit time in timestamp units; D is its change, wrapped into ±2^31.
    const transit = (arrivalMs * this.clockRate) / 1000 - (rtpTimestamp >>> 0);
    if (!Number.isNaN(this.#transit)) {
      const d = wrappedTransitChange(transit - this.#transit);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
    return 'valid';
  }
}

const TWO_32 = 0x100000000;

/**
 * |D| of RFC 3550 §A.8 from a change of transit `d` (timestamp units): `d` taken modulo 2^32
 * into [0, 2^32), then folded into [0, 2^31]. Bit for bit what `((d % 2^32) + 2^32) % 2^32`
 * gives, without its two floating-point remainders (calls into the C library, per packet) when
 * |d| < 2^32: there `d % 2^32` is `d`, and the remainder of `x = d + 2^32` (rounded, so within
 * [0, 2^33]) is `x`, or `x − 2^32` (exact, Sterbenz) from 2^32 on; `x` rounded up to 2^33 leaves
 * 2^32 instead of 0, which the fold turns into 0 all the same.
 */
export function wrappedTransitChange(d: number): number {
  let wrapped: number;
  if (d > -TWO_32 && d < TWO_32) {
    wrapped = d + TWO_32;
    if (wrapped >= TWO_32) wrapped -= TWO_32;
  } else {
    wrapped = ((d % TWO_32) + TWO_32) % TWO_32;
  }
  return wrapped >= 0x80000000 ? TWO_32 - wrapped : wrapped;
}

/** Counts for our own stream, for Sender Reports (RFC 3550 §6.4.1). */
export class SenderStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  #packets = 0;
  #octets = 0;
  #lastTimestamp = 0;
  /** When the last packet was sent (NaN before the first; see #transit of ReceiverStatistics). */
  #lastSendMs = NaN;

  constructor(ssrc: number, clockRate: number) {
    this.ssrc = ssrc;
    this.clockRate = clockRate;
  }

  /** Accounts one sent RTP packet (`rtpTimestamp` unsigned or signed with the same bits). */
  send(rtpTimestamp: number, payloadOctets: number, nowMs: number): void {
    this.#packets = (this.#packets + 1) >>> 0;
    this.#octets = (this.#octets + payloadOctets) >>> 0;
    this.#lastTimestamp = rtpTimestamp >>> 0;
    this.#lastSendMs = nowMs;
  }

  get hasSent(): boolean {
    return !Number.isNaN(this.#lastSendMs);
  }

  /**
   * An SR for the wall-clock time `nowUnixMs` (NTP) and local clock `nowMs`; the RTP timestamp
   * is extrapolated from the last packet sent so both name the same instant (§6.4.1).
   */
  senderReport(
    nowMs: number,
    nowUnixMs: number,
    reports: readonly ReportBlock[] = [],
  ): SenderReport {
    const ntp = ntpFromUnixMs(nowUnixMs);
    const elapsed = Number.isNaN(this.#lastSendMs) ? 0 : nowMs - this.#lastSendMs;
    return {
      type: 'sr',
      ssrc: this.ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: (this.#lastTimestamp + Math.round((elapsed * this.clockRate) / 1000)) >>> 0,
      packetCount: this.#packets,
      octetCount: this.#octets,
      reports,
    };
  }
}

/**
 * A compound report (RFC 3550 §6.1): SR if we sent since the last report, else RR, with one
 * report block per source (extra RRs beyond 31 blocks), then SDES with our CNAME.
 */
export function buildReport(options: {
  readonly ssrc: number;
  readonly cname: string;
  readonly nowMs: number;
  readonly nowUnixMs: number;
  readonly sender?: SenderStatistics;
  readonly sources?: readonly ReceiverStatistics[];
}): RtcpPacket[] {
  const blocks = (options.sources ?? []).map((s) => s.reportBlock(options.nowMs));
  const packets: RtcpPacket[] = [];
  const first = blocks.slice(0, 31);
  if (options.sender?.hasSent) {
    packets.push(options.sender.senderReport(options.nowMs, options.nowUnixMs, first));
  } else {
    packets.push({ type: 'rr', ssrc: options.ssrc, reports: first });
  }
  for (let at = 31; at < blocks.length; at += 31) {
    packets.push({ type: 'rr', ssrc: options.ssrc, reports: blocks.slice(at, at + 31) });
  }
  packets.push({
    type: 'sdes',
    chunks: [{ ssrc: options.ssrc, items: [{ type: 1, value: options.cname }] }],
  });
  return packets;
}
