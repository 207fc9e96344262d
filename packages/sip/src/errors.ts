/**
 * Errors of `@callbridge/sip`. Every error the package throws is a {@link SipError} with a stable
 * string `code`; parse failures are {@link SipParseError}s that also carry the byte offset and,
 * for requests, the response a server should send (RFC 3261 §8.2, §16.3, §21.4); arguments
 * refused by the message builders and setters are {@link SipInputError}s.
 */
import type { ParseLimits } from './limits.js';

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

/** A limit a {@link SipParseError} can name: a `ParseLimits` field or the framer's buffer. */
export type SipLimitName = keyof ParseLimits | 'maxBufferedBytes';

/** The response a server should send for an unparsable request. */
export interface ParseErrorResponse {
  readonly status: number;
  readonly reason: string;
}

/** Options of {@link SipParseError}. */
export interface SipParseErrorOptions {
  /** Byte offset in the input where the problem was found (see {@link SipParseError.offset}). */
  offset?: number;
  /** The response a server should send; omit when the input is a response (never answered). */
  response?: ParseErrorResponse;
  /** Header whose value was malformed, canonical spelling. */
  header?: string;
  /** Name of the limit that was exceeded. */
  limit?: SipLimitName;
  cause?: unknown;
}

/**
 * A message, header value or URI could not be parsed. `response` says what a server should
 * answer when the input was a request (`undefined` for responses, which are dropped, RFC 3261
 * §16.7 and §18.1.2).
 */
export class SipParseError extends SipError {
  declare readonly code: SipParseErrorCode;
  /**
   * Byte offset of the problem in the parsed input (for errors of `SipStreamFramer`, in the
   * error item's `bytes`, which start at the message; for a header value or URI parsed on its
   * own, in that text).
   *
   * When a limit was exceeded (`limit` is set), it is the first byte beyond the limit (a
   * fractional limit allows its whole part, a negative one no byte): the limit's value for
   * `maxMessageSize` and `maxBufferedBytes` (past the bytes received when a stream message's
   * Content-Length declares more), the start line's first byte plus
   * `maxStartLineLength`, the header line's first byte plus `maxHeaderLineLength`, and the first
   * byte of the first header line over `maxHeaders` (where the header section starts when a
   * negative limit refuses one without any).
   */
  readonly offset: number;
  readonly response: ParseErrorResponse | undefined;
  readonly header: string | undefined;
  /** The limit that was exceeded, if that is the problem. */
  readonly limit: SipLimitName | undefined;

  constructor(code: SipParseErrorCode, message: string, options: SipParseErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SipParseError';
    this.offset = options.offset ?? 0;
    this.response = options.response;
    this.header = options.header;
    this.limit = options.limit;
  }
}

/** Stable codes of {@link SipInputError}. */
export type SipInputErrorCode =
  /** A header name that is no token, or a header value holding CR, LF or NUL. */
  | 'BAD_HEADER_INPUT'
  /** Another argument: a method that is no token, a status code outside 100–699, a reason
   *  phrase holding CR, LF or NUL. */
  | 'INVALID_ARGUMENT';

/** What a {@link SipInputError} refused. */
export type SipInputArgument = 'header' | 'method' | 'status' | 'reason';

/**
 * A message builder (`createRequest`, `createResponse`, header edits) or start-line setter
 * refused an argument. Text from outside (a display name from a web form, say) could otherwise
 * inject lines into the message (RFC 3261 §7.3.1, §25.1).
 */
export class SipInputError extends SipError {
  declare readonly code: SipInputErrorCode;
  readonly argument: SipInputArgument;

  constructor(code: SipInputErrorCode, argument: SipInputArgument, message: string) {
    super(code, message);
    this.name = 'SipInputError';
    this.argument = argument;
  }
}

/** `400 Bad Request` with a reason phrase naming the problem (RFC 3261 §21.4.1). */
export function badRequest(reason: string): ParseErrorResponse {
  return { status: 400, reason };
}
