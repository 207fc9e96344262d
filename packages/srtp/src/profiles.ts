import { SrtpError } from './errors.js';

/** SRTP protection profile names as in the IANA SRTP registries / RFC 4568 / RFC 7714 / RFC 6188. */
export type SrtpProfileName =
  | 'AES_CM_128_HMAC_SHA1_80'
  | 'AES_CM_128_HMAC_SHA1_32'
  | 'AES_256_CM_HMAC_SHA1_80'
  | 'AES_256_CM_HMAC_SHA1_32'
  | 'AEAD_AES_128_GCM'
  | 'AEAD_AES_256_GCM';

/** RFC 5764 §4.1.2 / RFC 7714 §14.2 names of the same profiles, as DTLS use_srtp calls them. */
export type SrtpProfileAlias =
  | 'SRTP_AES128_CM_HMAC_SHA1_80'
  | 'SRTP_AES128_CM_HMAC_SHA1_32'
  | 'SRTP_AEAD_AES_128_GCM'
  | 'SRTP_AEAD_AES_256_GCM';

/** Everything a context needs to know about a profile. */
export interface SrtpProfile {
  readonly name: SrtpProfileName;
  /** RFC 5764 §4.1.2 / RFC 7714 §14.2 name used in DTLS use_srtp. */
  readonly dtlsName?: SrtpProfileAlias;
  /** DTLS use_srtp SRTPProtectionProfile value (RFC 5764 §4.1.2, RFC 7714 §14.2). */
  readonly dtlsId?: number;
  readonly cipher: 'aes-cm' | 'aes-gcm';
  readonly masterKeyLength: number;
  readonly masterSaltLength: number;
  /** Session salt length: 14 octets for AES-CM, 12 for AEAD (RFC 7714 §11). */
  readonly sessionSaltLength: number;
  /** HMAC-SHA1 session key length (0 for AEAD). */
  readonly authKeyLength: number;
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
}

const PROFILES: readonly SrtpProfile[] = [
  {
    name: 'AES_CM_128_HMAC_SHA1_80',
    dtlsName: 'SRTP_AES128_CM_HMAC_SHA1_80',
    dtlsId: 0x0001,
    cipher: 'aes-cm',
    masterKeyLength: 16,
    masterSaltLength: 14,
    sessionSaltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  {
    // RFC 5764 §4.1.2: the 32-bit tag applies to SRTP only; SRTCP keeps 80 bits.
    name: 'AES_CM_128_HMAC_SHA1_32',
    dtlsName: 'SRTP_AES128_CM_HMAC_SHA1_32',
    dtlsId: 0x0002,
    cipher: 'aes-cm',
    masterKeyLength: 16,
    masterSaltLength: 14,
    sessionSaltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 4,
    rtcpTagLength: 10,
  },
  {
    name: 'AES_256_CM_HMAC_SHA1_80',
    cipher: 'aes-cm',
    masterKeyLength: 32,
    masterSaltLength: 14,
    sessionSaltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  {
    name: 'AES_256_CM_HMAC_SHA1_32',
    cipher: 'aes-cm',
    masterKeyLength: 32,
    masterSaltLength: 14,
    sessionSaltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 4,
    rtcpTagLength: 10,
  },
  {
    name: 'AEAD_AES_128_GCM',
    dtlsName: 'SRTP_AEAD_AES_128_GCM',
    dtlsId: 0x0007,
    cipher: 'aes-gcm',
    masterKeyLength: 16,
    masterSaltLength: 12,
    sessionSaltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
  {
    name: 'AEAD_AES_256_GCM',
    dtlsName: 'SRTP_AEAD_AES_256_GCM',
    dtlsId: 0x0008,
    cipher: 'aes-gcm',
    masterKeyLength: 32,
    masterSaltLength: 12,
    sessionSaltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
];

/** Every supported profile. */
export const SRTP_PROFILES: readonly SrtpProfile[] = PROFILES;

/** Looks a profile up by its registry name or its RFC 5764 DTLS name; throws if unknown. */
export function srtpProfile(name: string): SrtpProfile {
  const found = PROFILES.find((p) => p.name === name || p.dtlsName === name);
  if (!found) {
    throw new SrtpError(
      'SRTP_UNKNOWN_PROFILE',
      `unknown SRTP profile "${name}"; supported: ${PROFILES.map((p) => p.name).join(', ')}`,
    );
  }
  return found;
}

/** The profile with DTLS use_srtp id `id` (0x0001, 0x0002, 0x0007, 0x0008), or undefined. */
export function srtpProfileByDtlsId(id: number): SrtpProfile | undefined {
  return PROFILES.find((p) => p.dtlsId === id);
}

/** Master key and salt for one direction. */
export interface SrtpKeyMaterial {
  readonly masterKey: Uint8Array;
  readonly masterSalt: Uint8Array;
}

/** RFC 5764 §4.2: octets to export from DTLS ("EXTRACTOR-dtls_srtp") for `profile`. */
export function dtlsSrtpKeyingMaterialLength(
  profile: SrtpProfileName | SrtpProfileAlias | SrtpProfile,
): number {
  const p = typeof profile === 'string' ? srtpProfile(profile) : profile;
  return 2 * (p.masterKeyLength + p.masterSaltLength);
}

/**
 * RFC 5764 §4.2: splits exported keying material into client and server write keys
 * (client_write_SRTP_master_key | server_write_SRTP_master_key | client salt | server salt).
 * The DTLS client protects with `client` and the server with `server`.
 */
export function splitDtlsSrtpKeyingMaterial(
  profile: SrtpProfileName | SrtpProfileAlias | SrtpProfile,
  material: Uint8Array,
): { client: SrtpKeyMaterial; server: SrtpKeyMaterial } {
  const p = typeof profile === 'string' ? srtpProfile(profile) : profile;
  const k = p.masterKeyLength;
  const s = p.masterSaltLength;
  if (material.length !== 2 * (k + s)) {
    throw new SrtpError(
      'SRTP_BAD_KEY',
      `${p.name} needs ${2 * (k + s)} octets of keying material, got ${material.length}`,
    );
  }
  return {
    client: { masterKey: material.slice(0, k), masterSalt: material.slice(2 * k, 2 * k + s) },
    server: { masterKey: material.slice(k, 2 * k), masterSalt: material.slice(2 * k + s) },
  };
}
