import type { AesEcb } from './aes.js';

/**
 * Keystream for SRTP/SRTCP packets from one AES-ECB call, for one packet or for a run of
 * consecutive packet indices at once (the next packets of a stream are predictable: same SSRC,
 * index + 1), so the cost of the native call is shared by many packets.
 *
 * Counter layouts: `cm` is RFC 3711 §4.1.1, IV = (salt·2^16) XOR (SSRC·2^64) XOR (index·2^16)
 * with the block number in the low 16 bits; `gcm` is RFC 7714 §8.1/§9.1, IV = (00 00 || SSRC ||
 * index as 48 bits) XOR salt, followed by a 32-bit block counter starting at 1 (block 0 of each
 * packet is J0, whose encryption masks the tag). For SRTP the index is ROC·2^16 + SEQ; for
 * SRTCP it is the 31-bit SRTCP index, which gives the same octets as both RFCs lay out.
 */
export class PacketKeystream {
  readonly #ecb: AesEcb;
  readonly #salt: Uint8Array;
  readonly #gcm: boolean;
  #counter = new Uint8Array(0);
  #words = new Int32Array(0);
  /** Word 3 of block j within a packet (host byte order): the block counter part. Int32Array
   * throughout, so that words stay small integers in the JIT (no heap numbers). */
  #low = new Int32Array(0);
  readonly #iv = new Uint8Array(16);
  readonly #ivWords = new Int32Array(this.#iv.buffer);
  /** The last generated keystream (a fresh array per call, so callers may keep it). */
  data: Uint8Array = new Uint8Array(0);
  view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(ecb: AesEcb, salt: Uint8Array, mode: 'cm' | 'gcm') {
    this.#ecb = ecb;
    this.#salt = salt;
    this.#gcm = mode === 'gcm';
  }

  /**
   * Generates `blocksPerPacket` blocks for each of the `count` packets starting at `index`,
   * packet k's keystream at `data[k·blocksPerPacket·16 ..]`.
   */
  generate(ssrc: number, index: number, count: number, blocksPerPacket: number): void {
    this.#reserve(count * blocksPerPacket, blocksPerPacket);
    const words = this.#words;
    const low = this.#low;
    const iv = this.#iv;
    const ivWords = this.#ivWords;
    const salt = this.#salt;
    let k = 0;
    for (let p = 0; p < count; p++) {
      const i = index + p;
      const high = Math.floor(i / 0x10000) >>> 0; // ROC (or the SRTCP index's upper bits)
      iv.fill(0);
      iv.set(salt);
      if (this.#gcm) {
        iv[2]! ^= ssrc >>> 24;
        iv[3]! ^= ssrc >>> 16;
        iv[4]! ^= ssrc >>> 8;
        iv[5]! ^= ssrc;
        iv[6]! ^= high >>> 24;
        iv[7]! ^= high >>> 16;
        iv[8]! ^= high >>> 8;
        iv[9]! ^= high;
        iv[10]! ^= i >>> 8;
        iv[11]! ^= i;
        iv[12] = iv[13] = iv[14] = iv[15] = 0;
      } else {
        iv[14] = iv[15] = 0;
        iv[4]! ^= ssrc >>> 24;
        iv[5]! ^= ssrc >>> 16;
        iv[6]! ^= ssrc >>> 8;
        iv[7]! ^= ssrc;
        iv[8]! ^= high >>> 24;
        iv[9]! ^= high >>> 16;
        iv[10]! ^= high >>> 8;
        iv[11]! ^= high;
        iv[12]! ^= i >>> 8;
        iv[13]! ^= i;
      }
      const w0 = ivWords[0]!;
      const w1 = ivWords[1]!;
      const w2 = ivWords[2]!;
      const w3 = ivWords[3]!;
      for (let j = 0; j < blocksPerPacket; j++, k += 4) {
        words[k] = w0;
        words[k + 1] = w1;
        words[k + 2] = w2;
        words[k + 3] = w3 | low[j]!;
      }
    }
    const data = this.#ecb.encryptBlocks(this.#counter.subarray(0, k * 4));
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  #reserve(blocks: number, blocksPerPacket: number): void {
    if (this.#counter.length < blocks * 16) {
      this.#counter = new Uint8Array(Math.max(blocks, 256) * 16);
      this.#words = new Int32Array(this.#counter.buffer);
    }
    if (this.#low.length < blocksPerPacket) {
      const size = Math.max(blocksPerPacket, 128);
      this.#low = new Int32Array(size);
      const probe = new Uint8Array(4);
      const probeWord = new Int32Array(probe.buffer);
      for (let j = 0; j < size; j++) {
        // CM: octets 14..15 = j; GCM: octets 12..15 = j + 1 (big-endian)
        const counter = this.#gcm ? j + 1 : j;
        probe[0] = this.#gcm ? counter >>> 24 : 0;
        probe[1] = this.#gcm ? counter >>> 16 : 0;
        probe[2] = counter >>> 8;
        probe[3] = counter;
        this.#low[j] = probeWord[0]!;
      }
    }
  }
}

/** XORs `data[start..end)` with `keystream[offset..]`, four octets at a time where it can. */
export function xorKeystream(
  data: Uint8Array,
  dataView: DataView<ArrayBufferLike>,
  start: number,
  end: number,
  keystream: Uint8Array,
  keystreamView: DataView<ArrayBufferLike>,
  offset: number,
): void {
  const length = end - start;
  const base = data.byteOffset + start;
  const whole = length & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    dataView.setInt32(
      base + i,
      dataView.getInt32(base + i, true) ^ keystreamView.getInt32(offset + i, true),
      true,
    );
  }
  for (; i < length; i++) data[start + i]! ^= keystream[offset + i]!;
}
