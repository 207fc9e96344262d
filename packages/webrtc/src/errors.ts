/** Stable error codes of @callbridge/webrtc; callers switch on `code`, never on the message. */
export type WebRtcErrorCode =
  | 'STUN_MALFORMED'
  | 'DTLS_MALFORMED'
  | 'DTLS_HANDSHAKE_FAILED'
  | 'DTLS_NO_SHARED_PARAMETERS'
  | 'DTLS_BAD_SIGNATURE'
  | 'DTLS_BAD_FINISHED'
  | 'DTLS_FINGERPRINT_MISMATCH'
  | 'DTLS_ALERT_RECEIVED'
  | 'DTLS_TIMEOUT'
  | 'CERTIFICATE_INVALID'
  | 'INVALID_STATE_TRANSITION'
  | 'INVALID_ARGUMENT'
  | 'TRANSPORT_CLOSED'
  | 'SOCKET_ERROR';

export interface WebRtcErrorOptions {
  readonly cause?: unknown;
}

/** The one error base class of this package: a stable `code`, a message a person can act on. */
export class WebRtcError extends Error {
  readonly code: WebRtcErrorCode;

  constructor(code: WebRtcErrorCode, message: string, options: WebRtcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebRtcError';
    this.code = code;
  }
}
