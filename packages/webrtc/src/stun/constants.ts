// RFC 8489 §5: the fixed 20-byte header and the magic cookie.
export const STUN_HEADER_LENGTH = 20;
export const MAGIC_COOKIE = 0x2112a442;

/** STUN methods used by ICE (RFC 8489 §18.2). */
export const StunMethod = {
  Binding: 0x001,
} as const;

/** STUN message classes (RFC 8489 §5). */
export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** Attribute types (RFC 8489 §18.3, RFC 8445 §16.1). */
export const StunAttr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  Realm: 0x0014,
  Nonce: 0x0015,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;

// RFC 8489 §14.7: FINGERPRINT is CRC-32 XOR 0x5354554e ("STUN").
export const FINGERPRINT_XOR = 0x5354554e;
