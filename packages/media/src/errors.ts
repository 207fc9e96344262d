/** Stable machine-readable codes of every error this package throws. */
export type MediaErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_STATE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNKNOWN_PAYLOAD_TYPE'
  | 'CODEC_UNAVAILABLE'
  | 'DTMF_BODY_INVALID';

/** The one error base class of @callbridge/media: a stable `code`, a readable message, a `cause`. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
