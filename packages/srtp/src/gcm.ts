import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SrtpError } from './errors.js';

/**
 * AES-GCM with a 16-octet tag and 12-octet IV as SRTP uses it (RFC 7714 §7, §8), keyed once.
 * `seal` writes ciphertext then tag; `open` verifies before it writes anything.
 */
export class AesGcm {
  readonly #key: Uint8Array;
  readonly #algorithm: 'aes-128-gcm' | 'aes-256-gcm';

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 32) {
      throw new SrtpError('SRTP_BAD_KEY', `AES-GCM key of ${key.length} octets (need 16 or 32)`);
    }
    this.#key = key.slice();
    this.#algorithm = key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  }

  /** Encrypts `plaintext` with `aad` authenticated; writes ciphertext + tag to `out[at..]`. */
  seal(iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, at: number): void {
    const cipher = createCipheriv(this.#algorithm, this.#key, iv, { authTagLength: 16 });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    cipher.final();
    out.set(body, at);
    out.set(cipher.getAuthTag(), at + body.length);
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
  }
}
