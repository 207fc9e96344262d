// The WebAssembly and TypeScript codecs against Debian's native libraries: each side decodes
// what the other encodes. Needs cc, pkg-config, libopus-dev, libspeex-dev, libspeexdsp-dev and libspandsp2
// (pulled in by baresip-core), all in .ci/apt-packages.txt.
import { describe, expect, it } from 'vitest';
import { PEERS, needsPeers } from '@callbridge/testkit';
import {
  G722Codec,
  OpusCodec,
  SpeexCodec,
  createResampler,
  opusWasm,
  speexWasm,
} from '@callbridge/codecs';
import { buildHelper, bytesPcm, framePackets, pcmBytes, run, unframePackets } from './native.js';
import { bestCorrelation, segmentalSnr, speechLike } from './signals.js';

const peers = needsPeers(PEERS.cc, PEERS.pkgConfig);
await opusWasm.load();
await speexWasm.load();

function maxDifference(a: Int16Array, b: Int16Array): number {
  let max = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe.skipIf(peers.skip)('codec interop with native Debian libraries', () => {
  const interop = peers.skip ? undefined : buildHelper('interop.c', ['opus', 'speex', 'speexdsp']);

  it.skipIf(!interop)('libopus decodes the wasm encoder output like the wasm decoder does', () => {
    for (const [rate, channels] of [
      [48000, 1],
      [48000, 2],
      [8000, 1],
    ] as const) {
      const encoder = new OpusCodec({ sampleRate: rate, channels, bitrate: 32000, fec: true });
      const mono = speechLike(rate, 1.5, 11);
      const input =
        channels === 1
          ? mono
          : Int16Array.from({ length: mono.length * 2 }, (_, i) => mono[i >> 1]!);
      const frame = encoder.frameSamples * channels;
      const packets: Uint8Array[] = [];
      for (let at = 0; at + frame <= input.length; at += frame)
        packets.push(encoder.encode(input.subarray(at, at + frame)).slice());
      const native = bytesPcm(
        run(interop!, ['opus-decode', String(rate), String(channels)], framePackets(packets)),
      );
      const decoder = new OpusCodec({ sampleRate: rate, channels });
      const wasm = new Int16Array(native.length);
      packets.forEach((p, i) => wasm.set(decoder.decode(p), i * frame));
      expect(native.length).toBe(packets.length * frame);
      // Same float decoder, different compilers: equal up to rounding.
      expect(maxDifference(native, wasm)).toBeLessThanOrEqual(2);
      expect(bestCorrelation(input, native, rate / 50).r).toBeGreaterThan(0.8);
    }
  });

  it.skipIf(!interop)('the wasm decoder decodes libopus packets, with FEC and PLC', () => {
    const input = speechLike(48000, 1.5, 12);
    const packets = unframePackets(
      run(interop!, ['opus-encode', '48000', '1', '32000', '1'], pcmBytes(input)),
    );
    expect(packets.length).toBe(75);
    const decoder = new OpusCodec();
    const out = new Int16Array(packets.length * 960);
    packets.forEach((p, i) => {
      if (i === 30) out.set(decoder.recoverFec(packets[31]!, 960), i * 960);
      else out.set(decoder.decode(p), i * 960);
    });
    const native = bytesPcm(run(interop!, ['opus-decode', '48000', '1'], framePackets(packets)));
    expect(
      maxDifference(native.subarray(0, 30 * 960), out.subarray(0, 30 * 960)),
    ).toBeLessThanOrEqual(2);
    expect(bestCorrelation(input, out, 960).r).toBeGreaterThan(0.8);
  });

  it.skipIf(!interop)(
    'Speex narrowband and wideband interoperate both ways, multi-frame payloads included',
    () => {
      for (const wideband of [0, 1]) {
        const rate = wideband ? 16000 : 8000;
        const input = speechLike(rate, 1.2, 13);
        // Native encoder, three 20 ms frames per RTP payload (RFC 5574 §3).
        const packets = unframePackets(
          run(interop!, ['speex-encode', String(wideband), '3'], pcmBytes(input)),
        );
        const decoder = new SpeexCodec({ sampleRate: rate });
        const frame = rate / 50;
        const wasm = new Int16Array(packets.length * 3 * frame);
        packets.forEach((p, i) => {
          const pcm = decoder.decode(p);
          expect(pcm.length).toBe(3 * frame);
          wasm.set(pcm, i * 3 * frame);
        });
        const native = bytesPcm(
          run(interop!, ['speex-decode', String(wideband)], framePackets(packets)),
        );
        expect(native.length).toBe(wasm.length);
        expect(maxDifference(native, wasm)).toBeLessThanOrEqual(2);

        // wasm encoder, native decoder.
        const encoder = new SpeexCodec({ sampleRate: rate });
        const ours: Uint8Array[] = [];
        for (let at = 0; at + frame <= input.length; at += frame)
          ours.push(encoder.encode(input.subarray(at, at + frame)).slice());
        const decoded = bytesPcm(
          run(interop!, ['speex-decode', String(wideband)], framePackets(ours)),
        );
        expect(decoded.length).toBe(ours.length * frame);
        // Same sources, same SSE code paths (over WebAssembly SIMD): identical bitstreams.
        const nativeFrames = unframePackets(
          run(interop!, ['speex-encode', String(wideband), '1'], pcmBytes(input)),
        );
        expect(ours).toEqual(nativeFrames);
        expect(bestCorrelation(input, decoded, rate / 50).r).toBeGreaterThan(0.7);
      }
    },
  );

  it.skipIf(!interop)(
    'the resampler is bit-identical to Debian libspeexdsp (SSE build)',
    async () => {
      for (const [from, to] of [
        [48000, 8000],
        [8000, 48000],
        [16000, 8000],
        [8000, 16000],
      ] as const) {
        const input = speechLike(from, 1, 3);
        const frame = from / 50;
        const native = bytesPcm(
          run(
            interop!,
            ['resample', String(from), String(to), '3', String(frame)],
            pcmBytes(input),
          ),
        );
        const resampler = await createResampler({ inputRate: from, outputRate: to });
        const ours = new Int16Array(native.length + to);
        let written = 0;
        for (let at = 0; at + frame <= input.length; at += frame) {
          const out = resampler.process(input.subarray(at, at + frame));
          ours.set(out, written);
          written += out.length;
        }
        expect(written).toBe(native.length);
        expect(ours.subarray(0, written)).toEqual(native);
        resampler.close();
      }
    },
  );

  const g722 = peers.skip ? undefined : buildHelper('g722-interop.c', [], ['-l:libspandsp.so.2']);

  it.skipIf(!g722)('G.722 is bit-exact with spandsp in both directions', () => {
    const input = speechLike(16000, 2, 14);
    const codec = new G722Codec();
    const ours = new Uint8Array(input.length / 2);
    for (let at = 0; at < input.length; at += 320)
      ours.set(codec.encode(input.subarray(at, at + 320)), at / 2);
    const theirs = run(g722!, ['encode'], pcmBytes(input));
    expect(theirs.length).toBe(ours.length);
    let firstMismatch = -1;
    for (let i = 0; i < ours.length && firstMismatch < 0; i++)
      if (ours[i] !== theirs[i]) firstMismatch = i;
    expect(firstMismatch).toBe(-1);

    const decodedNative = bytesPcm(run(g722!, ['decode'], ours));
    const decoder = new G722Codec();
    const decoded = new Int16Array(input.length);
    for (let at = 0; at < ours.length; at += 160)
      decoded.set(decoder.decode(ours.subarray(at, at + 160)), at * 2);
    expect(decoded).toEqual(decodedNative);
    expect(segmentalSnr(input, decoded, 320, 22)).toBeGreaterThan(15);
  });
});
