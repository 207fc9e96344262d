import { describe, expect, it } from 'vitest';
import { codecRegistry, loadOptionalCodecs } from '@callbridge/codecs';
import type { AudioCodec, AudioFormat } from '@callbridge/codecs';
import { AdaptiveJitterBuffer, LegDecoder, ManualClock, speechLikeSignal } from '@callbridge/media';
import type { FrameDecoder, JitterBufferReport } from '@callbridge/media';

// Concealment through each codec's own PLC, and Opus FEC, as the jitter buffer drives them:
// real encoded speech-like audio, packets dropped on the way, and what is played compared with
// what the same buffer plays when nothing is lost.

const PACKETS = 150;
const FRAME_MS = 20;

interface Played {
  pcm: Int16Array;
  report: JitterBufferReport;
  /** Samples per packet at the decoder's rate. */
  frame: number;
  /** Where packet i starts in `pcm`: after the start-up silence. */
  at(packet: number): number;
}

/**
 * Sends `payloads` every 20 ms on time (a fixed 60 ms buffer, so the playout timeline is the
 * same with and without losses), dropping the `lost` ones, and returns what is played.
 */
function play(
  payloads: Uint8Array[],
  clockRate: number,
  decoder: FrameDecoder,
  lost: ReadonlySet<number>,
): Played {
  const clock = new ManualClock(0);
  const buffer = new AdaptiveJitterBuffer({
    clock,
    decoder,
    clockRate,
    mode: 'fixed',
    fixedDelayMs: 60,
  });
  const frame = (decoder.sampleRate * FRAME_MS) / 1000;
  const out = new Int16Array(frame);
  const pcm = new Int16Array((payloads.length + 6) * frame);
  const tsPerPacket = (clockRate * FRAME_MS) / 1000;
  for (let i = 0; i < payloads.length + 6; i++) {
    clock.advanceTo(i * FRAME_MS);
    if (i < payloads.length && !lost.has(i)) {
      buffer.insert(0x5151, (100 + i) & 0xffff, 4000 + i * tsPerPacket, payloads[i]!, 96);
    }
    buffer.read(out);
    pcm.set(out, i * frame);
  }
  const report = buffer.report();
  return { pcm, report, frame, at: (packet) => report.startupSamples + packet * frame };
}

function energy(pcm: Int16Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! ** 2;
  return sum;
}

function rms(pcm: Int16Array, from: number, to: number): number {
  return Math.sqrt(energy(pcm, from, to) / (to - from));
}

/** Squared error of `played` against `reference` over packet `packet`'s frame. */
function errorEnergy(played: Played, reference: Played, packet: number): number {
  const start = played.at(packet);
  let sum = 0;
  for (let i = start; i < start + played.frame; i++) {
    sum += (played.pcm[i]! - reference.pcm[i]!) ** 2;
  }
  return sum;
}

async function encodeSpeech(sender: AudioCodec, seed: number): Promise<Uint8Array[]> {
  const speech = speechLikeSignal(seed, sender.sampleRate, PACKETS * FRAME_MS);
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const frame = speech.subarray(i * sender.frameSamples, (i + 1) * sender.frameSamples);
    payloads.push(sender.encode(frame).slice());
  }
  return Promise.resolve(payloads);
}

/** A receiving codec behind the adapter the session uses. */
async function receiver(format: AudioFormat, options = {}): Promise<LegDecoder> {
  const codec = await codecRegistry.create(format, { frameDuration: FRAME_MS, ...options });
  return new LegDecoder(new Map([[96, codec]]), codec);
}

function frameRms(played: Played, packet: number): number {
  return rms(played.pcm, played.at(packet), played.at(packet) + played.frame);
}

function frameEnergy(played: Played, packet: number): number {
  return energy(played.pcm, played.at(packet), played.at(packet) + played.frame);
}

function sum(packets: number[], value: (packet: number) => number): number {
  return packets.reduce((total, packet) => total + value(packet), 0);
}

/**
 * Single losses in the middle of the stream, and those among them inside speech (the lost
 * frame and the one before it clearly audible), where concealment has something to continue.
 */
function lossesInSpeech(reference: Played): { lost: Set<number>; loud: number[] } {
  const lost = new Set<number>();
  for (let i = 20; i < PACKETS - 10; i += 9) lost.add(i);
  const loud = [...lost].filter(
    (i) => frameRms(reference, i - 1) > 300 && frameRms(reference, i) > 300,
  );
  return { lost, loud };
}

const PCMU: AudioFormat = { name: 'PCMU', clockRate: 8000 };
const SPEEX: AudioFormat = { name: 'speex', clockRate: 8000 };
const G729: AudioFormat = { name: 'G729', clockRate: 8000 };

describe('concealment through the codec, driven by the jitter buffer', () => {
  for (const format of [PCMU, SPEEX, G729]) {
    it(`${format.name}: a lost packet is concealed by the codec's PLC, not silence`, async () => {
      if (format === G729) {
        expect(await loadOptionalCodecs()).toContain('@callbridge/codec-g729');
      }
      const sender = await codecRegistry.create(format, { frameDuration: FRAME_MS });
      const payloads = await encodeSpeech(sender, 7);
      sender.close();
      const reference = play(payloads, 8000, await receiver(format), new Set());
      const { lost, loud } = lossesInSpeech(reference);
      expect(loud.length).toBeGreaterThanOrEqual(4);
      const lossy = play(payloads, 8000, await receiver(format), lost);

      expect(reference.report.concealedSamples).toBe(0);
      expect(lossy.report.missingPackets).toBe(lost.size);
      expect(lossy.report.concealedSamples).toBe(lost.size * 160);
      for (const i of loud) {
        // The codec continues the signal into the lost frame, near the level before it.
        expect(frameRms(lossy, i), `packet ${i}`).toBeGreaterThan(0.3 * frameRms(lossy, i - 1));
      }
      const plcError = sum(loud, (i) => errorEnergy(lossy, reference, i));
      const silenceError = sum(loud, (i) => frameEnergy(reference, i));
      // And does so closer to the lost audio than silence would be.
      expect(plcError).toBeLessThan(silenceError);
      // Outside the lost frames (and the codec's recovery after them) nothing changed.
      const clean = lossy.at(5);
      expect(errorEnergy(lossy, reference, 5)).toBe(0);
      expect(lossy.pcm.subarray(clean, clean + 160)).toEqual(
        reference.pcm.subarray(clean, clean + 160),
      );
    });
  }

  it('G.711: concealment of a long burst fades out instead of repeating for ever', async () => {
    const sender = await codecRegistry.create(PCMU, { frameDuration: FRAME_MS });
    const payloads = await encodeSpeech(sender, 7);
    const reference = play(payloads, 8000, await receiver(PCMU), new Set());
    // A loud packet to start a 120 ms burst from.
    let first = 30;
    while (frameRms(reference, first - 1) < 600) first++;
    const burst = new Set([0, 1, 2, 3, 4, 5].map((k) => first + k));
    const lossy = play(payloads, 8000, await receiver(PCMU), burst);
    expect(lossy.report.concealedSamples).toBe(6 * 160);
    const levels = [...burst].map((i) => rms(lossy.pcm, lossy.at(i), lossy.at(i) + 160));
    expect(levels[0]).toBeGreaterThan(0.3 * frameRms(lossy, first - 1));
    // G.711 Appendix I: attenuated from the second 10 ms on, silent after 60 ms.
    expect(levels[2]!).toBeLessThan(levels[0]!);
    expect(levels[4]).toBe(0);
    expect(levels[5]).toBe(0);
  });

  it('Opus: a lost packet is recovered from the next packet’s in-band FEC, closer than PLC alone', async () => {
    const OPUS: AudioFormat = {
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: 'useinbandfec=1',
    };
    // The browser's encoder: 48 kHz with FEC, told to expect loss so it carries LBRR copies.
    const sender = await codecRegistry.create(OPUS, {
      frameDuration: FRAME_MS,
      channels: 1,
      fec: true,
      packetLossPercent: 20,
    });
    const payloads = await encodeSpeech(sender, 4);
    sender.close();
    // The gateway decodes at 8 kHz towards a PCMU leg, as the session does.
    const narrow = { sampleRate: 8000, channels: 1 };
    const reference = play(payloads, 48000, await receiver(OPUS, narrow), new Set());
    const { lost, loud } = lossesInSpeech(reference);
    expect(loud.length).toBeGreaterThanOrEqual(4);

    const withFec = play(payloads, 48000, await receiver(OPUS, narrow), lost);
    const plcDecoder = await receiver(OPUS, narrow);
    // The same decoder without its FEC path: concealment by Opus PLC only.
    const plcOnly: FrameDecoder = {
      sampleRate: plcDecoder.sampleRate,
      decode: (payload, out, payloadType) => plcDecoder.decode(payload, out, payloadType),
      conceal: (out, samples) => plcDecoder.conceal(out, samples),
    };
    const withPlc = play(payloads, 48000, plcOnly, lost);

    expect(withFec.report.fecRecovered).toBe(lost.size);
    expect(withFec.report.fecSamples).toBe(lost.size * 160);
    expect(withFec.report.concealedSamples).toBe(lost.size * 160);
    expect(withPlc.report.fecRecovered).toBe(0);
    expect(withPlc.report.concealedSamples).toBe(lost.size * 160);

    for (const i of loud) {
      // Opus PLC is not silence either.
      expect(frameRms(withPlc, i), `packet ${i}`).toBeGreaterThan(0.1 * frameRms(withPlc, i - 1));
    }
    const fecError = sum(loud, (i) => errorEnergy(withFec, reference, i));
    const plcError = sum(loud, (i) => errorEnergy(withPlc, reference, i));
    const silenceError = sum(loud, (i) => frameEnergy(reference, i));
    // FEC carries a low-rate copy of the lost frame: much closer than extrapolating.
    expect(fecError).toBeLessThan(0.5 * plcError);
    expect(fecError).toBeLessThan(0.5 * silenceError);
  });
});
