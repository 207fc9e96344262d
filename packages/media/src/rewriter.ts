import { writeRtpFixedHeader } from '@callbridge/rtp';
import type { RtpPacket } from '@callbridge/rtp';
import type { Clock } from './clock.js';

const TWO_32 = 4294967296;

/**
 * Rewrites SSRC, sequence number and timestamp of the packets one leg receives so it sees a
 * single continuous RTP stream (RFC 3550 §5.1, §8.2) while the sources behind it change:
 * re-INVITEs, hold and resume, transfers, a switch between relaying and transcoding.
 *
 * Within one source the offsets stay fixed, so reordering and loss pass through unchanged. When
 * the source changes, the sequence continues at the next number and the timestamp advances by
 * the wall-clock time since the last packet, and the marker bit flags the discontinuity so the
 * receiver's jitter buffer resynchronises (RFC 3551 §4.1).
 *
 * Works in place on the packet bytes: no allocation per packet.
 */
export class StreamRewriter {
  /** SSRC of the outgoing stream; stays the same for the whole call. */
  readonly ssrc: number;
  #clockRate: number;
  readonly #clock: Clock;

  #source = -1;
  #previousSource = -1;
  #sourceChangedAt = -Infinity;
  #seqOffset = 0;
  #tsOffset = 0;
  #started = false;
  #forceNewSource = false;
  #markNext = false;
  /** Last sequence number and timestamp sent (the highest, for sequence numbers). */
  #lastSeq = 0;
  #lastTs = 0;
  #lastSentAt = 0;
  #lastInSeq = 0;
  #lastInTs = 0;

  /** Whether the first packet after a source change gets the marker bit (audio yes, video no: there it ends a frame). */
  readonly #markSourceChanges: boolean;

  constructor(ssrc: number, clockRate: number, clock: Clock, markSourceChanges = true) {
    this.ssrc = ssrc >>> 0;
    this.#clockRate = clockRate;
    this.#clock = clock;
    this.#markSourceChanges = markSourceChanges;
  }

  get clockRate(): number {
    return this.#clockRate;
  }

  get started(): boolean {
    return this.#started;
  }

  /**
   * Starts a new mapping at the next packet: the sender changed (re-INVITE, resume from hold,
   * transfer) or the clock rate did (a codec change on this leg).
   */
  newSource(clockRate = this.#clockRate): void {
    this.#clockRate = clockRate;
    this.#forceNewSource = true;
  }

  /** Outgoing sequence number, timestamp and marker of the last packet {@link map} accepted. */
  mappedSequenceNumber = 0;
  mappedTimestamp = 0;
  /** Whether that packet must carry the marker bit (the first after a source change). */
  mappedMarker = false;

  /**
   * Rewrites the packet's header in place. Returns false when the packet must be dropped (a straggler of the previous source
   * arriving after the switch).
   */
  rewrite(packet: RtpPacket): boolean {
    if (!this.map(packet.ssrc, packet.sequenceNumber, packet.timestamp)) return false;
    packet.sequenceNumber = this.mappedSequenceNumber;
    packet.timestamp = this.mappedTimestamp;
    packet.ssrc = this.ssrc;
    if (this.mappedMarker) packet.marker = true;
    return true;
  }

  /**
   * The mapping of {@link rewrite} for a packet not parsed yet (one the session writes itself):
   * the outgoing values land in `mapped…`. Returns false when the packet must be dropped.
   */
  map(inSsrc: number, inSeq: number, inTs: number): boolean {
    const now = this.#clock.now();

    if (inSsrc !== this.#source || this.#forceNewSource || this.#jumped(inSeq, inTs, now)) {
      if (
        inSsrc === this.#previousSource &&
        !this.#forceNewSource &&
        now - this.#sourceChangedAt < 2000
      ) {
        return false;
      }
      this.#startMapping(inSsrc, inSeq, inTs, now);
    }

    const outSeq = (inSeq + this.#seqOffset) & 0xffff;
    const outTs = (inTs + this.#tsOffset) >>> 0;
    this.mappedSequenceNumber = outSeq;
    this.mappedTimestamp = outTs;
    this.mappedMarker = this.#markNext;
    this.#markNext = false;
    // Track the highest sequence number sent (modular comparison), and its timestamp.
    if (((outSeq - this.#lastSeq) & 0xffff) < 0x8000) {
      this.#lastSeq = outSeq;
      this.#lastTs = outTs;
      this.#lastSentAt = now;
      this.#lastInSeq = inSeq;
      this.#lastInTs = inTs;
    }

    return true;
  }

  /**
   * Writes the RTP fixed header (RFC 3550 §5.1) of the packet {@link map} accepted last at
   * `offset` of `out`: its outgoing sequence number and timestamp, this stream's SSRC, the
   * marker when `marker` or the mapping asks for it. Here rather than by the caller, so the
   * 32-bit values are not passed as arguments (each one from 2^31 on a heap number, allocated per
   * packet, when the call is not inlined).
   */
  writeMappedHeader(out: Uint8Array, offset: number, marker: boolean, payloadType: number): void {
    writeRtpFixedHeader(
      out,
      offset,
      marker || this.mappedMarker,
      payloadType,
      this.mappedSequenceNumber,
      this.mappedTimestamp,
      this.ssrc,
    );
  }

  /** Maps an outgoing sequence number back to the current source's (for NACK translation). */
  sourceSequence(outSeq: number): number {
    return (outSeq - this.#seqOffset) & 0xffff;
  }

  /** The current source's SSRC, or -1 before the first packet. */
  get sourceSsrc(): number {
    return this.#source;
  }

  #jumped(inSeq: number, inTs: number, now: number): boolean {
    if (!this.#started) return false;
    // RFC 3550 §8.2 / Appendix A.1 style: a sequence jump far beyond any reordering, or a
    // timestamp that disagrees with elapsed time by more than ten seconds, is a new stream.
    const seqDelta = ((inSeq - this.#lastInSeq + 0x8000) & 0xffff) - 0x8000;
    if (seqDelta > 3000 || seqDelta < -3000) return true;
    let tsDelta = inTs - this.#lastInTs;
    if (tsDelta >= TWO_32 / 2) tsDelta -= TWO_32;
    else if (tsDelta < -TWO_32 / 2) tsDelta += TWO_32;
    const expected = ((now - this.#lastSentAt) * this.#clockRate) / 1000;
    return Math.abs(tsDelta - expected) > this.#clockRate * 10;
  }

  #startMapping(inSsrc: number, inSeq: number, inTs: number, now: number): void {
    if (this.#source !== inSsrc) {
      this.#previousSource = this.#source;
      this.#sourceChangedAt = now;
    }
    this.#forceNewSource = false;
    if (!this.#started) {
      // First packet: start from random-looking values derived from the SSRC (RFC 3550 §5.1
      // asks for random initial values; the SSRC already is one).
      this.#seqOffset = ((this.ssrc & 0x7fff) - inSeq) & 0xffff;
      this.#tsOffset = (Math.imul(this.ssrc, 0x9e3779b1) - inTs) >>> 0;
      this.#started = true;
    } else {
      const nextSeq = (this.#lastSeq + 1) & 0xffff;
      const elapsed = Math.max(1, Math.round(((now - this.#lastSentAt) * this.#clockRate) / 1000));
      const nextTs = (this.#lastTs + elapsed) >>> 0;
      this.#seqOffset = (nextSeq - inSeq) & 0xffff;
      this.#tsOffset = (nextTs - inTs) >>> 0;
    }
    this.#source = inSsrc;
    this.#markNext = this.#markSourceChanges;
  }
}
