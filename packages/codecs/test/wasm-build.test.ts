// Rebuilds the committed .wasm files from the pinned Debian sources and compares them byte for
// byte. Needs Debian's clang + wasi-libc, which CI deliberately does not install (the committed
// modules are what `npm install` uses), so this test runs only where the toolchain is present.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// The committed bytes come from Debian bookworm's clang 14.0.6; another version compiles
// equally valid but different modules, so only that toolchain can check reproduction.
const hasToolchain =
  /Debian clang version 14\.0\.6/.test(
    spawnSync('clang', ['--version'], { encoding: 'utf8' }).stdout ?? '',
  ) &&
  existsSync('/usr/lib/wasm32-wasi/libc.a') &&
  existsSync('/usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a');

function checkSums(dir: string): void {
  for (const line of readFileSync(`${root}${dir}/SHA256SUMS`, 'utf8').trim().split('\n')) {
    const [hash, file] = line.split(/\s+/);
    const actual = createHash('sha256')
      .update(readFileSync(`${root}${dir}/${file}`))
      .digest('hex');
    expect(actual, `${dir}/${file}`).toBe(hash);
  }
}

describe('committed WebAssembly modules', () => {
  it('match their SHA256SUMS', () => {
    checkSums('packages/codecs/wasm');
    checkSums('packages/codec-g729/wasm');
  });

  it.skipIf(!hasToolchain)(
    'reproduce byte for byte from the pinned sources (runs only where Debian clang 14.0.6 + wasi-libc are installed; skipped otherwise, also in CI)',
    () => {
      const output = execFileSync('sh', [`${root}wasm/build.sh`, '--check'], { encoding: 'utf8' });
      expect(output).toMatch(/reproduced opus\.wasm/);
      expect(output).toMatch(/reproduced g729\.wasm/);
    },
    600_000,
  );
});
