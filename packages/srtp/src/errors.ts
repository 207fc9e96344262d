/** Stable error codes of `@callbridge/srtp`; callers may switch on them and count them. */
export type SrtpErrorCode =
  /** The authentication tag did not verify (RFC 3711 §3.3 step 5, RFC 7714 §9.3). */
  | 'SRTP_AUTH_FAILED'
  /** The packet index was already received (RFC 3711 §3.3.2). */
  | 'SRTP_REPLAYED'
  /** The packet index is older than the replay window covers (RFC 3711 §3.3.2). */
  | 'SRTP_TOO_OLD'
  /** Too short or not RTP/RTCP at all. */
  | 'SRTP_MALFORMED'
  /** A key or salt of the wrong length, or an unknown profile. */
  | 'SRTP_BAD_KEY'
  | 'SRTP_UNKNOWN_PROFILE'
  /** The caller's output buffer cannot hold the result. */
  | 'SRTP_BUFFER_TOO_SMALL'
  /** RFC 3711 §9.2: the sender's SRTCP index space is exhausted; re-key. */
  | 'SRTP_INDEX_EXHAUSTED'
  | 'SRTP_INVALID_ARGUMENT'
  /** An `a=crypto` line (RFC 4568) that cannot be parsed or is not supported. */
  | 'SDES_BAD_CRYPTO_LINE';

/**
 * The one error class of this package. Authentication failure and replay are ordinary outcomes
 * on a network, so they are typed (`code`) and never change the state of the context.
 */
export class SrtpError extends Error {
  override readonly name = 'SrtpError';
  readonly code: SrtpErrorCode;

  constructor(code: SrtpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
