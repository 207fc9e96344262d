import type { AesEcb } from './aes.js';
import { SRTP_CORE_WASM_BASE64 } from './wasm-binary.js';

/** The exports of wasm/srtp/srtp_core.c (pointers are offsets into `memory`). */
interface CoreExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  hmac_sha1_init(state: number, key: number, keyLength: number): void;
  xor_keystream(data: number, keystream: number, length: number): void;
  counter_blocks(
    out: number,
    salt: number,
    cm: number,
    ssrc: number,
    indexHigh: number,
    indexLow: number,
    count: number,
    blocks: number,
  ): void;
  cm_protect(
    state: number,
    packet: number,
    start: number,
    length: number,
    keystream: number,
    roc: number,
    withRoc: number,
    tagLength: number,
  ): void;
  cm_verify(
    state: number,
    packet: number,
    length: number,
    roc: number,
    withRoc: number,
    tagLength: number,
  ): number;
  hmac_sha1_finish(
    state: number,
    innerDigest: number,
    tag: number,
    tagLength: number,
    verify: number,
  ): number;
  ghash_init(table: number, h: number): void;
  gcm_seal(
    table: number,
    packet: number,
    aadLength: number,
    length: number,
    keystream: number,
  ): void;
  gcm_open(
    table: number,
    packet: number,
    aadLength: number,
    length: number,
    keystream: number,
  ): number;
}

/** A block of linear memory; `ptr` may move when the owner resizes it. */
export interface WasmBlock {
  ptr: number;
  size: number;
}

const PAGE = 65536;
/** HMAC key state: inner and outer SHA-1 states (10 words), then the key XOR ipad block. */
const HMAC_STATE_SIZE = 128;
const HMAC_IPAD = 64;
/** Room before a packet for the ipad block (see `nativeInnerHash`). */
const PACKET_PREFIX = 64;
/** GHASH tables for H and H^2: 2 × 16 positions × 256 entries × 16 octets. */
const GHASH_TABLE_SIZE = 2 * 16 * 256 * 16;

/**
 * The SRTP packet core in WebAssembly (HMAC-SHA1, GHASH, keystream XOR; see
 * wasm/srtp/srtp_core.c), one instance shared by every context. Keys, tables and per-stream
 * keystreams live in its linear memory, in blocks from a small size-class allocator, and are
 * freed when their JavaScript owner is garbage-collected. A packet is copied into one scratch
 * area, transformed there by a single call, and copied out through a cached view (no allocation
 * per packet).
 */
export class WasmCore {
  readonly fn: CoreExports;
  /** All of linear memory; replaced when memory grows. */
  bytes: Uint8Array;
  #top: number;
  readonly #freeBlocks = new Map<number, number[]>();
  readonly #packet: WasmBlock = { ptr: 0, size: 0 };
  readonly #keystream: WasmBlock = { ptr: 0, size: 0 };
  readonly #counters: WasmBlock = { ptr: 0, size: 0 };
  /** Views of the packet area by length, so that copying out allocates nothing. */
  #packetViews: Uint8Array[] = [];
  /** Views of the ipad block + packet by length, the input of a native inner hash. */
  #hashViews: Uint8Array[] = [];
  /** 20 octets of inner digest, then a saved tag. */
  #scratch = 0;
  readonly #registry = new FinalizationRegistry<WasmBlock>((block) => this.free(block));

  private constructor(exports: CoreExports) {
    this.fn = exports;
    this.bytes = new Uint8Array(exports.memory.buffer);
    this.#top = align(Number(exports.__heap_base.value));
    this.#scratch = this.alloc(64).ptr;
  }

  /** A new block of at least `size` octets, 16-aligned. */
  alloc(size: number): WasmBlock {
    const blockSize = sizeClass(size);
    const reused = this.#freeBlocks.get(blockSize)?.pop();
    if (reused !== undefined) return { ptr: reused, size: blockSize };
    const ptr = this.#top;
    const end = ptr + blockSize;
    const memory = this.fn.memory;
    if (end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
      this.bytes = new Uint8Array(memory.buffer);
      this.#packetViews = [];
      this.#hashViews = [];
    }
    this.#top = end;
    return { ptr, size: blockSize };
  }

  free(block: WasmBlock): void {
    if (block.size === 0) return;
    let list = this.#freeBlocks.get(block.size);
    if (!list) this.#freeBlocks.set(block.size, (list = []));
    list.push(block.ptr);
    block.ptr = 0;
    block.size = 0;
  }

  /** Makes `block` at least `size` octets (its old content is dropped). */
  resize(block: WasmBlock, size: number): void {
    if (block.size >= size) return;
    this.free(block);
    const fresh = this.alloc(size);
    block.ptr = fresh.ptr;
    block.size = fresh.size;
  }

  /** A block freed when `owner` is garbage-collected (or earlier by `free`). */
  allocOwned(owner: object, size: number): WasmBlock {
    const block = this.alloc(size);
    this.#registry.register(owner, block);
    return block;
  }

  /** Registers a (possibly still empty) block to be freed with `owner`. */
  own(owner: object, block: WasmBlock): void {
    this.#registry.register(owner, block);
  }

  /** HMAC-SHA1 key state for `key` (at most 64 octets), owned by `owner`. */
  hmacKey(owner: object, key: Uint8Array): number {
    const state = this.allocOwned(owner, HMAC_STATE_SIZE);
    this.bytes.set(key, this.#scratch);
    this.fn.hmac_sha1_init(state.ptr, this.#scratch, key.length);
    this.bytes.fill(0, this.#scratch, this.#scratch + 64);
    return state.ptr;
  }

  /** GHASH tables for the hash key `h` (16 octets), owned by `owner`. */
  ghashKey(owner: object, h: Uint8Array): number {
    const table = this.allocOwned(owner, GHASH_TABLE_SIZE);
    this.bytes.set(h, this.#scratch);
    this.fn.ghash_init(table.ptr, this.#scratch);
    this.bytes.fill(0, this.#scratch, this.#scratch + 16);
    return table.ptr;
  }

  /** Copies `data` into the packet area (with `room` octets to spare); returns its address. */
  loadPacket(data: Uint8Array, room: number): number {
    const need = PACKET_PREFIX + data.length + room;
    if (this.#packet.size < need) {
      this.resize(this.#packet, Math.max(need, 2048));
      this.#packetViews = [];
      this.#hashViews = [];
    }
    const at = this.#packet.ptr + PACKET_PREFIX;
    this.bytes.set(data, at);
    return at;
  }

  /** The first `length` octets of the packet area. */
  packetView(length: number): Uint8Array {
    let view = this.#packetViews[length];
    if (!view) {
      const at = this.#packet.ptr + PACKET_PREFIX;
      view = this.bytes.subarray(at, at + length);
      this.#packetViews[length] = view;
    }
    return view;
  }

  /**
   * HMAC-SHA1 of the packet area's first `length` octets followed by `roc` (when ≥ 0), with the
   * inner hash computed by `sha1` (a native one-shot SHA-1): writes `tagLength` octets of the MAC
   * after the packet, or, when `verify`, checks the tag found there. Overwrites the 4 octets
   * after the packet (the ROC goes there) and the 64 before it (the key's ipad block).
   */
  nativeHmac(
    sha1: (data: Uint8Array) => Uint8Array,
    key: number,
    length: number,
    roc: number,
    tagLength: number,
    verify: boolean,
  ): boolean {
    const at = this.#packet.ptr + PACKET_PREFIX;
    const bytes = this.bytes;
    const tag = this.#scratch + 32;
    if (verify) bytes.copyWithin(tag, at + length, at + length + tagLength);
    bytes.copyWithin(at - 64, key + HMAC_IPAD, key + HMAC_IPAD + 64);
    let end = length;
    if (roc >= 0) {
      bytes[at + end] = roc >>> 24;
      bytes[at + end + 1] = roc >>> 16;
      bytes[at + end + 2] = roc >>> 8;
      bytes[at + end + 3] = roc;
      end += 4;
    }
    let view = this.#hashViews[end];
    if (!view) {
      view = bytes.subarray(at - 64, at + end);
      this.#hashViews[end] = view;
    }
    bytes.set(sha1(view), this.#scratch);
    if (verify) return this.fn.hmac_sha1_finish(key, this.#scratch, tag, tagLength, 1) === 1;
    this.fn.hmac_sha1_finish(key, this.#scratch, at + length, tagLength, 0);
    return true;
  }

  /** Copies `data` into a block owned by `owner`; returns its address. */
  store(owner: object, data: Uint8Array): number {
    const block = this.allocOwned(owner, data.length);
    this.bytes.set(data, block.ptr);
    return block.ptr;
  }

  /**
   * Keystream for `count` packets from `index`, `blocks` blocks each (see `counter_blocks` for
   * the layouts; `salt` is an address), written to `target` (resized as needed) or, without one,
   * to a scratch area for immediate use. Returns its address. One AES call for the whole run.
   */
  keystream(
    aes: AesEcb,
    salt: number,
    cm: boolean,
    ssrc: number,
    index: number,
    count: number,
    blocks: number,
    target: WasmBlock = this.#keystream,
  ): number {
    const size = count * blocks * 16;
    const counters = this.#counters;
    this.resize(counters, size);
    const high = Math.floor(index / 0x100000000);
    this.fn.counter_blocks(counters.ptr, salt, cm ? 1 : 0, ssrc, high, index >>> 0, count, blocks);
    const keystream = aes.encryptBlocks(this.bytes.subarray(counters.ptr, counters.ptr + size));
    this.resize(target, size);
    this.bytes.set(keystream, target.ptr);
    return target.ptr;
  }

  static #instance: WasmCore | null | undefined;

  /** The shared instance, or undefined where WebAssembly (with SIMD) is unavailable or blocked. */
  static get(): WasmCore | undefined {
    if (WasmCore.#instance === undefined) {
      WasmCore.#instance = null;
      try {
        const binary = Uint8Array.from(atob(SRTP_CORE_WASM_BASE64), (c) => c.charCodeAt(0));
        const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), {});
        WasmCore.#instance = new WasmCore(instance.exports as unknown as CoreExports);
      } catch {
        // No WebAssembly, no SIMD, a CSP without 'wasm-unsafe-eval', or a browser that refuses
        // synchronous compilation: the TypeScript path serves.
      }
    }
    return WasmCore.#instance ?? undefined;
  }
}

function align(n: number): number {
  return (n + 15) & ~15;
}

/** Power of two from 64 up to 4 KiB, then whole 4 KiB (GHASH tables take exactly 128 KiB). */
function sizeClass(size: number): number {
  if (size > 4096) return Math.ceil(size / 4096) * 4096;
  let s = 64;
  while (s < size) s *= 2;
  return s;
}
