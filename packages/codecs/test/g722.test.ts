import { describe, expect, it } from 'vitest';
import { G722Codec, codecRegistry } from '@callbridge/codecs';
import { bestCorrelation, rms, segmentalSnr, speechLike, tonePower, tones } from './signals.js';

/** G.722's QMF pair delays the signal by 23 samples at 16 kHz. */
const QMF_DELAY = 22;

function roundTrip(
  codec: G722Codec,
  input: Int16Array,
  lost: ReadonlySet<number> = new Set(),
): Int16Array {
  const out = new Int16Array(input.length);
  for (let f = 0; f * 320 < input.length; f++) {
    const payload = codec.encode(input.subarray(f * 320, (f + 1) * 320));
    expect(payload.length).toBe(160);
    out.set(lost.has(f) ? codec.conceal(320) : codec.decode(payload), f * 320);
  }
  return out;
}

describe('G.722 (64 kbit/s SB-ADPCM)', () => {
  it('is G722/8000 in SDP, payload type 9, with 16 kHz audio', async () => {
    const codec = await codecRegistry.create({ name: 'G722', clockRate: 8000 });
    expect(codec).toMatchObject({
      clockRate: 8000,
      sampleRate: 16000,
      frameSamples: 320,
      staticPayloadType: 9,
    });
    expect(() => codec.encode(new Int16Array(3))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_INPUT' }),
    );
  });

  it('keeps segmental SNR above 20 dB on speech', () => {
    const input = speechLike(16000, 2, 5);
    const output = roundTrip(new G722Codec(), input);
    const { lag } = bestCorrelation(input, output, 40);
    expect(Math.abs(lag - QMF_DELAY)).toBeLessThanOrEqual(1);
    expect(segmentalSnr(input, output, 320, lag)).toBeGreaterThan(20);
  });

  it('passes tones in both sub-bands (1 kHz low band, 5 kHz high band)', () => {
    const output = roundTrip(new G722Codec(), tones(16000, 1, [1000, 5000], 5000)).subarray(1600);
    const low = tonePower(output, 16000, 1000);
    const high = tonePower(output, 16000, 5000);
    expect(high / low).toBeGreaterThan(0.5);
    expect(high / low).toBeLessThan(2);
    // Little aliasing between the bands: 8000 - 5000 = 3000 Hz stays small.
    expect(tonePower(output, 16000, 3000)).toBeLessThan(0.01 * low);
  });

  it('conceals a lost packet and resynchronises afterwards', () => {
    const input = tones(16000, 1, [200, 400], 4000);
    const output = roundTrip(new G722Codec(), input, new Set([20]));
    expect(rms(output, 20 * 320, 21 * 320)).toBeGreaterThan(0.5 * rms(input, 20 * 320, 21 * 320));
    // Two packets later the decoder output tracks the input again.
    expect(
      segmentalSnr(input.subarray(23 * 320), output.subarray(23 * 320), 320, QMF_DELAY),
    ).toBeGreaterThan(15);
  });
});
