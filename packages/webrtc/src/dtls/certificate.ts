// The local DTLS certificate: a self-signed X.509 certificate (RFC 5280) generated at start or
// loaded from PEM, and its fingerprint for the SDP a=fingerprint attribute (RFC 8122 §5).
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { WebRtcError } from '../errors.js';
import {
  derBitString,
  derExplicit,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  derUtf8String,
} from './der.js';

/** Hash function names of the RFC 8122 §5 registry that a=fingerprint uses. */
export type FingerprintAlgorithm = 'sha-1' | 'sha-224' | 'sha-256' | 'sha-384' | 'sha-512';

export interface CertificateFingerprint {
  readonly algorithm: FingerprintAlgorithm;
  /** Upper-case hex bytes separated by colons, as in SDP. */
  readonly value: string;
}

const FINGERPRINT_HASH: Record<FingerprintAlgorithm, string> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

/** The RFC 8122 fingerprint of a DER certificate. */
export function certificateFingerprint(
  der: Uint8Array,
  algorithm: FingerprintAlgorithm = 'sha-256',
): CertificateFingerprint {
  const hash = FINGERPRINT_HASH[algorithm];
  if (!hash)
    throw new WebRtcError('INVALID_ARGUMENT', `unknown fingerprint algorithm ${String(algorithm)}`);
  const digest = createHash(hash).update(der).digest();
  const value = Array.from(digest, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return { algorithm, value };
}

/** Whether `der` matches any of the expected fingerprints (case-insensitive, RFC 8122 §5). */
export function matchesFingerprint(
  der: Uint8Array,
  expected: readonly CertificateFingerprint[],
): boolean {
  return expected.some((fp) => {
    const algorithm = fp.algorithm.toLowerCase() as FingerprintAlgorithm;
    if (!(algorithm in FINGERPRINT_HASH)) return false;
    return certificateFingerprint(der, algorithm).value === fp.value.toUpperCase();
  });
}

export interface GenerateCertificateOptions {
  readonly commonName?: string;
  /** Validity period; default 30 days starting one day ago (clock skew). */
  readonly validityDays?: number;
}

const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';

export class DtlsCertificate {
  /** The certificate, DER-encoded. */
  readonly der: Uint8Array;
  readonly privateKey: KeyObject;
  /** Key type, which decides the cipher suites this certificate can serve. */
  readonly keyType: 'ec' | 'rsa';

  private constructor(der: Uint8Array, privateKey: KeyObject) {
    let parsed: X509Certificate;
    try {
      parsed = new X509Certificate(der);
    } catch (cause) {
      throw new WebRtcError('CERTIFICATE_INVALID', 'the certificate is not valid DER X.509', {
        cause,
      });
    }
    if (!parsed.checkPrivateKey(privateKey)) {
      throw new WebRtcError(
        'CERTIFICATE_INVALID',
        'the private key does not belong to the certificate',
      );
    }
    const type = privateKey.asymmetricKeyType;
    if (type === 'ec') {
      if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new WebRtcError('CERTIFICATE_INVALID', 'ECDSA certificates must use the P-256 curve');
      }
    } else if (type !== 'rsa') {
      throw new WebRtcError(
        'CERTIFICATE_INVALID',
        `unsupported certificate key type ${String(type)}`,
      );
    }
    this.der = der;
    this.privateKey = privateKey;
    this.keyType = type;
  }

  /** A fresh ECDSA P-256 key and a self-signed certificate over it (what browsers do). */
  static generate(options: GenerateCertificateOptions = {}): DtlsCertificate {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const now = Date.now();
    const notBefore = new Date(now - 86_400_000);
    const notAfter = new Date(now + (options.validityDays ?? 30) * 86_400_000);
    const name = derSequence(
      derSet(
        derSequence(derOid(OID_COMMON_NAME), derUtf8String(options.commonName ?? 'callbridge')),
      ),
    );
    const algorithm = derSequence(derOid(OID_ECDSA_WITH_SHA256));
    const serial = randomBytes(16);
    serial[0]! &= 0x7f;
    // RFC 5280 §4.1: TBSCertificate, version v3 without extensions.
    const tbs = derSequence(
      derExplicit(0, derSmallInteger(2)),
      derUnsignedInteger(serial),
      algorithm,
      name,
      derSequence(derTime(notBefore), derTime(notAfter)),
      name,
      spki,
    );
    const signature = sign('sha256', tbs, privateKey);
    return new DtlsCertificate(derSequence(tbs, algorithm, derBitString(signature)), privateKey);
  }

  /** Loads a certificate and its private key from PEM text. */
  static fromPem(certificatePem: string, privateKeyPem: string): DtlsCertificate {
    let der: Uint8Array;
    let key: KeyObject;
    try {
      der = new X509Certificate(certificatePem).raw;
      key = createPrivateKey(privateKeyPem);
    } catch (cause) {
      throw new WebRtcError('CERTIFICATE_INVALID', 'could not read the PEM certificate or key', {
        cause,
      });
    }
    return new DtlsCertificate(der, key);
  }

  fingerprint(algorithm: FingerprintAlgorithm = 'sha-256'): CertificateFingerprint {
    return certificateFingerprint(this.der, algorithm);
  }
}
