// G.729 in WebAssembly against Debian's native libbcg729 (libbcg729-dev, in .ci/apt-packages.txt):
// the same fixed-point code must give the same bits and the same samples.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PEERS, needsPeers, tempDir } from '@callbridge/testkit';
import { G729Codec, g729Wasm } from '@callbridge/codec-g729';

const peers = needsPeers(PEERS.cc, PEERS.pkgConfig);
await g729Wasm.load();

function buildHelper(): string | undefined {
  const dir = tempDir('g729-native');
  afterAll(() => dir.remove());
  const output = dir.file('g729-interop');
  const source = fileURLToPath(new URL('./native/g729-interop.c', import.meta.url));
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libbcg729'], { encoding: 'utf8' });
  const libs = flags.status === 0 ? flags.stdout.trim().split(/\s+/) : ['-lbcg729'];
  const compile = spawnSync('cc', ['-O2', '-o', output, source, ...libs], { encoding: 'utf8' });
  if (compile.status === 0) return output;
  const reason = `cannot build the libbcg729 helper (apt-get install libbcg729-dev): ${compile.stderr.trim()}`;
  if (process.env['CI']) throw new Error(reason);
  console.warn(`skipping: ${reason}`);
  return undefined;
}

function pcmBytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
}

function speech(seconds: number): Int16Array {
  // A vowel-like pulse train through two resonances, with pauses so VAD has silence to find.
  const out = new Int16Array(Math.round(8000 * seconds));
  let s1 = 0;
  let s2 = 0;
  let seed = 7;
  for (let i = 0; i < out.length; i++) {
    const talking = Math.floor(i / 4000) % 2 === 0;
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const x = talking ? (i % 61 === 0 ? 2000 : 0) : ((seed >>> 16) % 16) - 8;
    const y = x + 1.6 * s1 - 0.85 * s2;
    s2 = s1;
    s1 = y;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(y)));
  }
  return out;
}

describe.skipIf(peers.skip)('G.729 interop with native libbcg729', () => {
  const helper = peers.skip ? undefined : buildHelper();

  for (const vad of [false, true]) {
    it.skipIf(!helper)(
      `wasm and native encoders give identical frames (VAD ${vad ? 'on' : 'off'})`,
      () => {
        const input = speech(2);
        const native = new Uint8Array(
          execFileSync(helper!, ['encode', vad ? '1' : '0'], { input: pcmBytes(input) }),
        );
        const codec = new G729Codec({ vad, frameDuration: 10 });
        const ours: number[] = [];
        const lengths: number[] = [];
        for (let at = 0; at < input.length; at += 80) {
          const frame = codec.encode(input.subarray(at, at + 80));
          ours.push(frame.length, 0, ...frame);
          lengths.push(frame.length);
        }
        expect(Array.from(native)).toEqual(ours);
        // With VAD the pauses produce SID frames and untransmitted frames.
        const silent = lengths.filter((n) => n !== 10).length;
        if (vad) expect(silent).toBeGreaterThan(lengths.length / 10);
        else expect(silent).toBe(0);
      },
    );
  }

  it.skipIf(!helper)(
    'wasm decoder reproduces the native decoder, with SID frames and erasures',
    () => {
      const input = speech(2);
      const frames = new Uint8Array(
        execFileSync(helper!, ['encode', '1'], { input: pcmBytes(input) }),
      );
      // Erase every 17th transmitted speech frame (length byte 0, no payload).
      const withLoss: number[] = [];
      const decoder = new G729Codec();
      const ours = new Int16Array(input.length);
      let frameIndex = 0;
      let sids = 0;
      for (let at = 0; at < frames.length; frameIndex++) {
        const length = frames[at]!;
        const payload = frames.subarray(at + 2, at + 2 + length);
        at += 2 + length;
        const lost = length === 10 && frameIndex % 17 === 0;
        if (length === 2) sids++;
        if (lost || length === 0) {
          withLoss.push(0, 0);
          ours.set(decoder.conceal(80), frameIndex * 80);
        } else {
          withLoss.push(length, 0, ...payload);
          ours.set(decoder.decode(payload), frameIndex * 80);
        }
      }
      expect(sids).toBeGreaterThan(0);
      const native = new Int16Array(
        new Uint8Array(execFileSync(helper!, ['decode'], { input: Uint8Array.from(withLoss) }))
          .buffer,
      );
      expect(Array.from(ours)).toEqual(Array.from(native));
    },
  );
});
