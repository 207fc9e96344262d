import { AesEcb, type AesImplementation } from './aes.js';
import { SrtpError } from './errors.js';
import { Ghash } from './ghash.js';
import { PacketKeystream, xorKeystream } from './keystream.js';
import { nativeCrypto, type NativeCrypto } from './node-crypto.js';

/**
 * Payloads up to this many octets use the AES-ECB keystream plus GHASH in TypeScript; longer
 * ones use a native GCM cipher object, whose fixed cost per packet (about 3 µs for the object and
 * its five native calls) is then smaller than the TypeScript GHASH (about 40 ns per 16-octet
 * block). The two break even near 1,400 octets on the bench machine (bench/srtp.mjs).
 */
export const NATIVE_GCM_THRESHOLD = 1280;

export interface AesGcmOptions {
  /**
   * Build the 64 KiB GHASH tables for the TypeScript path (default true). Without them every
   * packet takes the native path: right for rarely used keys such as SRTCP's. Where no native
   * GCM exists (browsers) the tables are built on first use regardless.
   */
  readonly ghashTables?: boolean;
  /** `typescript` to use no native cipher at all (default: native AES and GCM under Node). */
  readonly implementation?: AesImplementation;
}

/**
 * AES-GCM with a 16-octet tag and 12-octet IV as SRTP uses it (RFC 7714 §7, §8; NIST SP
 * 800-38D), keyed once per session. A packet up to NATIVE_GCM_THRESHOLD octets costs part of
 * one native AES-ECB call (the tag mask E(K, J0) and the CTR keystream, possibly generated for
 * several packets at once) plus GHASH in TypeScript, with no cipher object per packet. `open`
 * verifies before it writes anything.
 */
export class AesGcm {
  readonly #key: Uint8Array;
  readonly #algorithm: 'aes-128-gcm' | 'aes-256-gcm';
  readonly #ecb: AesEcb;
  readonly #native: NativeCrypto | undefined;
  readonly #ghash: Ghash | undefined;
  readonly #ivAsSalt = new Uint8Array(12);
  readonly #single: PacketKeystream;
  readonly #expectedTag = new Uint8Array(16);
  #outView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(key: Uint8Array, options: AesGcmOptions = {}) {
    if (key.length !== 16 && key.length !== 32) {
      throw new SrtpError('SRTP_BAD_KEY', `AES-GCM key of ${key.length} octets (need 16 or 32)`);
    }
    this.#key = key.slice();
    this.#algorithm = key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
    this.#ecb = new AesEcb(key, options.implementation);
    this.#native = options.implementation === 'typescript' ? undefined : nativeCrypto();
    this.#ghash =
      options.ghashTables === false && this.#native
        ? undefined
        : new Ghash(this.#ecb.encryptBlocks(new Uint8Array(16)));
    this.#single = new PacketKeystream(this.#ecb, this.#ivAsSalt, 'gcm');
  }

  /** Whether `length` octets of payload take the TypeScript path (`…WithKeystream`). */
  usesKeystream(length: number): boolean {
    return this.#ghash !== undefined && (length <= NATIVE_GCM_THRESHOLD || !this.#native);
  }

  /** The keyed ECB cipher, for generating packet keystreams (see `PacketKeystream`). */
  get ecb(): AesEcb {
    return this.#ecb;
  }

  /** Encrypts `plaintext` with `aad` authenticated; writes ciphertext + tag to `out[at..]`. */
  seal(iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, at: number): void {
    const length = plaintext.length;
    if (!this.usesKeystream(length)) {
      const cipher = this.#native!.createCipheriv(this.#algorithm, this.#key, iv, {
        authTagLength: 16,
      });
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      cipher.final();
      out.set(body, at);
      out.set(cipher.getAuthTag(), at + length);
      return;
    }
    const ks = this.#keystreamForIv(iv, length);
    this.sealWithKeystream(ks.data, ks.view, 0, aad, plaintext, out, at);
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
    if (!this.usesKeystream(length)) {
      const decipher = this.#native!.createDecipheriv(this.#algorithm, this.#key, iv, {
        authTagLength: 16,
      });
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
    const ks = this.#keystreamForIv(iv, length);
    this.openWithKeystream(ks.data, ks.view, 0, aad, ciphertext, tag, out, at);
  }

  /**
   * `seal` with a precomputed keystream: E(K, J0) at `ks[k..k+16)`, the CTR blocks after it.
   * `plaintext` may be the very octets of `out[at..]` (in place).
   */
  sealWithKeystream(
    ks: Uint8Array,
    ksView: DataView<ArrayBufferLike>,
    k: number,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    at: number,
  ): void {
    const length = plaintext.length;
    if (plaintext.buffer !== out.buffer || plaintext.byteOffset !== out.byteOffset + at) {
      out.set(plaintext, at);
    }
    xorKeystream(out, this.#viewOf(out), at, at + length, ks, ksView, k + 16);
    const ghash = this.#tables();
    ghash.reset();
    ghash.update(aad, 0, aad.length);
    ghash.update(out, at, at + length);
    ghash.updateLengths(aad.length, length);
    ghash.finish(ks, k, out, at + length);
  }

  /** `open` with a precomputed keystream, laid out as for `sealWithKeystream`. */
  openWithKeystream(
    ks: Uint8Array,
    ksView: DataView<ArrayBufferLike>,
    k: number,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
    out: Uint8Array,
    at: number,
  ): void {
    const length = ciphertext.length;
    const ghash = this.#tables();
    ghash.reset();
    ghash.update(aad, 0, aad.length);
    ghash.update(ciphertext, 0, length);
    ghash.updateLengths(aad.length, length);
    const expected = this.#expectedTag;
    ghash.finish(ks, k, expected, 0);
    let diff = tag.length ^ 16;
    for (let i = 0; i < 16; i++) diff |= expected[i]! ^ tag[i]!;
    if (diff !== 0) throw new SrtpError('SRTP_AUTH_FAILED', 'AEAD authentication failed');
    if (ciphertext.buffer !== out.buffer || ciphertext.byteOffset !== out.byteOffset + at) {
      out.set(ciphertext, at);
    }
    xorKeystream(out, this.#viewOf(out), at, at + length, ks, ksView, k + 16);
  }

  #keystreamForIv(iv: Uint8Array, length: number): PacketKeystream {
    if (iv.length !== 12) throw new SrtpError('SRTP_INVALID_ARGUMENT', 'GCM IV must be 12 octets');
    // As the "salt" of a packet keystream at SSRC 0, index 0, the IV is used unchanged.
    this.#ivAsSalt.set(iv);
    this.#single.generate(0, 0, 1, 1 + ((length + 15) >>> 4));
    return this.#single;
  }

  #tables(): Ghash {
    if (!this.#ghash) {
      throw new SrtpError('SRTP_INVALID_ARGUMENT', 'AesGcm built without GHASH tables');
    }
    return this.#ghash;
  }

  #viewOf(out: Uint8Array): DataView<ArrayBufferLike> {
    if (this.#outView.buffer !== out.buffer) this.#outView = new DataView(out.buffer);
    return this.#outView;
  }
}
