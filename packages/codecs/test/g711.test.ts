import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  G711Codec,
  codecRegistry,
  createCodec,
  decodeG711,
  encodeG711,
} from '@callbridge/codecs';
import {
  bestCorrelation,
  conformanceDir,
  readInt16LE,
  rms,
  rtpPayloadsFromPcap,
  segmentalSnr,
  speechLike,
  tones,
} from './signals.js';

const g711Dir = new URL('g711/', conformanceDir);
const sweepDir = new URL('g711/g191-sweep/', conformanceDir);

describe('G.711 bit-exactness against ITU-T G.191 on all 65,536 inputs', () => {
  const sweep = readInt16LE(new URL('sweep.src', sweepDir));

  for (const [law, codes, decoded] of [
    ['a', 'sweep-r.a', 'sweep-r.rea'],
    ['mu', 'sweep-r.u', 'sweep-r.reu'],
  ] as const) {
    it(`${law}-law encoder matches ${codes}`, () => {
      expect(sweep.length).toBe(65536);
      const expected = readInt16LE(new URL(codes, sweepDir));
      const out = new Uint8Array(sweep.length);
      encodeG711(law, sweep, out);
      let mismatches = 0;
      for (let i = 0; i < sweep.length; i++) if (out[i] !== (expected[i]! & 0xff)) mismatches++;
      expect(mismatches).toBe(0);
    });

    it(`${law}-law decoder reproduces ${decoded}`, () => {
      const codesWords = readInt16LE(new URL(codes, sweepDir));
      const codeBytes = Uint8Array.from(codesWords, (w) => w & 0xff);
      const expected = readInt16LE(new URL(decoded, sweepDir));
      const out = new Int16Array(codeBytes.length);
      decodeG711(law, codeBytes, out);
      expect(out).toEqual(expected);
    });
  }

  it('decoders match the 256-entry reference tables', () => {
    const tables = JSON.parse(
      readFileSync(new URL('g711-decode-tables.json', g711Dir), 'utf8'),
    ) as {
      alaw_decode: number[];
      ulaw_decode: number[];
    };
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const a = new Int16Array(256);
    const u = new Int16Array(256);
    decodeG711('a', all, a);
    decodeG711('mu', all, u);
    expect(Array.from(a)).toEqual(tables.alaw_decode);
    expect(Array.from(u)).toEqual(tables.ulaw_decode);
  });

  it('follows G.191, not Sun g711.c, on the negative µ-law boundaries', () => {
    const out = new Uint8Array(4);
    encodeG711('mu', Int16Array.of(-1, -4, -31612, -32768), out);
    expect(Array.from(out)).toEqual([0x7f, 0x7f, 0x01, 0x00]);
  });
});

describe('G.711 codec', () => {
  it('is created from the registry by SDP name and lists its static payload types', async () => {
    const pcmu = await createCodec({ name: 'pcmu', clockRate: 8000 });
    expect(pcmu).toMatchObject({
      name: 'PCMU',
      clockRate: 8000,
      sampleRate: 8000,
      frameSamples: 160,
      staticPayloadType: 0,
    });
    const pcma = codecRegistry.createSync({ name: 'PCMA', clockRate: 8000 }, { frameDuration: 30 });
    expect(pcma.frameSamples).toBe(240);
    expect(codecRegistry.list().map((d) => `${d.name}/${d.clockRate}`)).toEqual(
      expect.arrayContaining(['PCMU/8000', 'PCMA/8000']),
    );
    await expect(createCodec({ name: 'PCMU', clockRate: 16000 })).rejects.toMatchObject({
      code: 'ERR_CODEC_UNSUPPORTED',
    });
    expect(() => new G711Codec('mu', { sampleRate: 16000 })).toThrow(CodecError);
  });

  for (const law of ['mu', 'a'] as const) {
    it(`${law}-law round trip keeps segmental SNR above 30 dB on speech and tones`, () => {
      for (const signal of [speechLike(8000, 2), tones(8000, 1, [440, 1000, 2600])]) {
        const codec = new G711Codec(law);
        const decoded = new Int16Array(signal.length);
        for (let at = 0; at + 160 <= signal.length; at += 160) {
          decoded.set(codec.decode(codec.encode(signal.subarray(at, at + 160))), at);
        }
        // G.711 gives about 38 dB on loud speech; quiet syllables pull the average down.
        expect(segmentalSnr(signal, decoded, 160)).toBeGreaterThan(30);
      }
    });
  }

  it('reuses its buffers and writes into caller buffers', () => {
    const codec = new G711Codec('mu');
    const pcm = speechLike(8000, 0.04);
    const first = codec.encode(pcm.subarray(0, 160));
    const second = codec.encode(pcm.subarray(160, 320));
    expect(second.buffer).toBe(first.buffer);
    const mine = new Uint8Array(200);
    const out = codec.encode(pcm.subarray(0, 160), mine);
    expect(out.buffer).toBe(mine.buffer);
    expect(out.length).toBe(160);
    expect(() => codec.encode(pcm.subarray(0, 160), new Uint8Array(10))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BUFFER_TOO_SMALL' }),
    );
    codec.close();
    expect(() => codec.decode(first)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_CLOSED' }),
    );
  });

  it('encodes into a packet at an offset exactly what encode() returns, both laws', () => {
    const pcm = speechLike(8000, 0.1);
    for (const law of ['mu', 'a'] as const) {
      const viaView = new G711Codec(law);
      const direct = new G711Codec(law);
      const packet = new Uint8Array(12 + 160 + 4).fill(0xee);
      for (let at = 0; at + 160 <= pcm.length; at += 160) {
        const frame = pcm.subarray(at, at + 160);
        expect(direct.encodeInto(frame, packet, 12)).toBe(160);
        expect(packet.subarray(12, 172)).toEqual(viaView.encode(frame));
      }
      // Nothing written outside the payload's place.
      expect([...packet.subarray(0, 12), ...packet.subarray(172)]).toEqual(Array(16).fill(0xee));
      expect(() => direct.encodeInto(pcm.subarray(0, 160), packet, 20)).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_BUFFER_TOO_SMALL' }),
      );
      direct.close();
      expect(() => direct.encodeInto(pcm.subarray(0, 160), packet, 12)).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_CLOSED' }),
      );
    }
  });

  it('decodes SIPp PCMA RTP and re-encodes it to the same codes', () => {
    const payloads = rtpPayloadsFromPcap(new URL('sipp-g711a.pcap', g711Dir), 8);
    expect(payloads.length).toBeGreaterThan(200);
    const codec = new G711Codec('a');
    let loudest = 0;
    for (const payload of payloads) {
      const pcm = codec.decode(payload);
      expect(pcm.length).toBe(payload.length);
      loudest = Math.max(loudest, rms(pcm));
      // Decoded values are reconstruction levels, so encoding them again is the identity.
      expect(codec.encode(pcm)).toEqual(payload);
    }
    expect(loudest).toBeGreaterThan(500);
  });
});

describe('G.711 packet-loss concealment', () => {
  function lossRun(lostFrames: number[]): { concealed: Int16Array; original: Int16Array } {
    const original = tones(8000, 1, [180, 360, 540], 3000);
    const codec = new G711Codec('mu');
    const out = new Int16Array(original.length);
    for (let f = 0; f < original.length / 160; f++) {
      const frame = original.subarray(f * 160, (f + 1) * 160);
      const payload = codec.encode(frame);
      out.set(lostFrames.includes(f) ? codec.conceal(160) : codec.decode(payload), f * 160);
    }
    return { concealed: out, original };
  }

  it('continues a periodic signal across one lost 20 ms frame', () => {
    const { concealed, original } = lossRun([20]);
    const lost = concealed.subarray(20 * 160, 21 * 160);
    const ref = original.subarray(20 * 160, 21 * 160);
    expect(rms(lost)).toBeGreaterThan(0.7 * rms(ref));
    // Repeating the pitch period keeps the waveform close to what was lost.
    expect(bestCorrelation(ref, lost, 0).r).toBeGreaterThan(0.8);
    // Much better than inserting silence.
    expect(segmentalSnr(original.subarray(3200, 3360), lost, 160)).toBeGreaterThan(5);
  });

  it('fades to silence after 60 ms and recovers smoothly on the next packet', () => {
    const { concealed } = lossRun([10, 11, 12, 13, 14]);
    expect(rms(concealed, 10 * 160, 10 * 160 + 80)).toBeGreaterThan(1000);
    expect(rms(concealed, 13 * 160, 15 * 160)).toBe(0);
    // First good frame fades in from silence instead of a hard step.
    expect(Math.abs(concealed[15 * 160]!)).toBeLessThan(400);
    expect(rms(concealed, 15 * 160 + 80, 16 * 160)).toBeGreaterThan(1000);
  });

  it('rejects an impossible sample count', () => {
    expect(() => new G711Codec('a').conceal(-1)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_INPUT' }),
    );
  });
});
