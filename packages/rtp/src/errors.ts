/** Stable error codes of `@callbridge/rtp`; callers may switch on them and count them. */
export type RtpErrorCode =
  | 'RTP_TRUNCATED'
  | 'RTP_BAD_VERSION'
  | 'RTP_BAD_PADDING'
  | 'RTP_BAD_EXTENSION'
  | 'RTP_BUFFER_TOO_SMALL'
  | 'RTP_INVALID_ARGUMENT'
  | 'RTCP_TRUNCATED'
  | 'RTCP_BAD_VERSION'
  | 'RTCP_BAD_LENGTH'
  | 'RTCP_BAD_PADDING'
  | 'RTCP_BAD_COMPOUND'
  | 'DTMF_BAD_PAYLOAD';

/** The one error class of this package: a stable `code`, a message a person can act on, a `cause`. */
export class RtpError extends Error {
  override readonly name = 'RtpError';
  readonly code: RtpErrorCode;

  constructor(code: RtpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
