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
import { CHAR_CLASS, TOKEN, TOKEN_BYTE } from './chars.js';
import {
  SipParseError,
  badRequest,
  type ParseErrorResponse,
  type SipLimitName,
  type SipParseErrorCode,
} from './errors.js';
import { COMMON_WORDS } from './common-words.js';
import { commonWord, scanSipUri } from './header-scan.js';
import {
  NAME_ID_AT_STATE,
  NAME_TRIE,
  NAME_TRIE_ROOT,
  TOKEN_SYMBOL,
  headerId,
} from './header-names.js';
import { bytesWithin, resolveLimits, type ParseLimits } from './limits.js';
import {
  RAW_PLAIN_HEAD,
  RAW_STRIDE,
  SipRequest,
  SipResponse,
  type HeaderField,
  type MessageSource,
  type RawHeaders,
} from './message.js';
import { HOT_END, HOT_URI, wasmHeaderScanner } from './header-scan-wasm.js';
import { decodeLatin1, decodeUtf8 } from './text.js';
import { parseUri, type Uri } from './uri.js';

const LF = 10;
const CR = 13;

const TOO_LARGE: ParseErrorResponse = { status: 513, reason: 'Message Too Large' };

/**
 * Parses one message. Throws {@link SipParseError} when it is malformed or over a limit.
 * The message keeps views into `bytes` (body, untouched header lines): do not reuse the buffer
 * for other data while the message is in use.
 */
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
  if (length > lim.maxMessageSize) {
    throw new SipParseError(
      'MESSAGE_TOO_LARGE',
      `the message is ${length} bytes, over maxMessageSize (${lim.maxMessageSize})`,
      {
        offset: bytesWithin(lim.maxMessageSize),
        limit: 'maxMessageSize',
        ...optional(isResponse ? undefined : TOO_LARGE),
      },
    );
  }

  // Decode once. When the message is ASCII (the usual case), string offsets are byte offsets,
  // native string search does the scanning, and the text is the bytes (the serializer relies on
  // that). Every valid multi-byte sequence, and every ill-formed one longer than a byte, decodes
  // to fewer chars than bytes, so equal lengths mean each byte became one char: ASCII, or U+FFFD
  // for a stray byte. Otherwise decode byte-per-char and decode values holding non-ASCII bytes
  // as UTF-8 on access.
  const headStart = pos;
  // The WebAssembly scanner takes well-formed messages (it finds the start line's end, tells
  // whether the message is ASCII and scans the header lines); it returns -1 for anything else,
  // and the TypeScript code below (the reference) parses the message and reports the error.
  // Its results are used once the start line has been checked, so errors come in the same order.
  const maxHeaderLineLength = lim.maxHeaderLineLength;
  const wasm = wasmHeaderScanner();
  let lines = -1;
  if (wasm !== undefined && length <= wasm.input.length) {
    wasm.input.set(bytes);
    // The scanner takes the limit as an unsigned 32-bit integer: a negative one (every line over
    // it) becomes 0, and one beyond the message (Infinity too) the message's length.
    const lineLimit = maxHeaderLineLength < 0 ? 0 : Math.min(maxHeaderLineLength, length);
    lines = wasm.scan(length, headStart, lineLimit, ID_CONTENT_LENGTH);
  }
  let text = decodeUtf8(bytes, pos, length);
  const ascii =
    lines >= 0
      ? wasm!.ascii() === 1
      : text.length === length - pos && text.indexOf('\uFFFD') === -1;
  if (!ascii) text = decodeLatin1(bytes, pos, length);
  const textLength = text.length;
  const source: MessageSource = {
    bytes,
    text,
    base: headStart,
    ascii,
    hot: undefined,
    hotVia: undefined,
    hotFrom: undefined,
    hotTo: undefined,
    hotCallId: undefined,
    hotCSeq: undefined,
    hotViaAt: -1,
    hotFromAt: -1,
    hotToAt: -1,
    hotCallIdAt: -1,
    hotCSeqAt: -1,
  };
  let raw: RawHeaders | undefined;
  if (lines >= 0) {
    // The rows of the scanner's table into the message's own array; the hot-header records stay
    // in the table until the next scan (which copies them out if the message still needs them).
    const table = wasm!.table;
    const count = RAW_PLAIN_HEAD + lines * RAW_STRIDE;
    raw = new Array<number>(count);
    raw[0] = RAW_PLAIN_HEAD;
    raw[1] = table[1]!;
    for (let k = RAW_PLAIN_HEAD, t = HOT_END; k < count; k++, t++) raw[k] = table[t]!;
    wasm!.lendHot(source);
  }

  // ---- start line
  let nl = lines >= 0 ? wasm!.startLineEnd() : text.indexOf('\n');
  if (nl === -1) throw unterminated(length, isResponse);
  const startLineEnd = nl;
  const startContentEnd = nl > 0 && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
  if (startContentEnd > lim.maxStartLineLength) {
    throw new SipParseError(
      'START_LINE_TOO_LONG',
      `the start line is longer than maxStartLineLength (${lim.maxStartLineLength} bytes)`,
      {
        offset: headStart + bytesWithin(lim.maxStartLineLength),
        limit: 'maxStartLineLength',
        ...optional(isResponse ? undefined : badRequest('Start Line Too Long')),
      },
    );
  }

  let method = '';
  let uri: Uri | undefined;
  let version: string;
  let status = 0;
  let reason = '';
  if (isResponse) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
    // The usual "SIP/2.0 " read on the bytes ("SIP/" is checked above); else by string search.
    const usual = isSip20At(bytes, headStart) && bytes[headStart + 7] === 32;
    const sp = usual ? 7 : text.indexOf(' ');
    if (sp === -1 || sp > startContentEnd) {
      throw startLineError('the status line has no status code', headStart, undefined);
    }
    if (usual) version = SIP_2_0;
    else {
      version = text.slice(0, sp);
      checkVersion(version, headStart, true);
    }
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
    // The usual line on the bytes: token chars then SP (the first SP), and " SIP/2.0" at the
    // end (then the last SP); anything else by string search, which also finds every error.
    // The scanner names a common method (it checked the token and the SP after it) and records
    // the Request-URI only on the usual line.
    const word = lines >= 0 ? wasm!.methodWord() : -1;
    let sp1: number;
    if (word !== -1) {
      method = COMMON_WORDS[word]!;
      sp1 = method.length;
    } else {
      const tokenByte = TOKEN_BYTE;
      let k = headStart;
      while (tokenByte[bytes[k]!] === 1) k++;
      sp1 = k - headStart;
      if (sp1 === 0 || bytes[k] !== 32 || sp1 > startContentEnd) {
        sp1 = text.indexOf(' ');
        if (sp1 <= 0 || sp1 > startContentEnd) {
          throw startLineError(
            'the request line has no Request-URI',
            headStart,
            badRequest('Malformed Request-Line'),
          );
        }
        for (let i = 0; i < sp1; i++) {
          if (tokenByte[bytes[headStart + i]!] === 0) {
            throw new SipParseError('BAD_METHOD', `the method has an invalid character at ${i}`, {
              offset: headStart + i,
              response: badRequest('Malformed Method'),
            });
          }
        }
      }
      method = commonWord(source, 0, sp1);
    }
    let sp2 = startContentEnd - 8;
    const usual =
      (lines >= 0 && source.hot![HOT_URI] !== -1) ||
      (sp2 > sp1 + 1 && bytes[headStart + sp2] === 32 && isSip20At(bytes, headStart + sp2 + 1));
    if (!usual) sp2 = text.lastIndexOf(' ', startContentEnd - 1);
    if (sp2 <= sp1 + 1) {
      throw startLineError(
        'the request line needs "METHOD URI SIP/2.0" separated by single spaces',
        headStart,
        badRequest('Malformed Request-Line'),
      );
    }
    if (usual) version = SIP_2_0;
    else {
      version = text.slice(sp2 + 1, startContentEnd);
      checkVersion(version, headStart + sp2 + 1, false);
    }
    uri = scanSipUri(source, sp1 + 1, sp2);
    if (uri === undefined) uri = requestUri(text.slice(sp1 + 1, sp2), headStart + sp1 + 1);
  }

  // ---- header lines
  // One pass over each line's bytes: the name is scanned (and recognised) on the bytes, the line
  // end found by native search in the text; only offsets are kept (`RawHeaders`). `base` maps a
  // text index to its byte index.
  const base = headStart;
  const scratch = SCRATCH;
  // Tables in locals: imported bindings are re-checked on every use inside the loops.
  const nameTrie = NAME_TRIE;
  const tokenSymbol = TOKEN_SYMBOL;
  const lwsByte = LWS_BYTE;
  const idAtState = NAME_ID_AT_STATE;
  const idContentLength = ID_CONTENT_LENGTH;
  // `RawHeaders` (see message.ts): where the rows start, where the first line starts, the rows.
  const first = RAW_PLAIN_HEAD;
  scratch[0] = RAW_PLAIN_HEAD;
  scratch[1] = startLineEnd + 1;
  let n = RAW_PLAIN_HEAD; // numbers written to scratch
  let contentLength = -1;
  let i = startLineEnd + 1;
  let bodyStart = -1; // the header section ends with an empty line (CRLF, or a bare LF)
  if (lines >= 0) {
    n = RAW_PLAIN_HEAD + lines * RAW_STRIDE;
    bodyStart = wasm!.bodyStart();
    contentLength = wasm!.contentLength();
    i = textLength; // skips the loop
  }
  while (i < textLength) {
    const first = bytes[base + i]!;
    if (first === LF || (first === CR && bytes[base + i + 1] === LF)) {
      bodyStart = base + i + (first === LF ? 1 : 2);
      break;
    }
    // field-name: token chars, then optional SP/HTAB, then ":" (§7.3.1). Walking the trie of
    // known names over the same bytes gives the header id (0 = unknown) in this one pass.
    let k = base + i;
    let state = NAME_TRIE_ROOT;
    for (;;) {
      const symbol = tokenSymbol[bytes[k]!];
      if (symbol === 0 || k >= length) break;
      state = nameTrie[(state << 6) | symbol!]!; // NAME_TRIE_WIDTH is 64
      k++;
    }
    let colon = k;
    while (bytes[colon] === 32 || bytes[colon] === 9) colon++;
    if (k === base + i || bytes[colon] !== 58) {
      badHeaderLine(text, i, headStart, length, isResponse);
      break; // no error: the line is not terminated (the header section is unterminated)
    }
    colon -= base;
    nl = text.indexOf('\n', colon);
    if (nl === -1) break;
    const id = idAtState[state]!;
    // Folding (§7.3.1): following lines starting with SP/HTAB belong to this header.
    let folded = 0;
    let lineEnd = nl; // LF of the last physical line
    for (;;) {
      const next = bytes[base + lineEnd + 1];
      if (next !== 32 && next !== 9) break;
      folded = 1;
      const nnl = text.indexOf('\n', lineEnd + 1);
      if (nnl === -1) throw unterminated(length, isResponse);
      lineEnd = nnl;
    }
    // Value: without the whitespace around it (and the CR/LF of folding at its ends).
    let valueEnd = lineEnd > 0 && bytes[base + lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    if (valueEnd - i > maxHeaderLineLength) {
      throw fail(
        'HEADER_LINE_TOO_LONG',
        `a header line is longer than maxHeaderLineLength (${maxHeaderLineLength} bytes)`,
        headStart + i + bytesWithin(maxHeaderLineLength),
        isResponse,
        HEADER_TOO_LONG,
        { limit: 'maxHeaderLineLength' },
      );
    }
    let valueStart = colon + 1;
    while (valueStart < valueEnd && lwsByte[bytes[base + valueStart]!] === 1) valueStart++;
    while (valueEnd > valueStart && lwsByte[bytes[base + valueEnd - 1]!] === 1) valueEnd--;
    if (id === idContentLength) {
      const value = contentLengthOf(bytes, base + valueStart, base + valueEnd, isResponse);
      if (contentLength !== -1 && value !== contentLength) {
        throw fail(
          'BAD_CONTENT_LENGTH',
          'conflicting Content-Length headers',
          headStart + i,
          isResponse,
          badRequest('Conflicting Content-Length'),
          { header: 'Content-Length' },
        );
      }
      contentLength = value;
    }
    scratch[n] = id;
    scratch[n + 1] = valueStart;
    scratch[n + 2] = valueEnd;
    scratch[n + 3] = (lineEnd + 1) * 2 + folded;
    n += RAW_STRIDE;
    i = lineEnd + 1;
  }
  if (bodyStart === -1) throw unterminated(length, isResponse);
  if (n - first > lim.maxHeaders * RAW_STRIDE) {
    // The first header line over the count (a fractional limit allows its whole part): where the
    // line before it ends; or where the first would be when a negative limit refuses a section
    // without any.
    const over = first + Math.max(0, Math.floor(lim.maxHeaders)) * RAW_STRIDE;
    throw fail(
      'TOO_MANY_HEADERS',
      `the message has more than maxHeaders (${lim.maxHeaders}) headers`,
      headStart + (over < n && over > first ? (raw ?? scratch)[over - 1]! >>> 1 : startLineEnd + 1),
      isResponse,
      badRequest('Too Many Headers'),
      { limit: 'maxHeaders' },
    );
  }

  // ---- body (§18.3, §20.14)
  const available = length - bodyStart;
  let bodyEnd = length;
  if (contentLength !== -1) {
    if (contentLength > available) {
      throw fail(
        'BODY_TRUNCATED',
        `Content-Length is ${contentLength} but only ${available} body bytes follow`,
        length,
        isResponse,
        badRequest('Content-Length Larger Than Body'),
        { header: 'Content-Length' },
      );
    }
    bodyEnd = bodyStart + contentLength;
  }
  raw ??= scratch.slice(0, n);
  // The body view is made on first access.
  const lineEnd = headStart + startLineEnd + 1;
  if (isResponse) {
    return new SipResponse(
      status,
      reason,
      NO_FIELDS,
      null,
      version,
      source,
      lineEnd,
      raw,
      bodyStart,
      bodyEnd,
    );
  }
  return new SipRequest(
    method,
    uri!,
    NO_FIELDS,
    null,
    version,
    source,
    lineEnd,
    raw,
    bodyStart,
    bodyEnd,
  );
}

const SIP_2_0 = 'SIP/2.0';

/** `bytes` hold "SIP/2.0" at `at`. */
function isSip20At(bytes: Uint8Array, at: number): boolean {
  return (
    bytes[at] === 83 &&
    bytes[at + 1] === 73 &&
    bytes[at + 2] === 80 &&
    bytes[at + 3] === 47 &&
    bytes[at + 4] === 50 &&
    bytes[at + 5] === 46 &&
    bytes[at + 6] === 48
  );
}
/** Header offsets of the message being parsed; copied out at the end (parsing never re-enters). */
const SCRATCH: number[] = new Array<number>(64 * RAW_STRIDE).fill(0);
/** SP, HTAB, CR, LF by byte. */
const LWS_BYTE = new Uint8Array(256);
LWS_BYTE[32] = LWS_BYTE[9] = LWS_BYTE[CR] = LWS_BYTE[LF] = 1;
const NO_FIELDS: HeaderField[] = [];
const ID_CONTENT_LENGTH = headerId('content-length');
const MALFORMED_HEADER = badRequest('Malformed Header');
const HEADER_TOO_LONG = badRequest('Header Too Long');

/** The Request-URI by the general parser; its errors become `BAD_REQUEST_URI` (400). */
function requestUri(uriText: string, offset: number): Uri {
  try {
    return parseUri(uriText);
  } catch (e) {
    const inner = e instanceof SipParseError ? e : undefined;
    throw new SipParseError('BAD_REQUEST_URI', `bad Request-URI: ${inner?.message ?? String(e)}`, {
      offset: offset + (inner?.offset ?? 0),
      response: badRequest('Bad Request-URI'),
      cause: e,
    });
  }
}

function unterminated(length: number, isResponse: boolean): SipParseError {
  return fail(
    'HEADERS_UNTERMINATED',
    'the header section does not end with an empty line (truncated message?)',
    length,
    isResponse,
    badRequest('Malformed Message'),
  );
}

/** A parse error; `response` is dropped when the message is a response (never answered). */
function fail(
  code: SipParseErrorCode,
  message: string,
  offset: number,
  isResponse: boolean,
  response: ParseErrorResponse,
  extra: { limit?: SipLimitName; header?: string } = {},
): SipParseError {
  return new SipParseError(code, message, {
    offset,
    ...extra,
    ...(isResponse ? {} : { response }),
  });
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
  bytes: Uint8Array,
  start: number,
  end: number,
  isResponse: boolean,
): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57 || i - start > 9) {
      throw fail(
        'BAD_CONTENT_LENGTH',
        'Content-Length is not a decimal number',
        i,
        isResponse,
        badRequest('Bad Content-Length'),
        { header: 'Content-Length' },
      );
    }
    value = value * 10 + (c - 48);
  }
  if (end === start) {
    throw fail(
      'BAD_CONTENT_LENGTH',
      'Content-Length is empty',
      start,
      isResponse,
      badRequest('Bad Content-Length'),
      { header: 'Content-Length' },
    );
  }
  return value;
}

/**
 * A header line whose name is not a token followed by ":": throws the error that names the
 * problem, or returns when the line has no line end (the caller reports the unterminated header
 * section).
 */
function badHeaderLine(
  text: string,
  i: number,
  headStart: number,
  length: number,
  isResponse: boolean,
): void {
  const nl = text.indexOf('\n', i);
  if (nl === -1) return;
  const end = nl > 0 && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
  const first = text.charCodeAt(i);
  if (first === 32 || first === 9) {
    throw fail(
      'BAD_HEADER_LINE',
      'a continuation line follows the start line',
      headStart + i,
      isResponse,
      MALFORMED_HEADER,
    );
  }
  const colon = text.indexOf(':', i);
  if (colon === -1 || colon > end) {
    throw fail(
      'BAD_HEADER_LINE',
      `header line without ":" at byte ${headStart + i}`,
      headStart + i,
      isResponse,
      MALFORMED_HEADER,
    );
  }
  let nameEnd = colon;
  while (nameEnd > i) {
    const c = text.charCodeAt(nameEnd - 1);
    if (c !== 32 && c !== 9) break;
    nameEnd--;
  }
  if (nameEnd === i) {
    throw fail(
      'BAD_HEADER_NAME',
      `empty header name at byte ${headStart + i}`,
      headStart + i,
      isResponse,
      MALFORMED_HEADER,
    );
  }
  for (let k = i; k < nameEnd; k++) {
    const c = text.charCodeAt(k);
    if (c >= 128 || (CHAR_CLASS[c]! & TOKEN) === 0) {
      throw fail(
        'BAD_HEADER_NAME',
        `invalid character in a header name at byte ${headStart + k}`,
        headStart + k,
        isResponse,
        MALFORMED_HEADER,
      );
    }
  }
  // Not reached: a line that fails the scan in parseMessage fails one of the checks above.
  throw fail(
    'BAD_HEADER_LINE',
    'malformed header line',
    headStart + i,
    isResponse,
    MALFORMED_HEADER,
  );
}
