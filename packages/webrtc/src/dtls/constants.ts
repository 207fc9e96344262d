// DTLS 1.2 code points (RFC 6347, RFC 5246, RFC 8422, RFC 5764, RFC 7627, RFC 8446 §4.2.3 names).

export const DTLS_1_2 = 0xfefd;
/** RFC 6347 §4.1: a ClientHello may carry the DTLS 1.0 record version for compatibility. */
export const DTLS_1_0 = 0xfeff;

export const ContentType = {
  ChangeCipherSpec: 20,
  Alert: 21,
  Handshake: 22,
  ApplicationData: 23,
} as const;

export const HandshakeType = {
  ClientHello: 1,
  ServerHello: 2,
  HelloVerifyRequest: 3,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateVerify: 15,
  ClientKeyExchange: 16,
  Finished: 20,
} as const;

export const ExtensionType = {
  SupportedGroups: 10,
  EcPointFormats: 11,
  SignatureAlgorithms: 13,
  UseSrtp: 14,
  ExtendedMasterSecret: 23,
  RenegotiationInfo: 0xff01,
} as const;

/** RFC 5246 §7.2 alert descriptions used here. */
export const AlertDescription = {
  CloseNotify: 0,
  UnexpectedMessage: 10,
  BadRecordMac: 20,
  HandshakeFailure: 40,
  BadCertificate: 42,
  UnsupportedCertificate: 43,
  IllegalParameter: 47,
  DecodeError: 50,
  DecryptError: 51,
  ProtocolVersion: 70,
  InternalError: 80,
} as const;

export type NamedCurve = 'x25519' | 'P-256';
/** RFC 8422 §5.1.1 NamedCurve values. */
export const NamedCurveId: Record<NamedCurve, number> = { x25519: 29, 'P-256': 23 };

/** RFC 8446 §4.2.3 SignatureScheme values that TLS 1.2 also uses. */
export const SignatureScheme = {
  EcdsaSecp256r1Sha256: 0x0403,
  EcdsaSecp384r1Sha384: 0x0503,
  RsaPkcs1Sha256: 0x0401,
  RsaPssRsaeSha256: 0x0804,
} as const;

export interface CipherSuiteInfo {
  readonly id: number;
  readonly name: string;
  readonly keyLength: 16 | 32;
  readonly hash: 'sha256' | 'sha384';
  readonly authentication: 'ecdsa' | 'rsa';
}

/** The AEAD suites browsers offer (RFC 5289). */
export const CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  {
    id: 0xc02b,
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    keyLength: 16,
    hash: 'sha256',
    authentication: 'ecdsa',
  },
  {
    id: 0xc02c,
    name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    keyLength: 32,
    hash: 'sha384',
    authentication: 'ecdsa',
  },
  {
    id: 0xc02f,
    name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    keyLength: 16,
    hash: 'sha256',
    authentication: 'rsa',
  },
  {
    id: 0xc030,
    name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    keyLength: 32,
    hash: 'sha384',
    authentication: 'rsa',
  },
];

export type SrtpProtectionProfileName = 'SRTP_AES128_CM_HMAC_SHA1_80' | 'SRTP_AEAD_AES_128_GCM';

export interface SrtpProtectionProfileInfo {
  readonly id: number;
  readonly name: SrtpProtectionProfileName;
  /** Master key and salt lengths for the RFC 5764 §4.2 key split. */
  readonly keyLength: number;
  readonly saltLength: number;
}

/** RFC 5764 §4.1.2 and RFC 7714 §14.2 DTLS-SRTP protection profiles. */
export const SRTP_PROTECTION_PROFILES: readonly SrtpProtectionProfileInfo[] = [
  { id: 0x0007, name: 'SRTP_AEAD_AES_128_GCM', keyLength: 16, saltLength: 12 },
  { id: 0x0001, name: 'SRTP_AES128_CM_HMAC_SHA1_80', keyLength: 16, saltLength: 14 },
];

export const RECORD_HEADER_LENGTH = 13;
export const HANDSHAKE_HEADER_LENGTH = 12;
/** AES-GCM record overhead: 8-byte explicit nonce + 16-byte tag (RFC 5288 §3). */
export const GCM_RECORD_OVERHEAD = 24;
