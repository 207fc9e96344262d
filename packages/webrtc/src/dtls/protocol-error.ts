import { WebRtcError, type WebRtcErrorCode } from '../errors.js';

/** A handshake failure together with the alert (RFC 5246 §7.2) to send the peer. */
export class DtlsProtocolError extends WebRtcError {
  readonly alert: number;

  constructor(code: WebRtcErrorCode, message: string, alert: number, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
    this.name = 'DtlsProtocolError';
    this.alert = alert;
  }
}
