/**
 * The SIP message layer (RFC 3261 §7, §19, §20, §25): parse, build, inspect, mutate and
 * serialise messages, URIs and header values. Re-exported by the package index.
 *
 * Parsing and answering:
 * ```ts
 * const msg = parseMessage(datagram);              // SipRequest | SipResponse, or SipParseError
 * if (msg.kind === 'request') {
 *   const verdict = validateRequest(msg, { role: 'uas' }); // 400/416/420/415/501... (483 for role 'proxy') or undefined
 *   msg.topVia?.branch; msg.from?.tag; msg.to?.tag; msg.callId; msg.cseq?.seq;
 *   socket.send(serialize(createResponse(msg, 180, undefined, { toTag: newTag() })));
 * }
 * ```
 * On `SipParseError`, `error.response` is what to answer (`{ status: 400, reason }`, 505, 513)
 * when the input was a request, `undefined` for responses (dropped). `error.code` is stable,
 * `error.offset` is the byte offset (for an exceeded limit, of the first byte beyond it),
 * `error.limit` names an exceeded `ParseLimits` field. Builders and setters refuse input that
 * would corrupt a message with `SipInputError` (`BAD_HEADER_INPUT`, `INVALID_ARGUMENT`).
 *
 * Typed accessors (parsed on first access, cached): `via`, `topVia`, `from`, `to`, `callId`,
 * `cseq`, `contact` (`'*'` or addresses; `contacts` for addresses only, with `expires`/`q`),
 * `route`, `recordRoute`, `path`, `maxForwards`, `contentLength`, `contentType`, `accept`,
 * `expires`, `minExpires`, `wwwAuthenticate`, `proxyAuthenticate`, `authorization`,
 * `proxyAuthorization`, `allow`, `supported`, `require`, `proxyRequire`, `unsupported`,
 * `allowEvents`, `event`, `referTo`, `referredBy`, `replaces`, `rseq`, `rack`,
 * `sessionExpires`, `minSE`, `retryAfter`, `server`, `userAgent`; any header by name with
 * `header()`, `headerValues()`, `headerList()`, `hasHeader()`, and every line with `headers`.
 *
 * B2BUA edits keep every untouched line byte-exact and in order: `setHeader`, `appendHeader`,
 * `prependHeader`, `removeHeader`, `removeFirstValue`, `replaceFirstValue`, `prependVia`,
 * `setTopVia(via.withParam('received', ip))`, `removeTopVia`, `setBody`, and the `uri`,
 * `method`, `status`, `reason` setters; `clone()` copies cheaply. Building: `createRequest`,
 * `createResponse`, `Via`, `NameAddr`, `SipUri`, `AuthValue.build`, `newBranch`, `newTag`.
 *
 * Streams (TCP/TLS): `SipStreamFramer` cuts messages by Content-Length and reports RFC 5626
 * keep-alive pings and pongs. URIs: `parseUri` (sip, sips, tel, others), `uriEquals`
 * (RFC 3261 §19.1.4), `escapeUser`/`unescapeUri`.
 */
export { SipError, SipInputError, SipParseError, badRequest } from './errors.js';
export type {
  SipInputArgument,
  SipInputErrorCode,
  SipLimitName,
  SipParseErrorCode,
  ParseErrorResponse,
  SipParseErrorOptions,
} from './errors.js';
export { DEFAULT_LIMITS, resolveLimits } from './limits.js';
export type { ParseLimits } from './limits.js';
export { canonicalHeaderName, compactHeaderName, headerKey } from './header-names.js';
export { Params, quote, unquote } from './params.js';
export {
  AbsoluteUri,
  SipUri,
  TelUri,
  escapeHeader,
  escapeParam,
  escapeUser,
  isIPv4,
  isIPv6,
  parseUri,
  unescapeUri,
  uriEquals,
} from './uri.js';
export type { HostKind, SipUriInit, Uri } from './uri.js';
export {
  AuthValue,
  MediaType,
  NameAddr,
  Via,
  parseAuth,
  parseCSeq,
  parseCallId,
  parseContact,
  parseEvent,
  parseMediaType,
  parseMediaTypeList,
  parseNameAddr,
  parseNameAddrList,
  parseProducts,
  parseRAck,
  parseReplaces,
  parseRetryAfter,
  parseSessionExpires,
  parseTokenList,
  parseUint,
  parseVia,
} from './header-values.js';
export type {
  CSeq,
  ContactValue,
  EventValue,
  ProductToken,
  RAck,
  Replaces,
  RetryAfter,
  SessionExpires,
} from './header-values.js';
export { HeaderField, SipMessage, SipRequest, SipResponse, splitHeaderValues } from './message.js';
export type { HeaderValue } from './message.js';
export { parseMessage } from './parser.js';
export { serialize } from './serializer.js';
export {
  createRequest,
  createResponse,
  newBranch,
  newCallId,
  newTag,
  randomToken,
  reasonPhrase,
} from './create.js';
export type { HeaderInit, RequestInit, ResponseOptions } from './create.js';
export { SipStreamFramer } from './framer.js';
export type { SipStreamItem, FramerOptions } from './framer.js';
export { KNOWN_METHODS, checkHeaders, validateRequest, validateResponse } from './validate.js';
export type { RequestPolicy, RequestVerdict, ResponseVerdict, Role } from './validate.js';
