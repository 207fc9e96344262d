/**
 * Verdicts a server or client reaches after parsing: `validateRequest()` returns the response a
 * UAS, proxy or registrar should send for a request it must not process (RFC 3261 §8.2, §16.3,
 * §10.3), `validateResponse()` says whether a received response must be dropped (§8.1.3.3,
 * §18.1.2). `parseMessage()` stays lazy; these run every typed accessor once.
 */
import { SipParseError } from './errors.js';
import type { SipMessage, SipRequest, SipResponse } from './message.js';

/** A response to send instead of processing the request. */
export interface RequestVerdict {
  readonly status: number;
  readonly reason: string;
  /** Headers the response must carry (Unsupported for 420, Accept for 415, ...). */
  readonly headers: readonly (readonly [string, string])[];
  /** A person-readable explanation. */
  readonly detail: string;
}

export type Role = 'uas' | 'proxy' | 'registrar';

export interface RequestPolicy {
  /** Which checks apply (§8.2 UAS, §16.3 proxy, §10.3 registrar). Default `uas`. */
  readonly role?: Role;
  /** Methods the element implements; others get 501 (UAS, registrar). */
  readonly methods?: readonly string[];
  /** Option tags the element supports (checked against Require, or Proxy-Require for a proxy). */
  readonly supported?: readonly string[];
  /** Request-URI schemes the element handles; others get 416. Default sip, sips, tel. */
  readonly schemes?: readonly string[];
  /** Body types a UAS understands; others get 415. Default application/sdp and multipart/mixed. */
  readonly contentTypes?: readonly string[];
  /** Body encodings a UAS understands; others get 415. Default identity only. */
  readonly contentEncodings?: readonly string[];
  /** For INVITE: the answer body type; an Accept that excludes it gets 406. Default application/sdp. */
  readonly answerType?: string;
}

/** Methods of RFC 3261 and the extensions the stack knows. */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'UPDATE',
  'INFO',
  'REFER',
  'NOTIFY',
  'SUBSCRIBE',
  'MESSAGE',
  'PUBLISH',
];

/** Headers that may appear only once (§7.3.1 exceptions do not include them). */
const SINGLETONS: readonly (readonly [string, string])[] = [
  ['call-id', 'Call-ID'],
  ['from', 'From'],
  ['to', 'To'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
  ['content-length', 'Content-Length'],
  ['content-type', 'Content-Type'],
];

const MANDATORY: readonly (readonly [string, string])[] = [
  ['to', 'To'],
  ['from', 'From'],
  ['cseq', 'CSeq'],
  ['call-id', 'Call-ID'],
  ['via', 'Via'],
];

function verdict(
  status: number,
  reason: string,
  detail: string,
  headers: readonly (readonly [string, string])[] = [],
): RequestVerdict {
  return { status, reason, headers, detail };
}

/**
 * Parses every header the stack knows and checks the rules shared by requests and responses:
 * mandatory headers present (Max-Forwards excepted for RFC 2543 peers), single-instance headers
 * not repeated. Returns the parse error or problem found, or `undefined`.
 */
export function checkHeaders(message: SipMessage): SipParseError | undefined {
  try {
    void message.via;
    // Addresses parse their URI lazily: touch it too.
    for (const address of [message.from, message.to, message.referTo, message.referredBy]) {
      void address?.uri;
    }
    for (const list of [message.contacts, message.route, message.recordRoute, message.path]) {
      for (const address of list) void address.uri;
    }
    void message.callId;
    void message.cseq;
    void message.maxForwards;
    void message.contentLength;
    void message.contentType;
    void message.expires;
    void message.minExpires;
    void message.accept;
    void message.allow;
    void message.supported;
    void message.require;
    void message.proxyRequire;
    void message.unsupported;
    void message.allowEvents;
    void message.wwwAuthenticate;
    void message.proxyAuthenticate;
    void message.authorization;
    void message.proxyAuthorization;
    void message.event;
    void message.replaces;
    void message.rseq;
    void message.rack;
    void message.sessionExpires;
    void message.minSE;
    // Server, User-Agent and Retry-After are informational: parsed on access only, never a
    // reason to reject (implementations put all sorts of text in them).
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  for (const [key, name] of MANDATORY) {
    if (message.headerCount(key) === 0) {
      return new SipParseError('BAD_HEADER_VALUE', `the ${name} header is missing`, {
        header: name,
        response: { status: 400, reason: `Missing ${name} Header` },
      });
    }
  }
  for (const [key, name] of SINGLETONS) {
    const count = message.headerCount(key);
    if (count > 1) {
      return new SipParseError('BAD_HEADER_VALUE', `the ${name} header appears ${count} times`, {
        header: name,
        response: { status: 400, reason: `Multiple ${name} Headers` },
      });
    }
  }
  return undefined;
}

function mediaTypeMatches(range: string, type: string): boolean {
  const [rt, rs] = range.toLowerCase().split('/') as [string, string | undefined];
  const [t, s] = type.toLowerCase().split('/') as [string, string | undefined];
  return (rt === '*' || rt === t) && (rs === '*' || rs === s);
}

/**
 * The response to send instead of processing `request`, or `undefined` when it may be
 * processed. Checks, in the order of RFC 3261 §8.2 (UAS) and §16.3 (proxy): well-formed known
 * headers and mandatory headers (400), method (501 at a UAS/registrar), CSeq method (400),
 * Request-URI scheme (416), Max-Forwards 0 at a proxy (483), Require/Proxy-Require (420 with
 * Unsupported), body type and encoding (415 with Accept / Accept-Encoding), Accept for an INVITE
 * answer (406), and for a registrar a SIP To URI (400).
 */
export function validateRequest(
  request: SipRequest,
  policy: RequestPolicy = {},
): RequestVerdict | undefined {
  const role = policy.role ?? 'uas';
  const problem = checkHeaders(request);
  if (problem !== undefined) {
    return verdict(problem.response!.status, problem.response!.reason, problem.message);
  }
  const method = request.method;
  if (role !== 'proxy' && !(policy.methods ?? KNOWN_METHODS).includes(method)) {
    return verdict(501, 'Not Implemented', `method ${method} is not implemented`, [
      ['Allow', (policy.methods ?? KNOWN_METHODS).join(', ')],
    ]);
  }
  const cseq = request.cseq!;
  if (cseq.method !== method) {
    return verdict(400, 'CSeq Method Mismatch', `CSeq method ${cseq.method} is not ${method}`);
  }
  const scheme = request.uri.scheme;
  if (!(policy.schemes ?? ['sip', 'sips', 'tel']).includes(scheme)) {
    return verdict(
      416,
      'Unsupported URI Scheme',
      `Request-URI scheme "${scheme}" is not supported`,
    );
  }
  // §16.3 step 3: a proxy does not forward a request whose Max-Forwards is 0.
  if (role === 'proxy' && request.maxForwards === 0) {
    return verdict(483, 'Too Many Hops', 'Max-Forwards is 0');
  }
  const supported = policy.supported ?? [];
  const required = role === 'proxy' ? request.proxyRequire : request.require;
  if (method !== 'CANCEL' && method !== 'ACK') {
    const unsupported = required.filter((tag) => !supported.includes(tag));
    if (unsupported.length > 0) {
      return verdict(420, 'Bad Extension', `unsupported option tags: ${unsupported.join(', ')}`, [
        ['Unsupported', unsupported.join(', ')],
      ]);
    }
  }
  if (role === 'proxy') return undefined;
  if (request.body.length > 0) {
    const types = policy.contentTypes ?? ['application/sdp', 'multipart/mixed'];
    const type = request.contentType;
    if (type !== undefined && !types.some((t) => mediaTypeMatches(t, type.essence))) {
      return verdict(415, 'Unsupported Media Type', `body type ${type.essence} is not supported`, [
        ['Accept', types.join(', ')],
      ]);
    }
    const encodings = policy.contentEncodings ?? [];
    const unknown = request
      .headerList('content-encoding')
      .filter((e) => e.toLowerCase() !== 'identity' && !encodings.includes(e.toLowerCase()));
    if (unknown.length > 0) {
      return verdict(
        415,
        'Unsupported Media Type',
        `content encoding ${unknown.join(', ')} is not supported`,
        [['Accept-Encoding', encodings.length > 0 ? encodings.join(', ') : 'identity']],
      );
    }
  }
  if (method === 'INVITE') {
    const accept = request.accept;
    const answerType = policy.answerType ?? 'application/sdp';
    if (
      accept !== undefined &&
      !accept.some((range) => mediaTypeMatches(range.essence, answerType))
    ) {
      return verdict(406, 'Not Acceptable', `Accept does not include ${answerType}`);
    }
  }
  if (role === 'registrar' && method === 'REGISTER') {
    const to = request.to!.uri;
    if (to.kind !== 'sip') {
      return verdict(
        400,
        'Invalid To URI',
        'the To header of a REGISTER must be a SIP or SIPS URI',
      );
    }
  }
  return undefined;
}

/** Why a received response must be dropped. */
export interface ResponseVerdict {
  readonly drop: true;
  readonly detail: string;
}

/**
 * Whether a response received by a client must be silently discarded (§8.1.3.3: exactly one Via
 * at a UAC; §18.1.2 and §16.7: malformed responses are dropped, never answered).
 */
export function validateResponse(
  response: SipResponse,
  options: { readonly role?: 'uac' | 'proxy' } = {},
): ResponseVerdict | undefined {
  const problem = checkHeaders(response);
  if (problem !== undefined) return { drop: true, detail: problem.message };
  if ((options.role ?? 'uac') === 'uac' && response.via.length !== 1) {
    return {
      drop: true,
      detail: `a UAC response must have exactly one Via (has ${response.via.length})`,
    };
  }
  return undefined;
}
