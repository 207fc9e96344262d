/**
 * Stable error codes of `@callbridge/sdp`. Callers switch on `code` (never on the message) and
 * answer an INVITE with `sipStatus`: 400 when the body cannot be read as SDP at all, 488 (Not
 * Acceptable Here, RFC 3261 §21.4.26) when it is SDP we understand but cannot accept.
 */
export type SdpErrorCode =
  /** Not SDP: a missing or broken v=, o= or m= line, a bad port, a payload type out of range. */
  | 'SDP_MALFORMED'
  /** The body is larger than the configured limit. */
  | 'SDP_TOO_LARGE'
  /** Two m= sections carry the same a=mid, or a BUNDLE group names a mid that does not exist. */
  | 'SDP_INVALID_MID'
  /** An offer without any m= section the local side can take part in. */
  | 'SDP_NO_USABLE_MEDIA'
  /** No codec in an m= section is acceptable to the local side (the call fails NO_COMMON_CODECS). */
  | 'SDP_NO_COMMON_CODECS'
  /** A transport profile the local side does not speak (e.g. TCP/RTP/AVP, or SAVPF offered to the SIP leg). */
  | 'SDP_UNSUPPORTED_TRANSPORT'
  /** A WebRTC m= section without a=ice-ufrag / a=ice-pwd. */
  | 'SDP_ICE_CREDENTIALS_MISSING'
  /** A DTLS-SRTP m= section without a usable a=fingerprint (RFC 8122). */
  | 'SDP_FINGERPRINT_MISSING'
  /** a=setup carries a value that is not allowed where it appears (RFC 4145 §4, RFC 5763 §5). */
  | 'SDP_BAD_SETUP_ROLE'
  /** RTP/SAVP offered but no a=crypto suite the local side accepts (RFC 4568 §7.1.2). */
  | 'SDP_CRYPTO_NOT_ACCEPTABLE'
  /** An answer that does not fit its offer (m= line count, order, kinds, or codecs never offered). */
  | 'SDP_ANSWER_MISMATCH'
  /** The caller passed options that cannot produce a valid description. */
  | 'SDP_INVALID_ARGUMENT';

/** What a SIP user agent server should answer when an offer fails with this code. */
export type SdpSipStatus = 400 | 488;

const SIP_STATUS: Readonly<Record<SdpErrorCode, SdpSipStatus>> = {
  SDP_MALFORMED: 400,
  SDP_TOO_LARGE: 400,
  SDP_INVALID_MID: 400,
  SDP_NO_USABLE_MEDIA: 488,
  SDP_NO_COMMON_CODECS: 488,
  SDP_UNSUPPORTED_TRANSPORT: 488,
  SDP_ICE_CREDENTIALS_MISSING: 488,
  SDP_FINGERPRINT_MISSING: 488,
  SDP_BAD_SETUP_ROLE: 488,
  SDP_CRYPTO_NOT_ACCEPTABLE: 488,
  SDP_ANSWER_MISMATCH: 488,
  SDP_INVALID_ARGUMENT: 488,
};

export interface SdpErrorOptions {
  readonly cause?: unknown;
  /** Zero-based index of the m= section the error is about, when there is one. */
  readonly mediaIndex?: number;
  /** One-based line number in the SDP text, for parse errors. */
  readonly line?: number;
}

/** The one error class of this package: a stable `code`, the SIP status to answer, a `cause`. */
export class SdpError extends Error {
  override readonly name = 'SdpError';
  readonly code: SdpErrorCode;
  /** 400 (malformed) or 488 (understood but not acceptable) for a SIP answer to the offer. */
  readonly sipStatus: SdpSipStatus;
  readonly mediaIndex: number | undefined;
  readonly line: number | undefined;

  constructor(code: SdpErrorCode, message: string, options: SdpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.sipStatus = SIP_STATUS[code];
    this.mediaIndex = options.mediaIndex;
    this.line = options.line;
  }
}
