import { PortableAes } from './aes-portable.js';
import { SrtpError } from './errors.js';
import { nativeCrypto, type NativeCipher } from './node-crypto.js';

/** Where AES runs: Node's native cipher (AES-NI through OpenSSL) or plain TypeScript. */
export type AesImplementation = 'native' | 'typescript';

/**
 * AES in ECB mode, keyed once. SRTP's counter modes (AES-CM and GCM's CTR) need the encryption of
 * counter blocks only, so one ECB cipher per session key produces a whole packet's keystream (or
 * several packets' at once) in a single call: no cipher object is created per packet. Under Node
 * the cipher is native (`implementation: 'native'`), elsewhere plain TypeScript.
 */
export class AesEcb {
  readonly #native: NativeCipher | undefined;
  readonly #portable: PortableAes | undefined;

  constructor(key: Uint8Array, implementation?: AesImplementation) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new SrtpError('SRTP_BAD_KEY', `AES key of ${key.length} octets (need 16, 24 or 32)`);
    }
    const native = implementation === 'typescript' ? undefined : nativeCrypto();
    if (native) {
      this.#native = native.createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
      this.#native.setAutoPadding(false);
    } else {
      this.#portable = new PortableAes(key);
    }
  }

  /** Which implementation this cipher uses. */
  get implementation(): AesImplementation {
    return this.#native ? 'native' : 'typescript';
  }

  /** Encrypts whole 16-octet blocks; returns a new array of the same length. */
  encryptBlocks(blocks: Uint8Array): Uint8Array {
    if (this.#native) return this.#native.update(blocks);
    const out = new Uint8Array(blocks.length & ~15);
    this.#portable!.encryptBlocks(blocks, out);
    return out;
  }
}

/**
 * RFC 3711 §4.1.1 AES counter mode keystream from a 16-octet initial counter block whose low
 * 16 bits count the blocks. Used for key derivation and the test vectors; the packet path has its
 * own allocation-free version in the context.
 */
export function aesCmKeystream(ecb: AesEcb, iv: Uint8Array, length: number): Uint8Array {
  const blocks = Math.ceil(length / 16);
  const input = new Uint8Array(blocks * 16);
  for (let j = 0; j < blocks; j++) {
    input.set(iv, j * 16);
    // 128-bit big-endian addition of j to the IV.
    let carry = j;
    for (let k = 15; k >= 0 && carry > 0; k--) {
      const sum = input[j * 16 + k]! + (carry & 0xff);
      input[j * 16 + k] = sum;
      carry = (carry >>> 8) + (sum >>> 8);
    }
  }
  return ecb.encryptBlocks(input).subarray(0, length);
}

/** SRTP key derivation labels (RFC 3711 §4.3.2). */
export const KdfLabel = {
  RTP_ENCRYPTION: 0x00,
  RTP_AUTH: 0x01,
  RTP_SALT: 0x02,
  RTCP_ENCRYPTION: 0x03,
  RTCP_AUTH: 0x04,
  RTCP_SALT: 0x05,
} as const;

/**
 * RFC 3711 §4.3.1 key derivation with the AES-CM PRF (RFC 6188 §3 for 256-bit keys), key
 * derivation rate 0. A 12-octet AEAD master salt (RFC 7714 §11) is used as its first 12 octets
 * followed by two zero octets, as libsrtp does.
 */
export function deriveSessionKey(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  label: number,
  length: number,
): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(masterSalt.subarray(0, 14));
  // key_id = label || r, r = 0 (48 bits): label sits at octet 7 of the 14-octet x.
  iv[7]! ^= label;
  return aesCmKeystream(new AesEcb(masterKey), iv, length).slice();
}

/**
 * RFC 3711 §4.1.2 AES in f8 mode: keystream for `iv` (16 octets) with session key `key` and
 * session salt `salt`. No SRTP profile in use today negotiates f8; it is here for completeness
 * of the RFC 3711 transforms and is checked against Appendix B.1.
 */
export function aesF8Keystream(
  key: Uint8Array,
  salt: Uint8Array,
  iv: Uint8Array,
  length: number,
): Uint8Array {
  // m = k_s || 0x555..., IV' = E(k_e XOR m, IV)
  const mask = new Uint8Array(key.length).fill(0x55);
  mask.set(salt.subarray(0, Math.min(salt.length, key.length)));
  for (let i = 0; i < key.length; i++) mask[i]! ^= key[i]!;
  const ivPrime = new AesEcb(mask).encryptBlocks(iv.slice(0, 16));
  const ecb = new AesEcb(key);
  const out = new Uint8Array(Math.ceil(length / 16) * 16);
  const block = new Uint8Array(16);
  // S(j) = E(k_e, IV' XOR j XOR S(j-1)), S(-1) = 0
  for (let j = 0, at = 0; at < out.length; j++, at += 16) {
    for (let i = 0; i < 16; i++) block[i] = ivPrime[i]! ^ (at > 0 ? out[at - 16 + i]! : 0);
    block[12]! ^= j >>> 24;
    block[13]! ^= j >>> 16;
    block[14]! ^= j >>> 8;
    block[15]! ^= j;
    out.set(ecb.encryptBlocks(block), at);
  }
  return out.subarray(0, length);
}
