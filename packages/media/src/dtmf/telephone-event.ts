// RFC 4733 telephone-event payloads as the media pipelines need them: read one, write one, and a
// receiver that turns a lossy, duplicated packet train into one start and one end per digit.

import { digitToEvent, eventToDigit } from './digits.js';
import type { DtmfDigit } from './digits.js';

/** RFC 4733 §2.3: event (8), E (1), R (1), volume (6), duration (16). */
export const TELEPHONE_EVENT_PAYLOAD_LENGTH = 4;

export interface TelephoneEventPayload {
  readonly event: number;
  readonly end: boolean;
  /** Power level in -dBm0 (0–63). */
  readonly volume: number;
  /** Duration so far in timestamp units. */
  readonly duration: number;
}

export function readTelephoneEvent(payload: Uint8Array): TelephoneEventPayload | undefined {
  if (payload.length < TELEPHONE_EVENT_PAYLOAD_LENGTH) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

/** Writes an RFC 4733 §2.3 payload for a DTMF digit at `offset`. */
export function writeTelephoneEvent(
  out: Uint8Array,
  offset: number,
  digit: DtmfDigit,
  end: boolean,
  volume: number,
  duration: number,
): void {
  out[offset] = digitToEvent(digit);
  out[offset + 1] = (end ? 0x80 : 0) | (volume & 0x3f);
  const d = Math.min(0xffff, Math.max(0, Math.round(duration)));
  out[offset + 2] = d >>> 8;
  out[offset + 3] = d & 0xff;
}

export interface TelephoneEventCallbacks {
  onStart(digit: DtmfDigit): void;
  /** Total duration in timestamp units, across long-event segments (RFC 4733 §2.5.1.3). */
  onEnd(digit: DtmfDigit, duration: number): void;
}

/**
 * RFC 4733 §2.5.2 receiver: an event is identified by its RTP timestamp. The first packet of a
 * new timestamp starts a digit (even when the marker packet was lost), the first end packet
 * ends it and the redundant end packets that follow are ignored, so a digit is reported exactly
 * once. A new segment of a long event (same digit, timestamp = previous + 0xFFFF, §2.5.1.3)
 * continues the digit. A digit whose end packets are all lost ends when the next event starts
 * or when {@link expire} finds it silent.
 */
export class TelephoneEventReceiver {
  readonly #callbacks: TelephoneEventCallbacks;
  #active = false;
  #ended = false;
  #digit: DtmfDigit = '0';
  #timestamp = -1;
  #segmentsDuration = 0;
  #duration = 0;
  #lastPacketAt = 0;
  #endedTimestamps = new Set<number>();

  constructor(callbacks: TelephoneEventCallbacks) {
    this.#callbacks = callbacks;
  }

  receive(timestamp: number, payload: Uint8Array, nowMs: number): void {
    const event = readTelephoneEvent(payload);
    if (event === undefined) return;
    const digit = eventToDigit(event.event);
    if (digit === undefined) return;
    if (timestamp !== this.#timestamp) {
      if (this.#endedTimestamps.has(timestamp)) return; // late copy of a finished event
      if (this.#timestamp >= 0 && ((timestamp - this.#timestamp) | 0) < 0) return; // older event
      const continuation =
        this.#active &&
        !this.#ended &&
        digit === this.#digit &&
        (timestamp - this.#timestamp) >>> 0 === 0xffff;
      if (continuation) {
        this.#segmentsDuration += 0xffff;
      } else {
        if (this.#active && !this.#ended) this.#finish();
        this.#active = true;
        this.#ended = false;
        this.#digit = digit;
        this.#segmentsDuration = 0;
        this.#duration = 0;
        this.#callbacks.onStart(digit);
      }
      this.#timestamp = timestamp;
    }
    if (this.#ended) return;
    this.#lastPacketAt = nowMs;
    if (event.duration > this.#duration) this.#duration = event.duration;
    if (event.end) this.#finish();
  }

  /** Ends a digit whose end packets never came, once nothing arrived for `timeoutMs`. */
  expire(nowMs: number, timeoutMs = 500): void {
    if (this.#active && !this.#ended && nowMs - this.#lastPacketAt >= timeoutMs) this.#finish();
  }

  #finish(): void {
    this.#ended = true;
    this.#endedTimestamps.add(this.#timestamp);
    if (this.#endedTimestamps.size > 16) {
      const oldest = this.#endedTimestamps.values().next().value!;
      this.#endedTimestamps.delete(oldest);
    }
    this.#callbacks.onEnd(this.#digit, this.#segmentsDuration + this.#duration);
  }
}
