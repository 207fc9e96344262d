import { RtpError } from './errors.js';
import type { RtpPacketInit } from './packet.js';

/** RFC 4733 §3.2: DTMF events 0..15 in order; event 16 is flash (RFC 2833, kept by many peers). */
const DTMF_DIGITS = '0123456789*#ABCD';

/** One RFC 4733 §2.3 event block. */
export interface TelephoneEvent {
  readonly event: number;
  /** E bit: this block ends the event. */
  readonly end: boolean;
  /** Power level in −dBm0 (0..63). */
  readonly volume: number;
  /** Duration so far in RTP timestamp units (0..65535). */
  readonly duration: number;
}

/** The DTMF character of an event code ('0'-'9', '*', '#', 'A'-'D'), or undefined. */
export function eventToDigit(event: number): string | undefined {
  return event >= 0 && event < 16 ? DTMF_DIGITS[event] : undefined;
}

/** The event code of a DTMF character (case-insensitive); throws for anything else. */
export function digitToEvent(digit: string): number {
  const code = digit.length === 1 ? DTMF_DIGITS.indexOf(digit.toUpperCase()) : -1;
  if (code < 0) throw new RtpError('RTP_INVALID_ARGUMENT', `"${digit}" is not a DTMF digit`);
  return code;
}

/**
 * Parses the first event block of a telephone-event payload (RFC 4733 §2.3). Further blocks
 * (§2.5.1.5 redundancy) are ignored. Throws `RtpError` DTMF_BAD_PAYLOAD when shorter than 4.
 */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < 4) {
    throw new RtpError(
      'DTMF_BAD_PAYLOAD',
      `telephone-event payload of ${payload.length} octets (need 4)`,
    );
  }
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

/** Writes one event block (R bit clear) to `out[offset..offset+4)`. */
export function writeTelephoneEvent(event: TelephoneEvent, out: Uint8Array, offset = 0): number {
  if (
    !Number.isInteger(event.event) ||
    event.event < 0 ||
    event.event > 255 ||
    !Number.isInteger(event.volume) ||
    event.volume < 0 ||
    event.volume > 63 ||
    !Number.isInteger(event.duration) ||
    event.duration < 0 ||
    event.duration > 0xffff
  ) {
    throw new RtpError('RTP_INVALID_ARGUMENT', 'telephone-event field out of range');
  }
  if (offset < 0 || offset + 4 > out.length) {
    throw new RtpError('RTP_BUFFER_TOO_SMALL', 'telephone-event needs 4 octets');
  }
  out[offset] = event.event;
  out[offset + 1] = (event.end ? 0x80 : 0) | event.volume;
  out[offset + 2] = event.duration >>> 8;
  out[offset + 3] = event.duration;
  return 4;
}

export interface TelephoneEventTrainOptions {
  /** Event code or DTMF character. */
  readonly event: number | string;
  readonly ssrc: number;
  readonly payloadType: number;
  /** Sequence number of the first packet; later packets count up (mod 2^16). */
  readonly sequenceNumber: number;
  /** RTP timestamp of the event start (shared by every packet of a segment). */
  readonly timestamp: number;
  /** Tone length in milliseconds (default 100). */
  readonly durationMs?: number;
  /** Must match the audio clock (RFC 4733 §2.1); default 8000. */
  readonly clockRate?: number;
  /** Update interval, normally the audio packetization (default 20 ms). */
  readonly intervalMs?: number;
  /** −dBm0 (default 10). */
  readonly volume?: number;
  /** Transmissions of the final packet (RFC 4733 §2.5.1.4: three). */
  readonly endRepeats?: number;
}

/** One packet of a train and when to send it, relative to the event start. */
export interface TelephoneEventPacket {
  readonly sendAtMs: number;
  readonly packet: RtpPacketInit;
}

/**
 * RFC 4733 §2.5.1: the packets that send one event. All packets of a segment carry the event's
 * start timestamp; the first has the marker bit; each update adds one interval to the duration;
 * the final packet has the E bit and goes out `endRepeats` times (each with a new sequence
 * number). Events longer than 0xFFFF units are split into segments (§2.5.1.3), each starting at
 * the previous segment's timestamp plus its duration.
 */
export function telephoneEventTrain(options: TelephoneEventTrainOptions): TelephoneEventPacket[] {
  const event = typeof options.event === 'string' ? digitToEvent(options.event) : options.event;
  const clockRate = options.clockRate ?? 8000;
  const intervalMs = options.intervalMs ?? 20;
  const volume = options.volume ?? 10;
  const repeats = options.endRepeats ?? 3;
  const step = Math.round((clockRate * intervalMs) / 1000);
  const total = Math.round((clockRate * (options.durationMs ?? 100)) / 1000);
  if (step <= 0 || total <= 0 || repeats < 1) {
    throw new RtpError('RTP_INVALID_ARGUMENT', 'telephone-event train needs positive durations');
  }
  const packets: TelephoneEventPacket[] = [];
  let seq = options.sequenceNumber;
  let elapsed = 0; // timestamp units since the event start
  let segmentStart = 0;
  const push = (duration: number, end: boolean) => {
    const payload = new Uint8Array(4);
    writeTelephoneEvent({ event, end, volume, duration }, payload);
    packets.push({
      sendAtMs:
        packets.length === 0 ? intervalMs : packets[packets.length - 1]!.sendAtMs + intervalMs,
      packet: {
        payloadType: options.payloadType,
        sequenceNumber: seq,
        timestamp: (options.timestamp + segmentStart) >>> 0,
        ssrc: options.ssrc,
        marker: packets.length === 0,
        payload,
      },
    });
    seq = (seq + 1) & 0xffff;
  };
  for (;;) {
    elapsed = Math.min(elapsed + step, total);
    let duration = elapsed - segmentStart;
    if (duration > 0xffff) {
      // §2.5.1.3: close this segment at the maximum and continue in a new one.
      push(0xffff, false);
      segmentStart += 0xffff;
      duration = elapsed - segmentStart;
    }
    if (elapsed >= total) {
      for (let i = 0; i < repeats; i++) push(duration, true);
      return packets;
    }
    push(duration, false);
  }
}

/** What a `TelephoneEventReceiver` reports. */
export interface TelephoneEventNotice {
  readonly type: 'start' | 'end';
  readonly ssrc: number;
  readonly event: number;
  /** The DTMF character, when the event is one. */
  readonly digit: string | undefined;
  /** RTP timestamp of the event start. */
  readonly timestamp: number;
  /** Total duration in timestamp units, across segments and duration wraps. */
  readonly duration: number;
  readonly volume: number;
  /** For 'end': the E bit, a newer event, or silence (`expire`). */
  readonly reason?: 'end-bit' | 'superseded' | 'timeout';
}

/** Sources tracked at once; a call has one or two. */
const MAX_SOURCES = 64;

interface EventState {
  readonly ssrc: number;
  event: number;
  readonly startTimestamp: number;
  /** Timestamp of the current segment. */
  timestamp: number;
  /** Duration accumulated before the current segment / duration wrap. */
  base: number;
  lastDuration: number;
  volume: number;
  ended: boolean;
  lastSeenMs: number;
}

export interface TelephoneEventReceiverOptions {
  /** Highest event code reported (default 16, flash); others are ignored. */
  readonly maxEvent?: number;
  /** An event with no packets for this long is ended by `expire()` (default 1000 ms). */
  readonly timeoutMs?: number;
}

/**
 * An RFC 4733 receiver that reports each event once, whatever the sender or network did:
 * lost first packets (no marker), lost end packets, duplicated or same-sequence end packets,
 * reordering, timestamp wrap, duration overflow across segments (§2.5.1.3) or wrapping in place.
 * Events are identified by (SSRC, RTP timestamp), not by sequence number. Pure: the caller
 * passes arrival times, and calls `expire(now)` to end events whose end packets never came.
 */
export class TelephoneEventReceiver {
  readonly #streams = new Map<number, EventState>();
  readonly #maxEvent: number;
  readonly #timeoutMs: number;

  constructor(options: TelephoneEventReceiverOptions = {}) {
    this.#maxEvent = options.maxEvent ?? 16;
    this.#timeoutMs = options.timeoutMs ?? 1000;
  }

  /**
   * Feeds one telephone-event RTP packet (its SSRC, timestamp and payload). Returns what
   * started or ended because of it (often nothing). Malformed payloads are ignored.
   */
  receive(
    packet: { readonly ssrc: number; readonly timestamp: number; readonly payload: Uint8Array },
    nowMs = 0,
  ): TelephoneEventNotice[] {
    if (packet.payload.length < 4) return [];
    const block = parseTelephoneEvent(packet.payload);
    if (block.event > this.#maxEvent) return [];
    const notices: TelephoneEventNotice[] = [];
    let state = this.#streams.get(packet.ssrc);
    if (state && state.timestamp !== packet.timestamp) {
      const ahead = (packet.timestamp - state.timestamp) >>> 0;
      if (ahead >= 0x80000000) return []; // older event: a late or reordered packet
      const continuation =
        !state.ended &&
        state.event === block.event &&
        state.lastDuration >= 0xff00 &&
        ahead <= state.lastDuration + 0x100;
      if (continuation) {
        // §2.5.1.3: a new segment of the same long event.
        state.base += ahead;
        state.timestamp = packet.timestamp;
        state.lastDuration = 0;
      } else {
        if (!state.ended) notices.push(this.#notice('end', state, 'superseded'));
        state = undefined;
      }
    }
    if (!state) {
      state = {
        ssrc: packet.ssrc,
        event: block.event,
        startTimestamp: packet.timestamp,
        timestamp: packet.timestamp,
        base: 0,
        lastDuration: block.duration,
        volume: block.volume,
        ended: false,
        lastSeenMs: nowMs,
      };
      this.#streams.delete(packet.ssrc);
      if (this.#streams.size >= MAX_SOURCES) {
        // Bound memory against SSRC floods: forget the source whose event began longest ago.
        const oldest = this.#streams.keys().next();
        if (!oldest.done) this.#streams.delete(oldest.value);
      }
      this.#streams.set(packet.ssrc, state);
      notices.push(this.#notice('start', state));
    } else if (state.ended) {
      return notices; // retransmitted end packet, or late update after the end
    }
    state.lastSeenMs = nowMs;
    if (block.duration < state.lastDuration && state.lastDuration - block.duration > 0x8000) {
      state.base += 0x10000; // the duration field wrapped within one segment
    }
    if (block.duration > state.lastDuration || block.duration + 0x8000 < state.lastDuration) {
      state.lastDuration = block.duration;
    }
    state.volume = block.volume;
    if (block.end) {
      state.ended = true;
      notices.push(this.#notice('end', state, 'end-bit'));
    }
    return notices;
  }

  /** Ends events that have been silent for the timeout; call periodically. */
  expire(nowMs: number): TelephoneEventNotice[] {
    const notices: TelephoneEventNotice[] = [];
    for (const state of this.#streams.values()) {
      if (!state.ended && nowMs - state.lastSeenMs >= this.#timeoutMs) {
        state.ended = true;
        notices.push(this.#notice('end', state, 'timeout'));
      }
    }
    return notices;
  }

  #notice(
    type: 'start' | 'end',
    state: EventState,
    reason?: 'end-bit' | 'superseded' | 'timeout',
  ): TelephoneEventNotice {
    return {
      type,
      ssrc: state.ssrc,
      event: state.event,
      digit: eventToDigit(state.event),
      timestamp: state.startTimestamp,
      duration: state.base + state.lastDuration,
      volume: state.volume,
      ...(reason ? { reason } : {}),
    };
  }
}
