/**
 * Errors of `@callbridge/sip`. Every error the package throws is a {@link SipError} with a stable
 * string `code`; parse failures are {@link SipParseError}s that also carry the byte offset and,
 * for requests, the response a server should send (RFC 3261 §8.2, §16.3, §21.4).
 */

/** Base class of every error thrown by `@callbridge/sip`. `code` is stable across releases. */
export class SipError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SipError';
    this.code = code;
  }
}

/** Stable codes of {@link SipParseError}. */
export type SipParseErrorCode =
  | 'EMPTY_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'TOO_MANY_HEADERS'
  | 'HEADER_LINE_TOO_LONG'
  | 'START_LINE_TOO_LONG'
  | 'HEADERS_UNTERMINATED'
  | 'BAD_START_LINE'
  | 'BAD_METHOD'
  | 'BAD_REQUEST_URI'
  | 'BAD_VERSION'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_STATUS_CODE'
  | 'BAD_HEADER_LINE'
  | 'BAD_HEADER_NAME'
  | 'BAD_HEADER_VALUE'
  | 'BAD_CONTENT_LENGTH'
  | 'BODY_TRUNCATED'
  | 'BAD_URI'
  | 'BUFFER_LIMIT';

/** The response a server should send for an unparsable request. */
export interface ParseErrorResponse {
  readonly status: number;
  readonly reason: string;
}

/** Options of {@link SipParseError}. */
export interface SipParseErrorOptions {
  /** Byte offset in the input where the problem was found. */
  offset?: number;
  /** The response a server should send; omit when the input is a response (never answered). */
  response?: ParseErrorResponse;
  /** Header whose value was malformed, canonical spelling. */
  header?: string;
  /** Name of the limit that was exceeded (see `ParseLimits`). */
  limit?: string;
  cause?: unknown;
}

/**
 * A message, header value or URI could not be parsed. `offset` is the byte offset in the parsed
 * input (or in the header value / URI text for errors from typed accessors), `response` says
 * what a server should answer when the input was a request (`undefined` for responses, which
 * are dropped, RFC 3261 §16.7 and §18.1.2).
 */
export class SipParseError extends SipError {
  declare readonly code: SipParseErrorCode;
  readonly offset: number;
  readonly response: ParseErrorResponse | undefined;
  readonly header: string | undefined;
  readonly limit: string | undefined;

  constructor(code: SipParseErrorCode, message: string, options: SipParseErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SipParseError';
    this.offset = options.offset ?? 0;
    this.response = options.response;
    this.header = options.header;
    this.limit = options.limit;
  }
}

/** `400 Bad Request` with a reason phrase naming the problem (RFC 3261 §21.4.1). */
export function badRequest(reason: string): ParseErrorResponse {
  return { status: 400, reason };
}
