// Architecture rules from docs/architecture.md, checked on every package's source.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Lower layers first; a package may import only packages before it in this list. */
const LAYERS = [
  'testkit',
  'sip',
  'sdp',
  'rtp',
  'srtp',
  'codecs',
  'codec-g729',
  'webrtc',
  'media',
  'client',
  'gateway',
  'phone',
] as const;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry) ? [path] : [];
  });
}

const packages = readdirSync('packages').filter((name) =>
  existsSync(join('packages', name, 'package.json')),
);
const importPattern = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

describe('workspace layering', () => {
  it('knows the layer of every package', () => {
    for (const name of packages) expect(LAYERS as readonly string[]).toContain(name);
  });

  for (const name of packages) {
    it(`${name} imports only lower layers, by package name, and declares them`, () => {
      const manifest = JSON.parse(readFileSync(join('packages', name, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const own = LAYERS.indexOf(name as (typeof LAYERS)[number]);
      for (const file of sourceFiles(join('packages', name, 'src'))) {
        for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
          const specifier = match[1]!;
          expect(specifier, `${file} reaches into another package`).not.toMatch(/^\.\.\/\.\.\//);
          const dep = /^@callbridge\/([a-z0-9-]+)/.exec(specifier)?.[1];
          if (!dep) continue;
          expect(
            LAYERS.indexOf(dep as (typeof LAYERS)[number]),
            `${file} imports ${specifier}`,
          ).toBeLessThan(own);
          expect(manifest.dependencies ?? {}, `${name} must declare ${specifier}`).toHaveProperty(
            `@callbridge/${dep}`,
          );
        }
      }
    });
  }

  it('keeps the wire protocol self-contained: it imports only its own modules', () => {
    const dir = join('packages', 'client', 'src', 'protocol');
    const files = sourceFiles(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
        expect(match[1]!, `${file} imports ${match[1]!}`).toMatch(/^\.\/[a-z-]+\.js$/);
      }
    }
  });
});
