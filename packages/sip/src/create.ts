/**
 * Building messages in code: `createRequest()` (RFC 3261 §8.1.1) and `createResponse()`
 * (§8.2.6), plus random tags, branches and Call-IDs.
 */
import {
  HeaderField,
  SipRequest,
  SipResponse,
  checkMethod,
  checkReason,
  checkStatus,
  type HeaderValue,
} from './message.js';
import { encodeUtf8 } from './text.js';
import { parseUri, type Uri } from './uri.js';

/** Headers in order: `[name, value]` pairs, or an object (array values give one line each). */
export type HeaderInit =
  | readonly (readonly [string, HeaderValue])[]
  | Readonly<Record<string, HeaderValue | readonly HeaderValue[]>>;

export interface RequestInit {
  readonly method: string;
  readonly uri: Uri | string;
  readonly headers?: HeaderInit;
  readonly body?: Uint8Array | string;
  /** Content-Type for the body (added unless `headers` has one). */
  readonly contentType?: string;
}

function toFields(headers: HeaderInit | undefined): HeaderField[] {
  const fields: HeaderField[] = [];
  if (headers === undefined) return fields;
  const entries: readonly (readonly [string, HeaderValue | readonly HeaderValue[]])[] =
    Array.isArray(headers)
      ? (headers as readonly (readonly [string, HeaderValue])[])
      : Object.entries(headers);
  for (const [name, value] of entries) {
    if (Array.isArray(value)) {
      for (const v of value as readonly HeaderValue[])
        fields.push(new HeaderField(name, String(v)));
    } else fields.push(new HeaderField(name, String(value)));
  }
  return fields;
}

function finish<T extends SipRequest | SipResponse>(
  message: T,
  body: Uint8Array | string | undefined,
  contentType: string | undefined,
): T {
  const bytes = typeof body === 'string' ? encodeUtf8(body) : (body ?? new Uint8Array(0));
  if (contentType !== undefined && !message.hasHeader('content-type')) {
    message.appendHeader('Content-Type', contentType);
  }
  if (bytes.length > 0 || !message.hasHeader('content-length')) {
    message.setBody(bytes, message.header('content-type'));
  }
  return message;
}

/**
 * A request with the given headers, in the given order, and a Content-Length matching the body.
 * The caller supplies Via, From, To, Call-ID, CSeq, Max-Forwards (§8.1.1).
 */
export function createRequest(init: RequestInit): SipRequest {
  checkMethod(init.method);
  const uri = typeof init.uri === 'string' ? parseUri(init.uri) : init.uri;
  const request = new SipRequest(init.method, uri, toFields(init.headers));
  return finish(request, init.body, init.contentType);
}

export interface ResponseOptions {
  /** Tag added to To when it has none (required for every response but 100, §8.2.6.2). */
  readonly toTag?: string;
  /** Extra headers, after the copied ones. */
  readonly headers?: HeaderInit;
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
}

/**
 * A response to `request` (§8.2.6): copies Via (all, in order), From, To, Call-ID and CSeq byte
 * for byte, adds the To tag when given, copies Timestamp into a 100 (§8.2.6.1), and sets
 * Content-Length. `reason` defaults to the RFC 3261 §21 phrase.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason: string = reasonPhrase(status),
  options: ResponseOptions = {},
): SipResponse {
  checkStatus(status);
  checkReason(reason);
  const fields: HeaderField[] = [];
  for (const f of request.headers) {
    const key = f.key;
    if (key === 'via' || key === 'from' || key === 'call-id' || key === 'cseq') fields.push(f);
    else if (key === 'to') {
      if (options.toTag !== undefined && request.to?.tag === undefined) {
        fields.push(new HeaderField(f.name, `${f.value};tag=${options.toTag}`, key));
      } else fields.push(f);
    } else if (key === 'timestamp' && status === 100) fields.push(f);
  }
  fields.push(...toFields(options.headers));
  const response = new SipResponse(status, reason, fields);
  return finish(response, options.body, options.contentType);
}

const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  428: 'Use Identity Header',
  429: 'Provide Referrer Identity',
  433: 'Anonymity Disallowed',
  439: 'First Hop Lacks Outbound Support',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted',
  608: 'Rejected',
};

/** The usual reason phrase for a status code (RFC 3261 §21 and extensions). */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? REASONS[Math.floor(status / 100) * 100] ?? 'Unknown';
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `n` random token characters from the platform CSPRNG. */
export function randomToken(n = 16): string {
  const bytes = new Uint8Array(n);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length]!;
  return out;
}

/** A Via branch with the RFC 3261 magic cookie `z9hG4bK` (§8.1.1.7). */
export function newBranch(): string {
  return `z9hG4bK${randomToken(16)}`;
}

/** A From/To tag (§19.3: at least 32 bits of randomness). */
export function newTag(): string {
  return randomToken(12);
}

/** A globally unique Call-ID (§8.1.1.4). */
export function newCallId(host?: string): string {
  const id = randomToken(24);
  return host === undefined ? id : `${id}@${host}`;
}
