import { ManualClock } from './clock.js';
import type { FrameDecoder } from './frame-decoder.js';
import { AdaptiveJitterBuffer } from './jitter-buffer.js';
import type { JitterBufferOptions, JitterBufferReport } from './jitter-buffer.js';
import type { ArrivalTrace } from './network-simulator.js';
import { speechLikeSignal } from './signals.js';

export interface ReplayOptions {
  /** Jitter buffer settings (clock, decoder and clock rate are supplied by the replay). */
  readonly jitterBuffer?: Omit<JitterBufferOptions, 'clock' | 'decoder' | 'clockRate'>;
  /** Playout frame the buffer is read in (default 20 ms). */
  readonly playoutFrameMs?: number;
  /** Seed of the speech-like audio carried by the packets (default 1). */
  readonly audioSeed?: number;
}

export interface ReplayResult {
  readonly report: JitterBufferReport;
  /** Everything played out, at the stream's clock rate. */
  readonly played: Int16Array;
  /** What the sender sent, for comparison. */
  readonly sent: Int16Array;
}

/**
 * Replays a simulated arrival trace through a jitter buffer on fake time: arrivals are inserted at
 * their arrival times and the buffer is read every playout frame, exactly as a media pipeline
 * drives it. The packets carry linear 16-bit PCM (RFC 3551 §4.5.11 L16) of a speech-like signal.
 */
export function replayTrace(trace: ArrivalTrace, options: ReplayOptions = {}): ReplayResult {
  const { clockRate, packetIntervalMs, packetCount } = trace.profile;
  const clock = new ManualClock(0);
  const frameMs = options.playoutFrameMs ?? 20;
  const samplesPerPacket = Math.round((packetIntervalMs * clockRate) / 1000);
  const sent = speechLikeSignal(options.audioSeed ?? 1, clockRate, packetCount * packetIntervalMs);
  const decoder = new L16Decoder(clockRate);
  const buffer = new AdaptiveJitterBuffer({
    ...options.jitterBuffer,
    clock,
    decoder,
    clockRate,
  });
  const payload = new Uint8Array(samplesPerPacket * 2);
  const view = new DataView(payload.buffer);
  const readSamples = Math.round((frameMs * clockRate) / 1000);
  const out = new Int16Array(readSamples);
  const arrivals = trace.arrivals;
  const lastArrival = arrivals.length === 0 ? 0 : arrivals[arrivals.length - 1]!.arrivalTime;
  const played = new Int16Array(Math.ceil((lastArrival + 2000) / frameMs) * readSamples);
  let playedLength = 0;
  let nextRead = 0;
  let arrival = 0;
  // Play until every packet has arrived and the buffer has played them all.
  while (
    arrival < arrivals.length ||
    (buffer.bufferedPackets > 0 && nextRead < lastArrival + 2000)
  ) {
    const packet = arrivals[arrival];
    if (packet !== undefined && packet.arrivalTime < nextRead) {
      clock.advanceTo(packet.arrivalTime);
      const start = packet.index * samplesPerPacket;
      for (let i = 0; i < samplesPerPacket; i++) view.setInt16(i * 2, sent[start + i] ?? 0);
      buffer.insert(packet.ssrc, packet.sequenceNumber, packet.timestamp, payload);
      arrival++;
      continue;
    }
    clock.advanceTo(nextRead);
    buffer.read(out);
    played.set(out, playedLength);
    playedLength += readSamples;
    nextRead += frameMs;
  }
  return { report: buffer.report(), played: played.subarray(0, playedLength), sent };
}

/**
 * Linear 16-bit PCM payloads (RFC 3551 §4.5.11: big-endian) with a fading repeat of the last
 * frame as concealment. Carries the simulated streams; handy for tests of anything that takes a
 * {@link FrameDecoder}.
 */
export class L16Decoder implements FrameDecoder {
  readonly sampleRate: number;
  readonly #last: Int16Array;
  #lastLength = 0;
  #concealPosition = 0;
  #gain = 1;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    this.#last = new Int16Array(Math.ceil(sampleRate * 0.12));
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    const samples = Math.min(payload.length >> 1, out.length);
    for (let i = 0; i < samples; i++) {
      const v = (payload[2 * i]! << 8) | payload[2 * i + 1]!;
      out[i] = (v << 16) >> 16;
      this.#last[i] = out[i]!;
    }
    this.#lastLength = samples;
    this.#concealPosition = 0;
    this.#gain = 1;
    return samples;
  }

  conceal(out: Int16Array, samples: number): number {
    const n = Math.min(samples, out.length);
    for (let i = 0; i < n; i++) {
      if (this.#lastLength === 0) {
        out[i] = 0;
        continue;
      }
      out[i] = Math.round(this.#last[this.#concealPosition]! * this.#gain);
      this.#concealPosition = (this.#concealPosition + 1) % this.#lastLength;
      this.#gain = Math.max(0, this.#gain - 1 / (this.sampleRate * 0.06));
    }
    return n;
  }

  reset(): void {
    this.#lastLength = 0;
  }
}
