// Calls and packets shared by bench/media.mjs and bench/lib/media-cachegrind.mjs.
import { MediaSession, speechLikeSignal } from '@callbridge/media';
import { createRtpPacket } from '@callbridge/rtp';
import { G711Codec, codecRegistry } from '@callbridge/codecs';

export const PACKETS_PER_SECOND = 50;
export const nullTransport = { sendRtp() {}, sendRtcp() {} };
export const PCMU = { payloadType: 0, name: 'PCMU', clockRate: 8000 };
export const PCMA = { payloadType: 8, name: 'PCMA', clockRate: 8000 };
export const OPUS = {
  payloadType: 111,
  name: 'opus',
  clockRate: 48000,
  channels: 2,
  fmtp: 'useinbandfec=1',
};

/**
 * `count` RTP packets 20 ms apart carrying `payloads` in turn (by default one packet each).
 * Senders pick their SSRC and first timestamp at random (RFC 3550 §5.1, §8.1), so most are
 * above 2^31: the timestamps here start there, as callers' SSRCs should.
 */
export function packets(payloadType, ssrc, payloads, samplesPerPacket, count = payloads.length) {
  return Array.from(
    { length: count },
    (_, i) =>
      createRtpPacket({
        payloadType,
        sequenceNumber: (51_000 + i) & 0xffff,
        timestamp: (0x9e37_79b9 + i * samplesPerPacket) >>> 0,
        ssrc,
        payload: payloads[i % payloads.length],
      }).bytes,
  );
}

/** `count` 20 ms G.711 payloads of a speech-like signal. */
export function g711Payloads(law, seed, count) {
  const codec = new G711Codec(law, { frameDuration: 20 });
  const speech = speechLikeSignal(seed, 8000, count * 20);
  return Array.from({ length: count }, (_, i) =>
    codec.encode(speech.subarray(i * 160, i * 160 + 160)).slice(),
  );
}

/** `count` 20 ms Opus payloads of a speech-like signal, encoded at 48 kHz in both channels. */
export async function opusPayloads(count) {
  const encoder = await codecRegistry.create(OPUS, { frameDuration: 20 });
  const speech = speechLikeSignal(2, encoder.sampleRate, count * 20);
  const frame = new Int16Array(encoder.frameSamples * encoder.channels);
  const payloads = [];
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < encoder.frameSamples; j++) {
      const s = speech[i * encoder.frameSamples + j];
      for (let c = 0; c < encoder.channels; c++) frame[j * encoder.channels + c] = s;
    }
    payloads.push(encoder.encode(frame).slice());
  }
  encoder.close();
  return payloads;
}

const receive = new Uint8Array(2048);
const receiveViews = new Map();

/**
 * Hands `packet` to the session's `leg` copied into one receive buffer first (through one view
 * per length), as a socket read would put it there: the session rewrites packets in place.
 */
export function deliver(session, leg, packet) {
  let view = receiveViews.get(packet.length);
  if (!view) receiveViews.set(packet.length, (view = receive.subarray(0, packet.length)));
  view.set(packet);
  session.receiveRtp(leg, view);
}

/** `calls` sessions transcoding `formatA` on leg a to PCMU on leg b. */
export function transcodingSessions(formatA, calls, clock) {
  return Promise.all(
    Array.from({ length: calls }, (_, i) =>
      MediaSession.create({
        a: { transport: nullTransport, audio: { formats: [formatA] } },
        b: { transport: nullTransport, audio: { formats: [PCMU] } },
        clock,
        seed: i + 1,
        inactivityTimeoutMs: 0,
      }),
    ),
  );
}

/**
 * The transcoding baseline's codecs: for each of `calls` calls, one codec of `formatA` and one
 * of PCMU created the way the session creates them (Opus at the narrowband leg's 8 kHz).
 */
export async function codecPairs(formatA, calls) {
  const narrow = formatA.name === 'opus' ? { sampleRate: 8000 } : {};
  const codecsA = [];
  const codecsB = [];
  for (let c = 0; c < calls; c++) {
    codecsA.push(await codecRegistry.create(formatA, { frameDuration: 20, ...narrow }));
    codecsB.push(await codecRegistry.create(PCMU, { frameDuration: 20 }));
  }
  return { codecsA, codecsB };
}
