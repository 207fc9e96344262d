/**
 * Loading of the codec WebAssembly modules, for Node and browsers alike.
 *
 * Each module is compiled once per process and instantiated once; codec instances keep their
 * own state inside it (one `malloc` per instance in the C glue), so a thousand calls share one
 * module instance. The modules import nothing (built with `-mexec-model=reactor`, no WASI calls).
 *
 * Bytes are fetched by a `WasmLoader`: by default `fs` for `file:` URLs (Node) and `fetch`
 * otherwise (browsers, where `import.meta.url` is an http URL). Bundlers that relocate assets
 * install their own with `setWasmLoader`.
 */
import { CodecError } from './errors.js';

/** Returns the bytes (or a fetch `Response`) of the module `name` found at `url`. */
export type WasmLoader = (name: string, url: URL) => Promise<ArrayBuffer | Uint8Array | Response>;

let loader: WasmLoader = defaultLoader;
const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Replaces how module bytes are fetched (no argument: the default); affects modules not yet compiled. */
export function setWasmLoader(custom?: WasmLoader): void {
  loader = custom ?? defaultLoader;
}

async function defaultLoader(
  _name: string,
  url: URL,
): Promise<ArrayBuffer | Uint8Array | Response> {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  return fetch(url);
}

/** Compiles a module once per process; concurrent callers share the same compilation. */
export function compileWasm(name: string, url: URL): Promise<WebAssembly.Module> {
  let pending = modules.get(name);
  if (!pending) {
    pending = (async () => {
      try {
        const source = await loader(name, url);
        if (typeof Response !== 'undefined' && source instanceof Response) {
          if (!source.ok) throw new Error(`HTTP ${source.status} for ${url.href}`);
          return await WebAssembly.compile(await source.arrayBuffer());
        }
        return await WebAssembly.compile(source as Uint8Array<ArrayBuffer>);
      } catch (error) {
        modules.delete(name);
        throw new CodecError(
          'ERR_CODEC_WASM_LOAD',
          `cannot load ${name} WebAssembly module from ${url.href}`,
          {
            cause: error,
          },
        );
      }
    })();
    modules.set(name, pending);
  }
  return pending;
}

/** One instantiated module with typed views over its memory, refreshed after it grows. */
export class WasmLibrary<Exports> {
  readonly exports: Exports;
  readonly #memory: WebAssembly.Memory;
  #buffer: ArrayBuffer;
  #u8: Uint8Array;
  #i16: Int16Array;

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, {});
    const exports = instance.exports as Record<string, unknown>;
    const memory = exports['memory'];
    const initialize = exports['_initialize'];
    if (!(memory instanceof WebAssembly.Memory) || typeof initialize !== 'function') {
      throw new CodecError(
        'ERR_CODEC_WASM_LOAD',
        'WebAssembly module lacks memory or _initialize export',
      );
    }
    (initialize as () => void)();
    this.exports = exports as Exports;
    this.#memory = memory;
    this.#buffer = memory.buffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#i16 = new Int16Array(this.#buffer);
  }

  /** Bytes of memory; a new view when memory has grown since the last call. */
  get u8(): Uint8Array {
    if (this.#memory.buffer !== this.#buffer) this.#refresh();
    return this.#u8;
  }

  /** 16-bit samples of memory (index = byte address / 2). */
  get i16(): Int16Array {
    if (this.#memory.buffer !== this.#buffer) this.#refresh();
    return this.#i16;
  }

  #refresh(): void {
    this.#buffer = this.#memory.buffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#i16 = new Int16Array(this.#buffer);
  }
}

const libraries = new Map<string, WasmLibrary<unknown>>();

/** The shared instance of a compiled module (instantiated on first use). */
export function library<Exports>(name: string, module: WebAssembly.Module): WasmLibrary<Exports> {
  let lib = libraries.get(name);
  if (!lib) {
    lib = new WasmLibrary<unknown>(module);
    libraries.set(name, lib);
  }
  return lib as WasmLibrary<Exports>;
}

/**
 * A lazily compiled module: `load()` compiles it, `get()` returns the shared instance and
 * throws `ERR_CODEC_WASM_LOAD` when `load()` has not completed.
 */
export class LazyWasm<Exports> {
  readonly #name: string;
  readonly #url: URL;
  #module: WebAssembly.Module | undefined;

  constructor(name: string, url: URL) {
    this.#name = name;
    this.#url = url;
  }

  get loaded(): boolean {
    return this.#module !== undefined;
  }

  async load(): Promise<void> {
    this.#module ??= await compileWasm(this.#name, this.#url);
  }

  get(): WasmLibrary<Exports> {
    if (!this.#module) {
      throw new CodecError(
        'ERR_CODEC_WASM_LOAD',
        `${this.#name} WebAssembly module is not loaded yet: await createCodec() or registry.preload() first`,
      );
    }
    return library<Exports>(this.#name, this.#module);
  }
}
