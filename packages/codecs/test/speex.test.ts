import { describe, expect, it } from 'vitest';
import { SpeexCodec, createCodec, createResampler, speexWasm } from '@callbridge/codecs';
import { bestCorrelation, rms, roundTrip, speechLike, tonePower, tones } from './signals.js';

await speexWasm.load();

describe('Speex (libspeex 1.2.1 in WebAssembly)', () => {
  for (const sampleRate of [8000, 16000] as const) {
    it(`round-trips speech at ${sampleRate} Hz (speex/${sampleRate})`, async () => {
      const codec = await createCodec({ name: 'speex', clockRate: sampleRate });
      expect(codec).toMatchObject({
        sampleRate,
        clockRate: sampleRate,
        frameSamples: sampleRate / 50,
      });
      const input = speechLike(sampleRate, 2, 3);
      const output = roundTrip(codec, input);
      const { r } = bestCorrelation(input, output, sampleRate / 50);
      expect(r).toBeGreaterThan(0.75);
      codec.close();
    });
  }

  it('keeps a tone where it was', () => {
    const codec = new SpeexCodec({ sampleRate: 16000, quality: 8 });
    const output = roundTrip(codec, tones(16000, 1, [700], 8000)).subarray(1600);
    expect(tonePower(output, 16000, 700)).toBeGreaterThan(50 * tonePower(output, 16000, 2100));
  });

  it('rejects empty and corrupt payloads', () => {
    const decoder = new SpeexCodec();
    expect(() => decoder.decode(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_PAYLOAD' }),
    );
    // Narrowband mode 15 is the terminator and 13/14 are reserved: no frame to decode.
    expect(() => decoder.decode(Uint8Array.of(0x7f, 0xff))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_PAYLOAD' }),
    );
  });

  it('conceals lost frames and supports VAD/DTX', () => {
    const codec = new SpeexCodec({ dtx: true });
    const speech = speechLike(8000, 0.4);
    for (let at = 0; at < speech.length; at += 160)
      codec.decode(codec.encode(speech.subarray(at, at + 160)));
    const concealed = codec.conceal(160);
    expect(concealed.length).toBe(160);
    expect(rms(concealed)).toBeGreaterThan(10);
    const silentSizes: number[] = [];
    for (let i = 0; i < 50; i++) silentSizes.push(codec.encode(new Int16Array(160)).length);
    expect(silentSizes.filter((n) => n === 0).length).toBeGreaterThan(20);
  });
});

describe('Resampler (speexdsp 1.2.1 in WebAssembly)', () => {
  it('converts 48 kHz to 8 kHz and back, keeping in-band tones and rejecting aliases', async () => {
    const down = await createResampler({ inputRate: 48000, outputRate: 8000 });
    const up = await createResampler({ inputRate: 8000, outputRate: 48000, quality: 5 });
    // 1 kHz is in band; 5 kHz would alias to 3 kHz at 8 kHz if not filtered.
    const input = tones(48000, 1, [1000, 5000]);
    const narrow = new Int16Array(8000);
    const wide = new Int16Array(48000);
    let n = 0;
    let w = 0;
    for (let at = 0; at < input.length; at += 960) {
      const out = down.process(input.subarray(at, at + 960));
      narrow.set(out, n);
      n += out.length;
      const back = up.process(out);
      wide.set(back, w);
      w += back.length;
    }
    // Whole 20 ms frames give exact output sizes apart from the skipped filter delay.
    expect(n).toBeGreaterThan(7900);
    expect(n).toBeLessThanOrEqual(8000);
    const steady = narrow.subarray(400, n);
    expect(tonePower(steady, 8000, 1000)).toBeGreaterThan(1000 * tonePower(steady, 8000, 3000));
    const steadyWide = wide.subarray(4800, w);
    expect(tonePower(steadyWide, 48000, 1000)).toBeGreaterThan(
      1000 * tonePower(steadyWide, 48000, 5000),
    );
    down.close();
    up.close();
  });

  it('handles stereo, large inputs and caller buffers', async () => {
    const rs = await createResampler({ inputRate: 8000, outputRate: 48000, channels: 2 });
    const input = new Int16Array(8000 * 2 * 2); // 2 s stereo: larger than one glue buffer
    const out = rs.process(input, new Int16Array(48000 * 2 * 2 + 100));
    expect(out.length % 2).toBe(0);
    expect(out.length).toBeGreaterThan(48000 * 2 * 2 - 400);
    expect(() => rs.process(new Int16Array(3))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_INPUT' }),
    );
    expect(() => rs.process(input, new Int16Array(10))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BUFFER_TOO_SMALL' }),
    );
    await expect(
      createResampler({ inputRate: 8000, outputRate: 48000, quality: 11 }),
    ).rejects.toMatchObject({
      code: 'ERR_CODEC_INVALID_OPTION',
    });
  });
});
