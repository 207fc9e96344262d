import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LazyWasm, setWasmLoader } from '@callbridge/codecs';

const opusBytes = readFileSync(new URL('../wasm/opus.wasm', import.meta.url));

interface Probe {
  opus_glue_create(rate: number, channels: number, application: number): number;
  opus_glue_destroy(glue: number): void;
}

describe('WebAssembly loading', () => {
  afterEach(() => setWasmLoader());

  it('compiles from a fetch Response as browsers get it, once per name', async () => {
    const requested: string[] = [];
    setWasmLoader((name, url) => {
      requested.push(`${name} ${url.href}`);
      return Promise.resolve(
        new Response(opusBytes, { headers: { 'content-type': 'application/wasm' } }),
      );
    });
    const url = new URL('https://cdn.example/codecs/opus.wasm');
    const first = new LazyWasm<Probe>('opus-from-response', url);
    const second = new LazyWasm<Probe>('opus-from-response', url);
    expect(() => first.get()).toThrow(expect.objectContaining({ code: 'ERR_CODEC_WASM_LOAD' }));
    await Promise.all([first.load(), second.load()]);
    expect(requested).toEqual(['opus-from-response https://cdn.example/codecs/opus.wasm']);
    const lib = first.get();
    expect(second.get()).toBe(lib);
    const glue = lib.exports.opus_glue_create(48000, 1, 2048);
    expect(glue).toBeGreaterThan(0);
    lib.exports.opus_glue_destroy(glue);
  });

  it('reports unreachable or invalid modules with ERR_CODEC_WASM_LOAD and retries later', async () => {
    setWasmLoader(() => Promise.resolve(new Response('not found', { status: 404 })));
    const lazy = new LazyWasm<Probe>('opus-missing', new URL('https://cdn.example/missing.wasm'));
    await expect(lazy.load()).rejects.toMatchObject({ code: 'ERR_CODEC_WASM_LOAD' });
    setWasmLoader(() => Promise.resolve(Uint8Array.of(0, 1, 2, 3)));
    await expect(lazy.load()).rejects.toMatchObject({ code: 'ERR_CODEC_WASM_LOAD' });
    setWasmLoader(() => Promise.resolve(opusBytes));
    await lazy.load();
    expect(lazy.loaded).toBe(true);
  });
});
