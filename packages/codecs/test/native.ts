// Builds and runs the native reference helpers (test/native/*.c) against Debian's libraries.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@callbridge/testkit';

const nativeDir = fileURLToPath(new URL('./native/', import.meta.url));
const built = new Map<string, string | undefined>();
const dir = tempDir('codecs-native');

/**
 * Compiles `source` (in test/native) with `cc` and the given pkg-config packages and extra
 * flags; returns the executable, or undefined when a library is missing (the reason is warned).
 */
export function buildHelper(
  source: string,
  pkgConfig: string[],
  extra: string[] = [],
): string | undefined {
  if (built.has(source)) return built.get(source);
  const output = dir.file(source.replace(/\.c$/, ''));
  let flags: string[] = [];
  if (pkgConfig.length > 0) {
    const query = spawnSync('pkg-config', ['--cflags', '--libs', ...pkgConfig], {
      encoding: 'utf8',
    });
    if (query.status !== 0) {
      warnOrFail(`pkg-config ${pkgConfig.join(' ')}: ${query.stderr.trim()}`);
      built.set(source, undefined);
      return undefined;
    }
    flags = query.stdout.trim().split(/\s+/);
  }
  const compile = spawnSync(
    'cc',
    ['-O2', '-o', output, `${nativeDir}${source}`, ...flags, ...extra],
    {
      encoding: 'utf8',
    },
  );
  if (compile.status !== 0 || !existsSync(output)) {
    warnOrFail(`cc ${source}: ${compile.stderr.trim()}`);
    built.set(source, undefined);
    return undefined;
  }
  built.set(source, output);
  return output;
}

function warnOrFail(reason: string): void {
  if (process.env['CI']) throw new Error(`native helper cannot be built in CI: ${reason}`);
  console.warn(`skipping native interop: ${reason}`);
}

/** Runs a helper with binary stdin and returns its stdout. */
export function run(helper: string, args: string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(helper, args, { input, maxBuffer: 64 << 20 }));
}

/** Frames packets as the helpers expect: 16-bit LE length, then the bytes. */
export function framePackets(packets: readonly Uint8Array[]): Uint8Array {
  const total = packets.reduce((n, p) => n + 2 + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of packets) {
    out[at] = p.length & 0xff;
    out[at + 1] = p.length >> 8;
    out.set(p, at + 2);
    at += 2 + p.length;
  }
  return out;
}

export function unframePackets(bytes: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let at = 0; at + 2 <= bytes.length;) {
    const length = bytes[at]! | (bytes[at + 1]! << 8);
    packets.push(bytes.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return packets;
}

export function pcmBytes(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length * 2);
  const view = new DataView(out.buffer);
  pcm.forEach((v, i) => view.setInt16(2 * i, v, true));
  return out;
}

export function bytesPcm(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int16Array.from({ length: bytes.length >> 1 }, (_, i) => view.getInt16(2 * i, true));
}
