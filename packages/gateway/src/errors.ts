/**
 * Every error the gateway raises or reports to a client. `code` is stable: clients, the REST API
 * and the WebSocket protocol match on it; the message is for people.
 */
export const GATEWAY_ERROR_CODES = [
  'INVALID_MESSAGE',
  'INVALID_JSON',
  'UNSUPPORTED_PROTOCOL_VERSION',
  'UNKNOWN_MESSAGE_TYPE',
  'NOT_CONNECTED',
  'ALREADY_CONNECTED',
  'SESSION_NOT_FOUND',
  'SESSION_RESUME_REJECTED',
  'CALL_NOT_FOUND',
  'CALL_ID_IN_USE',
  'INVALID_CALL_TRANSITION',
  'INVALID_SESSION_TRANSITION',
  'CALL_NOT_ALLOWED_IN_STATE',
  'DIAL_PLAN_REJECTED',
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'ORIGIN_NOT_ALLOWED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'BACKEND_UNAVAILABLE',
  'BACKEND_ERROR',
  'HOOK_REJECTED',
  'INVALID_CONFIG',
  'SHUTTING_DOWN',
  'INTERNAL_ERROR',
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** HTTP status the REST API answers for each code. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<GatewayErrorCode, number>> = {
  INVALID_MESSAGE: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_PROTOCOL_VERSION: 400,
  UNKNOWN_MESSAGE_TYPE: 400,
  NOT_CONNECTED: 409,
  ALREADY_CONNECTED: 409,
  SESSION_NOT_FOUND: 404,
  SESSION_RESUME_REJECTED: 409,
  CALL_NOT_FOUND: 404,
  CALL_ID_IN_USE: 409,
  INVALID_CALL_TRANSITION: 409,
  INVALID_SESSION_TRANSITION: 409,
  CALL_NOT_ALLOWED_IN_STATE: 409,
  DIAL_PLAN_REJECTED: 403,
  RATE_LIMITED: 429,
  UNAUTHORIZED: 401,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  BACKEND_UNAVAILABLE: 503,
  BACKEND_ERROR: 502,
  HOOK_REJECTED: 403,
  INVALID_CONFIG: 400,
  SHUTTING_DOWN: 503,
  INTERNAL_ERROR: 500,
};

export interface GatewayErrorOptions {
  readonly cause?: unknown;
  /** Structured detail safe to send to clients (never credentials). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: GatewayErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  /** The JSON shape both APIs send: `{ code, message, details? }`. */
  toJSON(): { code: GatewayErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: { ...this.details } };
  }
}

/** Wraps anything thrown into a GatewayError, keeping GatewayErrors as they are. */
export function toGatewayError(
  error: unknown,
  fallback: GatewayErrorCode = 'INTERNAL_ERROR',
): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // The backend's own stable code (e.g. the B2BUA's DTMF_REFUSED) goes to the client as detail.
  const code = (error as { code?: unknown } | null)?.code;
  return new GatewayError(fallback, message, {
    cause: error,
    ...(typeof code === 'string' ? { details: { backendCode: code } } : {}),
  });
}
