// Hostile payloads: every decoder answers with PCM or a CodecError, never a trap or a hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  G711Codec,
  G722Codec,
  OpusCodec,
  SpeexCodec,
  opusWasm,
  speexWasm,
  type AudioCodec,
} from '@callbridge/codecs';

await opusWasm.load();
await speexWasm.load();

function decodesOrRejects(codec: AudioCodec, payload: Uint8Array): void {
  try {
    const pcm = codec.decode(payload);
    expect(pcm.length % codec.channels).toBe(0);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
  }
}

describe('decoders on random payloads', () => {
  const codecs: [string, () => AudioCodec][] = [
    ['PCMU', () => new G711Codec('mu')],
    ['G722', () => new G722Codec()],
    ['opus mono', () => new OpusCodec()],
    ['opus stereo 16 kHz', () => new OpusCodec({ channels: 2, sampleRate: 16000 })],
    ['speex nb', () => new SpeexCodec()],
    ['speex wb', () => new SpeexCodec({ sampleRate: 16000 })],
  ];
  for (const [name, make] of codecs) {
    it(`${name} decodes or rejects, and keeps working`, () => {
      const codec = make();
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), (payload) => {
          decodesOrRejects(codec, payload);
        }),
        { numRuns: 300 },
      );
      // Still usable afterwards: a valid frame round-trips.
      const frame = new Int16Array(codec.frameSamples * codec.channels);
      expect(codec.decode(codec.encode(frame)).length).toBeGreaterThan(0);
      codec.close();
    });
  }
});
