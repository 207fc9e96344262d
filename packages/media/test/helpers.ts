import { RtpPacket, createRtpPacket, parseRtcp } from '@callbridge/rtp';
import type { RtcpPacket } from '@callbridge/rtp';
import { G711Codec } from '@callbridge/codecs';
import { SrtpContext } from '@callbridge/srtp';
import type { SrtpContextOptions } from '@callbridge/srtp';
import type { LegConfig, MediaTransport } from '@callbridge/media';

/** A transport that records what the session sends, unprotecting SRTP like the peer would. */
export class RecordingTransport implements MediaTransport {
  readonly rtp: RtpPacket[] = [];
  readonly rtcp: RtcpPacket[][] = [];
  readonly rtpTimes: number[] = [];
  readonly #peerReceive: SrtpContext | undefined;
  readonly #now: () => number;

  constructor(now: () => number, peerReceive?: SrtpContextOptions) {
    this.#now = now;
    this.#peerReceive = peerReceive ? new SrtpContext(peerReceive) : undefined;
  }

  sendRtp(data: Uint8Array, length: number): void {
    const copy = data.slice(0, length);
    const plain = this.#peerReceive ? this.#peerReceive.unprotectRtp(copy) : copy;
    this.rtp.push(RtpPacket.parse(plain));
    this.rtpTimes.push(this.#now());
  }

  sendRtcp(data: Uint8Array, length: number): void {
    const copy = data.slice(0, length);
    const plain = this.#peerReceive ? this.#peerReceive.unprotectRtcp(copy) : copy;
    this.rtcp.push(parseRtcp(plain));
  }

  /** Audio packets of one payload type. */
  ofType(payloadType: number): RtpPacket[] {
    return this.rtp.filter((p) => p.payloadType === payloadType);
  }
}

export function srtpKeys(seed: number): SrtpContextOptions {
  return {
    profile: 'AES_CM_128_HMAC_SHA1_80',
    masterKey: Uint8Array.from({ length: 16 }, (_, i) => (i * 7 + seed) & 0xff),
    masterSalt: Uint8Array.from({ length: 14 }, (_, i) => (i * 13 + seed * 3) & 0xff),
  };
}

export const PCMU = { payloadType: 0, name: 'PCMU', clockRate: 8000 } as const;
export const PCMA = { payloadType: 8, name: 'PCMA', clockRate: 8000 } as const;

export function pcmuLeg(transport: MediaTransport, extra: Partial<LegConfig> = {}): LegConfig {
  return {
    transport,
    audio: { formats: [PCMU], telephoneEvents: [{ payloadType: 101, clockRate: 8000 }] },
    ...extra,
  };
}

/** Sine tone PCM. */
export function sine(
  frequency: number,
  samples: number,
  sampleRate: number,
  amplitude = 8000,
  phase0 = 0,
): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * frequency * (i + phase0)) / sampleRate)),
  );
}

/** A sender of one RTP audio stream: G.711 frames of a sine, 20 ms each. */
export class ToneSender {
  seq: number;
  ts: number;
  ssrc: number;
  readonly #codec: G711Codec;
  readonly payloadType: number;
  #phase = 0;

  constructor(law: 'mu' | 'a', payloadType: number, ssrc: number, seq = 1000, ts = 50_000) {
    this.#codec = new G711Codec(law, { frameDuration: 20 });
    this.payloadType = payloadType;
    this.ssrc = ssrc;
    this.seq = seq;
    this.ts = ts;
  }

  next(frequency = 1000, marker = false): Uint8Array {
    const pcm = sine(frequency, 160, 8000, 8000, this.#phase);
    this.#phase += 160;
    const payload = this.#codec.encode(pcm).slice();
    const packet = createRtpPacket({
      payloadType: this.payloadType,
      sequenceNumber: this.seq & 0xffff,
      timestamp: this.ts >>> 0,
      ssrc: this.ssrc,
      marker,
      payload,
    });
    this.seq++;
    this.ts += 160;
    return packet.bytes;
  }

  /** A frame of given PCM instead of the sine. */
  frame(pcm: Int16Array): Uint8Array {
    const payload = this.#codec.encode(pcm).slice();
    const packet = createRtpPacket({
      payloadType: this.payloadType,
      sequenceNumber: this.seq & 0xffff,
      timestamp: this.ts >>> 0,
      ssrc: this.ssrc,
      payload,
    });
    this.seq++;
    this.ts += pcm.length;
    return packet.bytes;
  }
}

/** Decodes G.711 payloads of received packets back to PCM, in sequence order. */
export function decodeAll(packets: RtpPacket[], law: 'mu' | 'a'): Int16Array {
  const codec = new G711Codec(law, { frameDuration: 20 });
  const parts = packets.map((p) => codec.decode(p.payload).slice());
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** Amplitude of one frequency component (single-bin DFT). */
export function toneAmplitude(pcm: Int16Array, frequency: number, sampleRate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < pcm.length; i++) {
    re += pcm[i]! * Math.cos((2 * Math.PI * frequency * i) / sampleRate);
    im += pcm[i]! * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  }
  return (2 * Math.hypot(re, im)) / pcm.length;
}

/** RFC 4733 event packet. */
export function eventPacket(
  payloadType: number,
  ssrc: number,
  seq: number,
  ts: number,
  event: number,
  end: boolean,
  duration: number,
  marker = false,
): Uint8Array {
  const payload = Uint8Array.of(event, (end ? 0x80 : 0) | 10, duration >>> 8, duration & 0xff);
  return createRtpPacket({
    payloadType,
    sequenceNumber: seq & 0xffff,
    timestamp: ts >>> 0,
    ssrc,
    marker,
    payload,
  }).bytes;
}
