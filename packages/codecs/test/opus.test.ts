import { describe, expect, it } from 'vitest';
import { CodecError, OpusCodec, codecRegistry, createCodec, opusWasm } from '@callbridge/codecs';
import { bestCorrelation, rms, speechLike, tonePower, tones } from './signals.js';

await opusWasm.load();

function encodeAll(codec: OpusCodec, input: Int16Array): Uint8Array[] {
  const frame = codec.frameSamples * codec.channels;
  const packets: Uint8Array[] = [];
  for (let at = 0; at + frame <= input.length; at += frame)
    packets.push(codec.encode(input.subarray(at, at + frame)).slice());
  return packets;
}

function decodeAll(
  codec: OpusCodec,
  packets: readonly (Uint8Array | null)[],
  fec = false,
): Int16Array {
  const frame = codec.frameSamples * codec.channels;
  const out = new Int16Array(packets.length * frame);
  packets.forEach((packet, i) => {
    let pcm: Int16Array;
    if (packet) pcm = codec.decode(packet);
    else {
      const next = packets[i + 1];
      pcm =
        fec && next
          ? codec.recoverFec(next, codec.frameSamples)
          : codec.conceal(codec.frameSamples);
    }
    out.set(pcm, i * frame);
  });
  return out;
}

describe('Opus (libopus 1.3.1 in WebAssembly)', () => {
  it('is registered as opus/48000/2 and maps fmtp to options', async () => {
    const descriptor = codecRegistry.find({ name: 'OPUS', clockRate: 48000, channels: 2 });
    expect(descriptor?.loaded).toBe(true);
    expect(codecRegistry.find({ name: 'opus', clockRate: 48000 })).toBe(descriptor);
    expect(codecRegistry.find({ name: 'opus', clockRate: 48000, channels: 1 })).toBeUndefined();
    const stereo = await createCodec({
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: 'stereo=1; useinbandfec=1',
    });
    expect(stereo).toMatchObject({
      name: 'opus',
      clockRate: 48000,
      sampleRate: 48000,
      channels: 2,
      frameSamples: 960,
    });
    stereo.close();
    const narrow = codecRegistry.createSync(
      { name: 'opus', clockRate: 48000, channels: 2 },
      { sampleRate: 8000 },
    );
    expect(narrow).toMatchObject({
      clockRate: 48000,
      sampleRate: 8000,
      channels: 1,
      frameSamples: 160,
    });
    narrow.close();
    expect(() => new OpusCodec({ sampleRate: 44100 })).toThrow(CodecError);
    expect(() => new OpusCodec({ complexity: 11 })).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_OPTION' }),
    );
  });

  for (const sampleRate of [48000, 16000, 8000]) {
    it(`round-trips speech at ${sampleRate} Hz with high correlation`, () => {
      const codec = new OpusCodec({ sampleRate, bitrate: 32000, complexity: 5 });
      const input = speechLike(sampleRate, 2);
      const output = decodeAll(codec, encodeAll(codec, input));
      // libopus delays by 6.5 ms (312 samples at 48 kHz) in VOIP mode.
      const { lag, r } = bestCorrelation(input, output, Math.ceil(sampleRate * 0.01));
      // Opus does not preserve the waveform of the upper bands at 48 kHz (they are coded as
      // band energies), so the floor there is lower than in narrowband.
      expect(r).toBeGreaterThan(sampleRate === 48000 ? 0.8 : 0.9);
      expect(lag).toBeGreaterThan(0);
      codec.close();
    });
  }

  it('keeps the spectrum of a stereo tone pair (440 Hz left, 1000 Hz right)', () => {
    const codec = new OpusCodec({ channels: 2, bitrate: 64000, application: 'audio' });
    const left = tones(48000, 1, [440]);
    const right = tones(48000, 1, [1000]);
    const interleaved = new Int16Array(left.length * 2);
    for (let i = 0; i < left.length; i++) {
      interleaved[2 * i] = left[i]!;
      interleaved[2 * i + 1] = right[i]!;
    }
    const out = decodeAll(codec, encodeAll(codec, interleaved));
    const outLeft = Int16Array.from(
      { length: out.length / 2 - 4800 },
      (_, i) => out[2 * (i + 4800)]!,
    );
    const outRight = Int16Array.from(
      { length: out.length / 2 - 4800 },
      (_, i) => out[2 * (i + 4800) + 1]!,
    );
    expect(tonePower(outLeft, 48000, 440)).toBeGreaterThan(100 * tonePower(outLeft, 48000, 1000));
    expect(tonePower(outRight, 48000, 1000)).toBeGreaterThan(100 * tonePower(outRight, 48000, 440));
    codec.close();
  });

  it('decodes and conceals into a caller buffer exactly what decode() and conceal() return', () => {
    const encoder = new OpusCodec({ sampleRate: 8000 });
    const packets = encodeAll(encoder, speechLike(8000, 1));
    encoder.close();
    const viaViews = new OpusCodec({ sampleRate: 8000 });
    const direct = new OpusCodec({ sampleRate: 8000 });
    const out = new Int16Array(960);
    packets.forEach((packet, i) => {
      const expected = i % 5 === 4 ? viaViews.conceal(160) : viaViews.decode(packet);
      const written = i % 5 === 4 ? direct.concealInto(160, out) : direct.decodeInto(packet, out);
      expect(written).toBe(expected.length);
      expect(out.subarray(0, written)).toEqual(expected);
    });
    expect(() => direct.decodeInto(packets[0]!, new Int16Array(100))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BUFFER_TOO_SMALL' }),
    );
    expect(() => direct.decodeInto(new Uint8Array(0), out)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_PAYLOAD' }),
    );
    viaViews.close();
    direct.close();
    expect(() => direct.decodeInto(packets[0]!, out)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_CLOSED' }),
    );
  });

  it('encodes into a packet at an offset exactly what encode() returns', () => {
    const pcm = speechLike(8000, 1);
    const viaView = new OpusCodec({ sampleRate: 8000 });
    const direct = new OpusCodec({ sampleRate: 8000 });
    const packet = new Uint8Array(1500);
    for (let at = 0; at + 160 <= pcm.length; at += 160) {
      const frame = pcm.subarray(at, at + 160);
      const expected = viaView.encode(frame);
      packet.fill(0xee);
      const written = direct.encodeInto(frame, packet, 12);
      expect(written).toBe(expected.length);
      expect(packet.subarray(12, 12 + written)).toEqual(expected);
      expect(packet[11]).toBe(0xee);
      expect(packet[12 + written]).toBe(0xee);
    }
    expect(() => direct.encodeInto(pcm.subarray(0, 160), new Uint8Array(14), 12)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BUFFER_TOO_SMALL' }),
    );
    expect(() => direct.encodeInto(pcm.subarray(0, 100), packet, 12)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_INPUT' }),
    );
    viaView.close();
    direct.close();
    expect(() => direct.encodeInto(pcm.subarray(0, 160), packet, 12)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_CLOSED' }),
    );
  });

  it('conceals a lost packet and recovers it better from in-band FEC', () => {
    const input = speechLike(48000, 2, 7);
    const sender = new OpusCodec({ fec: true, packetLossPercent: 20, bitrate: 32000 });
    const packets = encodeAll(sender, input);
    const lost = new Set([20, 35, 50, 65, 80]);
    const withLoss = packets.map((p, i) => (lost.has(i) ? null : p));

    const reference = decodeAll(new OpusCodec(), packets);
    const concealed = decodeAll(new OpusCodec(), withLoss);
    const recovered = decodeAll(new OpusCodec(), withLoss, true);

    let plcError = 0;
    let fecError = 0;
    for (const i of lost) {
      const start = i * 960;
      const ref = reference.subarray(start, start + 960);
      // PLC output is not silence: it extends the signal.
      expect(rms(concealed, start, start + 960)).toBeGreaterThan(0.05 * rms(ref));
      for (let k = 0; k < 960; k++) {
        plcError += (concealed[start + k]! - ref[k]!) ** 2;
        fecError += (recovered[start + k]! - ref[k]!) ** 2;
      }
    }
    // FEC carries a low-rate copy of the lost frame: much closer than extrapolation.
    expect(fecError).toBeLessThan(0.5 * plcError);
    expect(() => sender.recoverFec(packets[1]!, 100)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_INPUT' }),
    );
  });

  it('sends nothing during silence with DTX and decodes what it sends', () => {
    const codec = new OpusCodec({ dtx: true });
    const silence = new Int16Array(960 * 50);
    const sizes = encodeAll(codec, silence).map((p) => p.length);
    // After a few frames DTX stops sending, except periodic refreshes (every 400 ms).
    const empty = sizes.filter((n) => n === 0).length;
    expect(empty).toBeGreaterThan(35);
    expect(sizes.slice(0, 2).every((n) => n > 0)).toBe(true);
    const decoder = new OpusCodec();
    for (const packet of encodeAll(new OpusCodec({ dtx: true }), silence)) {
      const pcm = packet.length > 0 ? decoder.decode(packet) : decoder.conceal(960);
      expect(pcm.length).toBe(960);
      expect(rms(pcm)).toBeLessThan(50);
    }
  });

  it('rejects bad payloads and frame sizes with typed errors', () => {
    const codec = new OpusCodec();
    expect(() => codec.encode(new Int16Array(100))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_INPUT' }),
    );
    expect(() => codec.decode(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_PAYLOAD' }),
    );
    // TOC code 3 with a frame count of 0 is invalid (RFC 6716 §3.2.5).
    expect(() => codec.decode(Uint8Array.of(0x03, 0x00))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_PAYLOAD' }),
    );
    codec.close();
    expect(() => codec.encode(new Int16Array(960))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_CLOSED' }),
    );
  });

  it('survives the shared memory growing under a live codec', () => {
    const first = new OpusCodec();
    const input = speechLike(48000, 0.2);
    const reference = encodeAll(first, input);
    first.reset();
    const memoryBefore = opusWasm.get().u8.byteLength;
    // Each instance takes ~60 KB of the shared memory: enough of them force memory.grow.
    const many = Array.from({ length: 64 }, () => new OpusCodec({ channels: 2 }));
    expect(opusWasm.get().u8.byteLength).toBeGreaterThan(memoryBefore);
    // The live codec keeps working on the new buffer and produces the same packets.
    expect(encodeAll(first, input)).toEqual(reference);
    expect(decodeAll(first, reference).length).toBe(input.length);
    for (const codec of many) codec.close();
    first.close();
  });
});
