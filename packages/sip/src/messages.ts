/**
 * The SIP message layer (RFC 3261 §7, §19, §20, §25): parse, build, inspect, mutate and
 * serialise messages, URIs and header values. Re-exported by the package index.
 *
 * ```ts
 * const msg = parseMessage(datagram);            // throws SipParseError
 * if (msg.kind === 'request') {
 *   msg.topVia?.branch; msg.from?.tag; msg.callId; msg.cseq?.seq;
 *   const ok = createResponse(msg, 200, 'OK', { toTag: newTag() });
 *   socket.send(serialize(ok));
 * }
 * ```
 */
export { SipError, SipParseError, badRequest } from './errors.js';
export type { SipParseErrorCode, ParseErrorResponse, SipParseErrorOptions } from './errors.js';
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
