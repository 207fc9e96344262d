export { SrtpError, type SrtpErrorCode } from './errors.js';
export {
  SRTP_PROFILES,
  srtpProfile,
  srtpProfileByDtlsId,
  dtlsSrtpKeyingMaterialLength,
  splitDtlsSrtpKeyingMaterial,
  type SrtpProfile,
  type SrtpProfileName,
  type SrtpProfileAlias,
  type SrtpKeyMaterial,
} from './profiles.js';
export {
  SrtpContext,
  type SrtpContextOptions,
  type SrtpSessionKeys,
  type SrtpBackend,
  type SrtpBackendChoice,
} from './context.js';
export { ReplayWindow } from './replay.js';
export { HmacSha1 } from './hmac-sha1.js';
export {
  AesEcb,
  type AesImplementation,
  aesCmKeystream,
  aesF8Keystream,
  deriveSessionKey,
  KdfLabel,
} from './aes.js';
export { AesGcm, NATIVE_GCM_THRESHOLD, type AesGcmOptions } from './gcm.js';
export {
  parseSdesCrypto,
  formatSdesCrypto,
  generateSdesKey,
  sdesContextOptions,
  type SdesCrypto,
  type SdesKey,
} from './sdes.js';
