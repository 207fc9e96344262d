// Primitives the handshake needs, on node:crypto: ephemeral ECDH (RFC 8422 §5.4 / RFC 7748),
// signatures (RFC 5246 §4.7 digitally-signed), and AES-GCM record protection (RFC 5288).
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  sign,
  verify,
  constants as cryptoConstants,
  type KeyObject,
} from 'node:crypto';
import { WebRtcError } from '../errors.js';
import { AlertDescription, SignatureScheme, type NamedCurve } from './constants.js';
import { DtlsProtocolError } from './protocol-error.js';

export interface EphemeralKey {
  readonly curve: NamedCurve;
  /** The public value as it goes on the wire (32 raw bytes, or an uncompressed point). */
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's public value; throws on an invalid point. */
  computeSecret(peerPublicKey: Uint8Array): Uint8Array;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64urlDecode(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const ch of text) {
    value = ((value << 6) | BASE64URL.indexOf(ch)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

/** RFC 4648 §5 without padding, as JWK (RFC 8037) carries raw X25519 keys. */
function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += BASE64URL[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

export function createEphemeralKey(curve: NamedCurve): EphemeralKey {
  if (curve === 'x25519') {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    // The JWK export is ~100× cheaper than a DER one, and carries the raw key (RFC 8037 §2).
    const raw = base64urlDecode(publicKey.export({ format: 'jwk' }).x ?? '');
    return {
      curve,
      publicKey: raw,
      computeSecret(peer) {
        if (peer.length !== 32) {
          throw new DtlsProtocolError(
            'DTLS_HANDSHAKE_FAILED',
            'X25519 public value must be 32 bytes',
            AlertDescription.IllegalParameter,
          );
        }
        try {
          const jwk = { kty: 'OKP', crv: 'X25519', x: base64url(peer) };
          const peerKey = createPublicKey({ key: jwk, format: 'jwk' });
          return new Uint8Array(diffieHellman({ privateKey, publicKey: peerKey }));
        } catch (cause) {
          throw new DtlsProtocolError(
            'DTLS_HANDSHAKE_FAILED',
            'invalid X25519 public value',
            AlertDescription.IllegalParameter,
            cause,
          );
        }
      },
    };
  }
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    curve,
    publicKey: new Uint8Array(ecdh.getPublicKey()),
    computeSecret(peer) {
      // RFC 8422 §5.4.1: only the uncompressed form (0x04 || X || Y) is allowed.
      if (peer.length !== 65 || peer[0] !== 0x04) {
        throw new DtlsProtocolError(
          'DTLS_HANDSHAKE_FAILED',
          'P-256 point must be uncompressed',
          AlertDescription.IllegalParameter,
        );
      }
      try {
        return new Uint8Array(ecdh.computeSecret(peer));
      } catch (cause) {
        throw new DtlsProtocolError(
          'DTLS_HANDSHAKE_FAILED',
          'invalid P-256 point',
          AlertDescription.IllegalParameter,
          cause,
        );
      }
    },
  };
}

/** The signature scheme this key signs with (ECDSA P-256 or RSA PKCS#1 v1.5, both SHA-256). */
export function signatureSchemeFor(key: KeyObject): number {
  return key.asymmetricKeyType === 'ec'
    ? SignatureScheme.EcdsaSecp256r1Sha256
    : SignatureScheme.RsaPkcs1Sha256;
}

export function signWith(key: KeyObject, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign('sha256', data, key));
}

/** Verifies a TLS 1.2 digitally-signed value; false on any mismatch. */
export function verifySignature(
  scheme: number,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    switch (scheme) {
      case SignatureScheme.EcdsaSecp256r1Sha256:
        return key.asymmetricKeyType === 'ec' && verify('sha256', data, key, signature);
      case SignatureScheme.EcdsaSecp384r1Sha384:
        return key.asymmetricKeyType === 'ec' && verify('sha384', data, key, signature);
      case SignatureScheme.RsaPkcs1Sha256:
        return key.asymmetricKeyType === 'rsa' && verify('sha256', data, key, signature);
      case SignatureScheme.RsaPssRsaeSha256:
        return (
          key.asymmetricKeyType === 'rsa' &&
          verify(
            'sha256',
            data,
            { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
            signature,
          )
        );
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** AES-GCM record protection for one direction (RFC 5288 §3, RFC 6347 §4.1.2.1). */
export class GcmRecordProtection {
  readonly #algorithm: 'aes-128-gcm' | 'aes-256-gcm';
  readonly #key: Uint8Array;
  readonly #salt: Uint8Array;
  readonly #nonce = new Uint8Array(12);
  readonly #aad = new Uint8Array(13);

  constructor(key: Uint8Array, salt: Uint8Array) {
    if (salt.length !== 4)
      throw new WebRtcError('INVALID_ARGUMENT', 'GCM implicit nonce is 4 bytes');
    this.#algorithm = key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
    this.#key = key;
    this.#salt = salt;
    this.#nonce.set(salt);
  }

  #prepare(type: number, version: number, epochAndSeq: Uint8Array, plaintextLength: number): void {
    // The explicit nonce is the record's epoch + sequence number, so it never repeats.
    this.#nonce.set(epochAndSeq, 4);
    this.#aad.set(epochAndSeq, 0);
    this.#aad[8] = type;
    this.#aad[9] = version >> 8;
    this.#aad[10] = version & 0xff;
    this.#aad[11] = plaintextLength >> 8;
    this.#aad[12] = plaintextLength & 0xff;
  }

  /** explicit_nonce(8) || ciphertext || tag(16). */
  seal(type: number, version: number, epochAndSeq: Uint8Array, plaintext: Uint8Array): Uint8Array {
    this.#prepare(type, version, epochAndSeq, plaintext.length);
    const cipher = createCipheriv(this.#algorithm, this.#key, this.#nonce, { authTagLength: 16 });
    cipher.setAAD(this.#aad);
    const out = new Uint8Array(8 + plaintext.length + 16);
    out.set(epochAndSeq, 0);
    out.set(cipher.update(plaintext), 8);
    cipher.final();
    out.set(cipher.getAuthTag(), 8 + plaintext.length);
    return out;
  }

  /** The plaintext, or undefined when the record does not authenticate. */
  open(
    type: number,
    version: number,
    epochAndSeq: Uint8Array,
    fragment: Uint8Array,
  ): Uint8Array | undefined {
    if (fragment.length < 24) return undefined;
    const plaintextLength = fragment.length - 24;
    this.#prepare(type, version, epochAndSeq, plaintextLength);
    this.#nonce.set(fragment.subarray(0, 8), 4);
    try {
      const decipher = createDecipheriv(this.#algorithm, this.#key, this.#nonce, {
        authTagLength: 16,
      });
      decipher.setAAD(this.#aad);
      decipher.setAuthTag(fragment.subarray(8 + plaintextLength));
      const out = new Uint8Array(plaintextLength);
      out.set(decipher.update(fragment.subarray(8, 8 + plaintextLength)));
      decipher.final();
      return out;
    } catch {
      return undefined;
    }
  }

  get salt(): Uint8Array {
    return this.#salt;
  }
}
