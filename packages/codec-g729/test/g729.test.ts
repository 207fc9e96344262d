import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, CodecRegistry, codecRegistry } from '@callbridge/codecs';
import { G729Codec, g729Wasm, registerG729 } from '@callbridge/codec-g729';

await g729Wasm.load();

function speechLike(seconds: number): Int16Array {
  // Vowel-like: 120 Hz pulse train through two resonators, syllable-rate envelope.
  const n = Math.round(8000 * seconds);
  const out = new Int16Array(n);
  let s1 = 0;
  let s2 = 0;
  let t1 = 0;
  let t2 = 0;
  for (let i = 0; i < n; i++) {
    const x = i % Math.round(8000 / (120 + 30 * Math.sin(i / 4000))) === 0 ? 1 : 0;
    const a = x + 1.8 * Math.cos((2 * Math.PI * 700) / 8000) * s1 - 0.9 * s2;
    s2 = s1;
    s1 = a;
    const b = a + 1.8 * Math.cos((2 * Math.PI * 1800) / 8000) * t1 - 0.9 * t2;
    t2 = t1;
    t1 = b;
    out[i] = Math.max(
      -32768,
      Math.min(32767, Math.round(b * 300 * (0.4 + 0.6 * Math.abs(Math.sin((Math.PI * i) / 2000))))),
    );
  }
  return out;
}

function correlation(a: Int16Array, b: Int16Array, maxLag: number): number {
  let best = -1;
  const n = Math.min(a.length, b.length) - maxLag;
  for (let lag = 0; lag <= maxLag; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      xy += a[i]! * b[i + lag]!;
      xx += a[i]! ** 2;
      yy += b[i + lag]! ** 2;
    }
    best = Math.max(best, xy / Math.sqrt(xx * yy || 1));
  }
  return best;
}

describe('G.729 Annex A/B (bcg729 in WebAssembly)', () => {
  it('registers itself as G729/8000, payload type 18, into a registry', async () => {
    const registry = new CodecRegistry();
    expect(registry.has({ name: 'G729', clockRate: 8000 })).toBe(false);
    registerG729(registry);
    const codec = await registry.create({ name: 'g729', clockRate: 8000, fmtp: 'annexb=no' });
    expect(codec).toMatchObject({
      name: 'G729',
      staticPayloadType: 18,
      frameSamples: 160,
      sampleRate: 8000,
    });
    codec.close();
    registerG729();
    expect(codecRegistry.has({ name: 'G729', clockRate: 8000 })).toBe(true);
  });

  it('round-trips speech: 20 bytes per 20 ms, waveform kept', () => {
    const codec = new G729Codec();
    const input = speechLike(2);
    const output = new Int16Array(input.length);
    for (let at = 0; at < input.length; at += 160) {
      const payload = codec.encode(input.subarray(at, at + 160));
      expect(payload.length).toBe(20);
      output.set(codec.decode(payload), at);
    }
    expect(correlation(input, output, 80)).toBeGreaterThan(0.7);
  });

  it('with Annex B sends SID frames or nothing in silence, and plays comfort noise', () => {
    const codec = new G729Codec({ vad: true });
    const input = speechLike(0.5);
    for (let at = 0; at < input.length; at += 160)
      codec.decode(codec.encode(input.subarray(at, at + 160)));
    const sizes: number[] = [];
    const noise = new Int16Array(160);
    let seed = 1;
    for (let f = 0; f < 100; f++) {
      for (let i = 0; i < 160; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        noise[i] = ((seed >>> 16) % 60) - 30;
      }
      const payload = codec.encode(noise);
      sizes.push(payload.length);
      const pcm = payload.length > 0 ? codec.decode(payload) : codec.conceal(160);
      expect(pcm.length).toBe(160);
    }
    expect(sizes.filter((n) => n === 0).length).toBeGreaterThan(50);
    expect(sizes.some((n) => n === 2 || n === 12)).toBe(true);
    expect(sizes.every((n) => n === 0 || n === 2 || n === 10 || n === 12 || n === 20)).toBe(true);
  });

  it('conceals a lost frame and rejects malformed payloads', () => {
    const codec = new G729Codec();
    const input = speechLike(0.4);
    for (let at = 0; at < input.length; at += 160)
      codec.decode(codec.encode(input.subarray(at, at + 160)));
    const concealed = codec.conceal(160);
    let energy = 0;
    for (const v of concealed) energy += v * v;
    expect(Math.sqrt(energy / 160)).toBeGreaterThan(10);
    expect(() => codec.decode(new Uint8Array(7))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_PAYLOAD' }),
    );
    expect(() => codec.encode(new Int16Array(100))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_INPUT' }),
    );
    codec.close();
    expect(() => codec.conceal(80)).toThrow(expect.objectContaining({ code: 'ERR_CODEC_CLOSED' }));
  });

  it('decodes or rejects random payloads and keeps working', () => {
    const codec = new G729Codec();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (payload) => {
        try {
          expect(codec.decode(payload).length % 80).toBe(0);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 300 },
    );
    expect(codec.decode(codec.encode(new Int16Array(160))).length).toBe(160);
  });
});
