/**
 * `parseMessage()`: one SIP message from one buffer (a UDP datagram, a WebSocket message, or a
 * frame cut by `SipStreamFramer`), RFC 3261 §7 and §25.
 *
 * What it checks: size limits, the start line (method token, Request-URI grammar, version,
 * status code), header line structure and names, Content-Length. Header values are parsed
 * later, on access (see `SipMessage`), so a proxy pays only for the headers it reads.
 * Body framing follows §18.3: Content-Length decides; without it the body is the rest of the
 * buffer (datagram semantics; stream framing is the framer's job). Bytes after the declared body
 * are ignored (RFC 4475 §3.1.2.14).
 */
import { CHAR_CLASS, TOKEN } from './chars.js';
import { SipParseError, badRequest, type ParseErrorResponse } from './errors.js';
import { headerKey } from './header-names.js';
import { resolveLimits, type ParseLimits } from './limits.js';
import { HeaderField, SipRequest, SipResponse, type MessageSource } from './message.js';
import { decodeHead, decodeUtf8 } from './text.js';
import { parseUri, type Uri } from './uri.js';

const LF = 10;
const CR = 13;

const TOO_LARGE: ParseErrorResponse = { status: 513, reason: 'Message Too Large' };

/** Parses one message. Throws {@link SipParseError} when it is malformed or over a limit. */
export function parseMessage(
  bytes: Uint8Array,
  limits?: Partial<ParseLimits>,
): SipRequest | SipResponse {
  const lim = resolveLimits(limits);
  const length = bytes.length;
  let pos = 0;
  // §7.5: ignore CRLFs before the start line.
  while (pos < length && (bytes[pos] === CR || bytes[pos] === LF)) pos++;
  if (pos === length)
    throw new SipParseError('EMPTY_MESSAGE', 'the message is empty', { offset: pos });
  const isResponse =
    bytes[pos] === 83 && bytes[pos + 1] === 73 && bytes[pos + 2] === 80 && bytes[pos + 3] === 47;
  const answer = (r: ParseErrorResponse): ParseErrorResponse | undefined =>
    isResponse ? undefined : r;
  if (length > lim.maxMessageSize) {
    throw new SipParseError(
      'MESSAGE_TOO_LARGE',
      `the message is ${length} bytes, over the limit of ${lim.maxMessageSize}`,
      { offset: lim.maxMessageSize, limit: 'maxMessageSize', ...optional(answer(TOO_LARGE)) },
    );
  }

  // Find the end of the header section: an empty line. Line ends are CRLF; a bare LF is tolerated.
  const headStart = pos;
  let headEnd = -1; // start of the empty line
  let bodyStart = -1;
  let lineStart = pos;
  for (;;) {
    const lf = bytes.indexOf(LF, lineStart);
    if (lf === -1) break;
    const contentEnd = lf > lineStart && bytes[lf - 1] === CR ? lf - 1 : lf;
    if (contentEnd === lineStart) {
      headEnd = lineStart;
      bodyStart = lf + 1;
      break;
    }
    lineStart = lf + 1;
  }
  if (headEnd === -1) {
    throw new SipParseError(
      'HEADERS_UNTERMINATED',
      'the header section does not end with an empty line (truncated message?)',
      { offset: length, ...optional(answer(badRequest('Malformed Message'))) },
    );
  }
  const { text, ascii } = decodeHead(bytes, headStart, headEnd);
  const source: MessageSource = { bytes, text, base: headStart, ascii };
  const textLength = text.length;

  // ---- start line
  let nl = text.indexOf('\n');
  const startLineEnd = nl; // text offset of LF (exists: there are ≥1 lines before headEnd)
  const startContentEnd = nl > 0 && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
  if (startContentEnd > lim.maxStartLineLength) {
    throw new SipParseError(
      'START_LINE_TOO_LONG',
      `the start line is longer than ${lim.maxStartLineLength} bytes`,
      {
        offset: headStart,
        limit: 'maxStartLineLength',
        ...optional(answer(badRequest('Start Line Too Long'))),
      },
    );
  }
  const startLineRange: readonly [number, number] = [headStart, headStart + startLineEnd + 1];

  let method = '';
  let uri: Uri | undefined;
  let version: string;
  let status = 0;
  let reason = '';
  if (isResponse) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
    const sp = text.indexOf(' ');
    if (sp === -1 || sp > startContentEnd) {
      throw startLineError('the status line has no status code', headStart, undefined);
    }
    version = text.slice(0, sp);
    checkVersion(version, headStart, true);
    const codeEnd = sp + 4;
    if (
      codeEnd > startContentEnd ||
      (codeEnd < startContentEnd && text.charCodeAt(codeEnd) !== 32)
    ) {
      throw new SipParseError('BAD_STATUS_CODE', 'the status code is not three digits', {
        offset: headStart + sp + 1,
      });
    }
    for (let i = sp + 1; i < codeEnd; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) {
        throw new SipParseError('BAD_STATUS_CODE', 'the status code is not three digits', {
          offset: headStart + i,
        });
      }
      status = status * 10 + (c - 48);
    }
    if (status < 100 || status > 699) {
      throw new SipParseError('BAD_STATUS_CODE', `status code ${status} is outside 100–699`, {
        offset: headStart + sp + 1,
      });
    }
    reason = codeEnd < startContentEnd ? text.slice(codeEnd + 1, startContentEnd) : '';
    if (!ascii) reason = decodeUtf8(bytes, headStart + codeEnd + 1, headStart + startContentEnd);
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) {
        throw startLineError('the reason phrase holds a control character', headStart, undefined);
      }
    }
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version CRLF
    const sp1 = text.indexOf(' ');
    if (sp1 <= 0 || sp1 > startContentEnd) {
      throw startLineError(
        'the request line has no Request-URI',
        headStart,
        badRequest('Malformed Request-Line'),
      );
    }
    for (let i = 0; i < sp1; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || (CHAR_CLASS[c]! & TOKEN) === 0) {
        throw new SipParseError('BAD_METHOD', `the method has an invalid character at ${i}`, {
          offset: headStart + i,
          response: badRequest('Malformed Method'),
        });
      }
    }
    method = text.slice(0, sp1);
    const sp2 = text.lastIndexOf(' ', startContentEnd - 1);
    if (sp2 <= sp1 + 1) {
      throw startLineError(
        'the request line needs "METHOD URI SIP/2.0" separated by single spaces',
        headStart,
        badRequest('Malformed Request-Line'),
      );
    }
    version = text.slice(sp2 + 1, startContentEnd);
    checkVersion(version, headStart + sp2 + 1, false);
    const uriText = text.slice(sp1 + 1, sp2);
    try {
      uri = parseUri(uriText);
    } catch (e) {
      const inner = e instanceof SipParseError ? e : undefined;
      throw new SipParseError(
        'BAD_REQUEST_URI',
        `bad Request-URI: ${inner?.message ?? String(e)}`,
        {
          offset: headStart + sp1 + 1 + (inner?.offset ?? 0),
          response: badRequest('Bad Request-URI'),
          cause: e,
        },
      );
    }
  }

  // ---- header lines
  const fields: HeaderField[] = [];
  let i = startLineEnd + 1;
  while (i < textLength) {
    nl = text.indexOf('\n', i);
    if (nl === -1) nl = textLength; // cannot happen: the head ends before the empty line
    let end = nl; // exclusive end of this physical line's content
    if (end > i && text.charCodeAt(end - 1) === CR) end--;
    const first = text.charCodeAt(i);
    if (first === 32 || first === 9) {
      throw new SipParseError('BAD_HEADER_LINE', 'a continuation line follows the start line', {
        offset: headStart + i,
        ...optional(answer(badRequest('Malformed Header'))),
      });
    }
    const colon = text.indexOf(':', i);
    if (colon === -1 || colon > end) {
      throw new SipParseError(
        'BAD_HEADER_LINE',
        `header line without ":" at byte ${headStart + i}`,
        {
          offset: headStart + i,
          ...optional(answer(badRequest('Malformed Header'))),
        },
      );
    }
    let nameEnd = colon;
    while (
      nameEnd > i &&
      (text.charCodeAt(nameEnd - 1) === 32 || text.charCodeAt(nameEnd - 1) === 9)
    )
      nameEnd--;
    for (let k = i; k < nameEnd; k++) {
      const c = text.charCodeAt(k);
      if (c >= 128 || (CHAR_CLASS[c]! & TOKEN) === 0) {
        throw new SipParseError(
          'BAD_HEADER_NAME',
          `invalid character in a header name at byte ${headStart + k}`,
          {
            offset: headStart + k,
            ...optional(answer(badRequest('Malformed Header'))),
          },
        );
      }
    }
    if (nameEnd === i) {
      throw new SipParseError('BAD_HEADER_NAME', `empty header name at byte ${headStart + i}`, {
        offset: headStart + i,
        ...optional(answer(badRequest('Malformed Header'))),
      });
    }
    // Folding (§7.3.1): following lines starting with SP/HTAB belong to this header.
    let folded = false;
    let lineEnd = nl; // LF of the last physical line
    let valueEnd = end;
    while (lineEnd + 1 < textLength) {
      const next = text.charCodeAt(lineEnd + 1);
      if (next !== 32 && next !== 9) break;
      folded = true;
      let nnl = text.indexOf('\n', lineEnd + 1);
      if (nnl === -1) nnl = textLength;
      valueEnd = nnl > 0 && text.charCodeAt(nnl - 1) === CR ? nnl - 1 : nnl;
      lineEnd = nnl;
    }
    if (valueEnd - i > lim.maxHeaderLineLength) {
      throw new SipParseError(
        'HEADER_LINE_TOO_LONG',
        `a header line is longer than ${lim.maxHeaderLineLength} bytes`,
        {
          offset: headStart + i,
          limit: 'maxHeaderLineLength',
          ...optional(answer(badRequest('Header Too Long'))),
        },
      );
    }
    let valueStart = colon + 1;
    while (valueStart < valueEnd) {
      const c = text.charCodeAt(valueStart);
      if (c !== 32 && c !== 9 && c !== CR && c !== LF) break;
      valueStart++;
    }
    while (valueEnd > valueStart) {
      const c = text.charCodeAt(valueEnd - 1);
      if (c !== 32 && c !== 9 && c !== CR && c !== LF) break;
      valueEnd--;
    }
    const name = text.slice(i, nameEnd);
    fields.push(
      new HeaderField(
        name,
        undefined,
        headerKey(name),
        source,
        headStart + i,
        headStart + Math.min(lineEnd + 1, textLength),
        valueStart,
        valueEnd,
        folded,
      ),
    );
    i = lineEnd + 1;
  }
  if (fields.length > lim.maxHeaders) {
    throw new SipParseError(
      'TOO_MANY_HEADERS',
      `the message has more than ${lim.maxHeaders} headers`,
      {
        offset: headStart,
        limit: 'maxHeaders',
        ...optional(answer(badRequest('Too Many Headers'))),
      },
    );
  }
  // ---- body (§18.3, §20.14)
  let contentLength = -1;
  for (let f = 0; f < fields.length; f++) {
    const field = fields[f]!;
    if (field.key !== 'content-length') continue;
    const value = contentLengthOf(text, field, headStart, answer);
    if (contentLength !== -1 && value !== contentLength) {
      throw new SipParseError('BAD_CONTENT_LENGTH', 'conflicting Content-Length headers', {
        offset: field.lineStart,
        header: 'Content-Length',
        ...optional(answer(badRequest('Conflicting Content-Length'))),
      });
    }
    contentLength = value;
  }
  const available = length - bodyStart;
  let body: Uint8Array;
  if (contentLength === -1) body = bytes.subarray(bodyStart);
  else if (contentLength > available) {
    throw new SipParseError(
      'BODY_TRUNCATED',
      `Content-Length is ${contentLength} but only ${available} body bytes follow`,
      {
        offset: length,
        header: 'Content-Length',
        ...optional(answer(badRequest('Content-Length Larger Than Body'))),
      },
    );
  } else body = bytes.subarray(bodyStart, bodyStart + contentLength);

  if (isResponse)
    return new SipResponse(status, reason, fields, body, version, source, startLineRange);
  return new SipRequest(method, uri!, fields, body, version, source, startLineRange);
}

function optional(response: ParseErrorResponse | undefined): { response?: ParseErrorResponse } {
  return response === undefined ? {} : { response };
}

function startLineError(
  message: string,
  offset: number,
  response: ParseErrorResponse | undefined,
): SipParseError {
  return new SipParseError('BAD_START_LINE', message, { offset, ...optional(response) });
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; only 2.0 is supported (§8.2.2 → 505). */
function checkVersion(version: string, offset: number, isResponse: boolean): void {
  if (version.length === 7 && (version === 'SIP/2.0' || version.toUpperCase() === 'SIP/2.0'))
    return;
  const dot = version.indexOf('.');
  const wellFormed =
    version.length > 4 &&
    version.slice(0, 4).toUpperCase() === 'SIP/' &&
    dot > 4 &&
    /^\d+$/.test(version.slice(4, dot)) &&
    /^\d+$/.test(version.slice(dot + 1));
  if (wellFormed) {
    throw new SipParseError(
      'UNSUPPORTED_VERSION',
      `SIP version ${version.slice(4)} is not supported`,
      {
        offset,
        ...optional(isResponse ? undefined : { status: 505, reason: 'Version Not Supported' }),
      },
    );
  }
  throw new SipParseError('BAD_VERSION', `"${version}" is not a SIP version`, {
    offset,
    ...optional(isResponse ? undefined : badRequest('Malformed SIP-Version')),
  });
}

function contentLengthOf(
  text: string,
  field: HeaderField,
  headStart: number,
  answer: (r: ParseErrorResponse) => ParseErrorResponse | undefined,
): number {
  let value = 0;
  const start = field.valueStart;
  const end = field.valueEnd;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57 || i - start > 9) {
      throw new SipParseError('BAD_CONTENT_LENGTH', 'Content-Length is not a decimal number', {
        offset: headStart + i,
        header: 'Content-Length',
        ...optional(answer(badRequest('Bad Content-Length'))),
      });
    }
    value = value * 10 + (c - 48);
  }
  if (end === start) {
    throw new SipParseError('BAD_CONTENT_LENGTH', 'Content-Length is empty', {
      offset: headStart + start,
      header: 'Content-Length',
      ...optional(answer(badRequest('Bad Content-Length'))),
    });
  }
  return value;
}
