import type { ReportBlock } from '@callbridge/rtp';

/**
 * What one leg receives from one SSRC, for the report blocks of our RTCP towards that leg:
 * RFC 3550 Appendix A.1 (extended sequence numbers), A.3 (expected and lost packets, fraction
 * lost per interval), A.8 (interarrival jitter) and §6.4.1 (LSR/DLSR).
 */
export class ReceptionStats {
  readonly ssrc: number;
  #clockRate: number;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit = NaN;
  #jitter = 0;
  #lastSenderReport = 0;
  #lastSenderReportAt = -1;

  constructor(ssrc: number, clockRate: number, firstSeq: number) {
    this.ssrc = ssrc;
    this.#clockRate = clockRate;
    this.#baseSeq = firstSeq;
    this.#maxSeq = (firstSeq - 1) & 0xffff;
  }

  get packetsReceived(): number {
    return this.#received;
  }

  /** Interarrival jitter in ms. */
  get jitterMs(): number {
    return (this.#jitter / this.#clockRate) * 1000;
  }

  /** Counts one packet (RFC 3550 A.1 without probation: the SSRC was accepted by the caller). */
  update(seq: number, timestamp: number, arrivalMs: number, clockRate: number): void {
    this.#clockRate = clockRate;
    const delta = (seq - this.#maxSeq) & 0xffff;
    if (delta < 0x8000) {
      if (seq < this.#maxSeq) this.#cycles += 0x10000;
      this.#maxSeq = seq;
    }
    this.#received++;
    // RFC 3550 A.8: J += (|D| - J) / 16, in timestamp units.
    const arrival = (arrivalMs * clockRate) / 1000;
    const transit = arrival - timestamp;
    if (!Number.isNaN(this.#transit)) {
      let d = transit - this.#transit;
      // Timestamps wrap at 2^32; a transit difference that large is the wrap, not jitter.
      if (d > 2147483648) d -= 4294967296;
      else if (d < -2147483648) d += 4294967296;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  /** Notes a sender report from this source (NTP seconds and fraction of its §6.4.1 header). */
  onSenderReport(ntpSeconds: number, ntpFraction: number, nowMs: number): void {
    this.#lastSenderReport = (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
    this.#lastSenderReportAt = nowMs;
  }

  /** The report block for our next SR/RR (RFC 3550 §6.4.1, A.3); starts a new interval. */
  reportBlock(nowMs: number): ReportBlock {
    const extendedMax = this.#cycles + this.#maxSeq;
    const expected = extendedMax - this.#baseSeq + 1;
    const lost = expected - this.#received;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval <= 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    const delay =
      this.#lastSenderReportAt < 0
        ? 0
        : Math.floor(((nowMs - this.#lastSenderReportAt) * 65536) / 1000);
    return {
      ssrc: this.ssrc,
      fractionLost,
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, lost)),
      extendedHighestSequence: extendedMax >>> 0,
      jitter: Math.floor(this.#jitter) >>> 0,
      lastSenderReport: this.#lastSenderReport,
      delaySinceLastSenderReport: delay >>> 0,
    };
  }
}
