/** Error codes raised by the SDK itself; errors from the gateway keep the gateway's code. */
export const CLIENT_ERROR_CODES = [
  'MEDIA_PERMISSION_DENIED',
  'MEDIA_DEVICE_NOT_FOUND',
  'MEDIA_DEVICE_BUSY',
  'MEDIA_UNSUPPORTED',
  'WEBRTC_UNSUPPORTED',
  'WEBRTC_ERROR',
  'INVALID_ARGUMENT',
  'INVALID_STATE',
  'NOT_CONNECTED',
  'CONNECTION_FAILED',
  'REQUEST_TIMEOUT',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export class CallbridgeError extends Error {
  override readonly name = 'CallbridgeError';
  /** A ClientErrorCode, or the gateway's error code (e.g. CALL_ID_IN_USE, RATE_LIMITED). */
  readonly code: ClientErrorCode | (string & {});
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ClientErrorCode | (string & {}),
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}
