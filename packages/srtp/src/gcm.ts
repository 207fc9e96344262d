import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AesEcb } from './aes.js';
import { SrtpError } from './errors.js';
import { Ghash } from './ghash.js';

/**
 * Payloads up to this many octets use one native AES-ECB call plus GHASH in TypeScript; longer
 * ones use a native GCM cipher object, whose set-up cost (about 3 µs) is then smaller than the
 * TypeScript GHASH (about 0.13 µs per 16-octet block). Measured with bench/srtp.mjs.
 */
const NATIVE_GCM_THRESHOLD = 384;

/**
 * AES-GCM with a 16-octet tag and 12-octet IV as SRTP uses it (RFC 7714 §7, §8; NIST SP
 * 800-38D), keyed once per session. A short packet costs one native AES-ECB call (the tag mask
 * E(K, J0) and the CTR keystream together) plus GHASH in TypeScript, with no cipher object per
 * packet. `open` verifies before it writes anything.
 */
export class AesGcm {
  readonly #key: Uint8Array;
  readonly #algorithm: 'aes-128-gcm' | 'aes-256-gcm';
  readonly #ecb: AesEcb;
  readonly #ghash: Ghash;
  #counter = new Uint8Array(0);
  #counterWords = new Uint32Array(0);
  #counterLow = new Uint32Array(0);
  #keystream = new Uint8Array(0);
  readonly #ivBlock = new Uint8Array(16);
  readonly #ivWords = new Uint32Array(this.#ivBlock.buffer);
  readonly #expectedTag = new Uint8Array(16);

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 32) {
      throw new SrtpError('SRTP_BAD_KEY', `AES-GCM key of ${key.length} octets (need 16 or 32)`);
    }
    this.#key = key.slice();
    this.#algorithm = key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
    this.#ecb = new AesEcb(key);
    this.#ghash = new Ghash(this.#ecb.encryptBlocks(new Uint8Array(16)));
    this.#ensureBlocks(128);
  }

  /** Encrypts `plaintext` with `aad` authenticated; writes ciphertext + tag to `out[at..]`. */
  seal(iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, at: number): void {
    const length = plaintext.length;
    if (length > NATIVE_GCM_THRESHOLD) {
      const cipher = createCipheriv(this.#algorithm, this.#key, iv, { authTagLength: 16 });
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      cipher.final();
      out.set(body, at);
      out.set(cipher.getAuthTag(), at + length);
      return;
    }
    const keystream = this.#keystreamFor(iv, length);
    for (let i = 0; i < length; i++) out[at + i] = plaintext[i]! ^ keystream[16 + i]!;
    const ghash = this.#ghash;
    ghash.reset();
    ghash.update(aad, 0, aad.length);
    ghash.update(out, at, at + length);
    ghash.updateLengths(aad.length, length);
    ghash.finish(keystream, out, at + length);
  }

  /**
   * Verifies `tag` over `aad` and `ciphertext`, then writes the plaintext to `out[at..]`.
   * Throws SRTP_AUTH_FAILED (and writes nothing) when the tag does not verify.
   */
  open(
    iv: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
    out: Uint8Array,
    at: number,
  ): void {
    const length = ciphertext.length;
    if (length > NATIVE_GCM_THRESHOLD) {
      const decipher = createDecipheriv(this.#algorithm, this.#key, iv, { authTagLength: 16 });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const body = decipher.update(ciphertext);
      try {
        decipher.final();
      } catch (error) {
        throw new SrtpError('SRTP_AUTH_FAILED', 'AEAD authentication failed', { cause: error });
      }
      out.set(body, at);
      return;
    }
    const keystream = this.#keystreamFor(iv, length);
    const ghash = this.#ghash;
    ghash.reset();
    ghash.update(aad, 0, aad.length);
    ghash.update(ciphertext, 0, length);
    ghash.updateLengths(aad.length, length);
    const expected = this.#expectedTag;
    ghash.finish(keystream, expected, 0);
    let diff = tag.length ^ 16;
    for (let i = 0; i < 16; i++) diff |= expected[i]! ^ tag[i]!;
    if (diff !== 0) throw new SrtpError('SRTP_AUTH_FAILED', 'AEAD authentication failed');
    for (let i = 0; i < length; i++) out[at + i] = ciphertext[i]! ^ keystream[16 + i]!;
  }

  /** E(K, J0) followed by the CTR keystream for `length` octets, J0 = IV || 0^31 || 1. */
  #keystreamFor(iv: Uint8Array, length: number): Uint8Array {
    if (iv.length !== 12) throw new SrtpError('SRTP_INVALID_ARGUMENT', 'GCM IV must be 12 octets');
    const blocks = 1 + ((length + 15) >>> 4);
    this.#ensureBlocks(blocks);
    this.#ivBlock.set(iv);
    const v = this.#ivWords;
    const v0 = v[0]!;
    const v1 = v[1]!;
    const v2 = v[2]!;
    const words = this.#counterWords;
    const low = this.#counterLow;
    for (let j = 0, k = 0; j < blocks; j++, k += 4) {
      words[k] = v0;
      words[k + 1] = v1;
      words[k + 2] = v2;
      words[k + 3] = low[j]!;
    }
    const keystream = this.#keystream;
    keystream.set(this.#ecb.encryptBlocks(this.#counter.subarray(0, blocks * 16)));
    return keystream;
  }

  #ensureBlocks(blocks: number): void {
    if (this.#counterLow.length >= blocks) return;
    const count = Math.max(blocks, this.#counterLow.length * 2);
    this.#counter = new Uint8Array(count * 16);
    this.#counterWords = new Uint32Array(this.#counter.buffer);
    this.#keystream = new Uint8Array(count * 16);
    this.#counterLow = new Uint32Array(count);
    // Word 3 of block j holds the 32-bit big-endian counter j + 1, in the host's byte order.
    const probe = new Uint8Array(4);
    const probeWord = new Uint32Array(probe.buffer);
    for (let j = 0; j < count; j++) {
      const counter = j + 1;
      probe[0] = counter >>> 24;
      probe[1] = counter >>> 16;
      probe[2] = counter >>> 8;
      probe[3] = counter;
      this.#counterLow[j] = probeWord[0]!;
    }
  }
}
