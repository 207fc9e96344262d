export {
  DtlsCertificate,
  certificateFingerprint,
  matchesFingerprint,
  type CertificateFingerprint,
  type FingerprintAlgorithm,
  type GenerateCertificateOptions,
} from './certificate.js';
export {
  CIPHER_SUITES,
  SRTP_PROTECTION_PROFILES,
  type CipherSuiteInfo,
  type NamedCurve,
  type SrtpProtectionProfileInfo,
  type SrtpProtectionProfileName,
} from './constants.js';
export {
  DtlsConnection,
  type DtlsCloseInfo,
  type DtlsConnectedInfo,
  type DtlsConnectionEvents,
  type DtlsConnectionOptions,
  type DtlsCounters,
  type DtlsRole,
  type DtlsSrtpKeys,
  type DtlsState,
} from './connection.js';
export { DtlsProtocolError } from './protocol-error.js';
