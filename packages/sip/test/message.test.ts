import { describe, expect, it } from 'vitest';
import {
  AuthValue,
  NameAddr,
  SipError,
  SipInputError,
  SipParseError,
  SipUri,
  Via,
  canonicalHeaderName,
  createRequest,
  createResponse,
  parseMessage,
  parseUri,
  serialize,
  type ParseLimits,
  type SipInputArgument,
  type SipInputErrorCode,
  type SipRequest,
  type SipResponse,
} from '@callbridge/sip';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (lines: string[], body = ''): Uint8Array =>
  enc.encode(`${lines.join('\r\n')}\r\n\r\n${body}`);

const INVITE = bytes(
  [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport',
    'Via: SIP/2.0/TCP proxy.example.com:5061;branch=z9hG4bKa;received=192.0.2.1, SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKb',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: "Alice \\"A\\" Liddell" <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@pc33.atlanta.example.com;transport=tcp>;expires=60;q=0.5',
    'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
    'Route: <sip:p3.example.com;lr>',
    'Allow: INVITE, ACK,CANCEL , BYE',
    'Supported: replaces, timer',
    'Require: 100rel',
    'X-Custom:   kept   as is  ',
    'Content-Type: application/sdp',
    'Content-Length: 5',
  ],
  'v=0\r\n',
);

function request(b: Uint8Array): SipRequest {
  const m = parseMessage(b);
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}

function response(b: Uint8Array): SipResponse {
  const m = parseMessage(b);
  if (m.kind !== 'response') throw new Error('expected a response');
  return m;
}

describe('parseMessage', () => {
  it('reads the start line and typed headers', () => {
    const m = request(INVITE);
    expect(m.method).toBe('INVITE');
    expect(m.uri.toString()).toBe('sip:bob@biloxi.example.com');
    expect(m.version).toBe('SIP/2.0');
    expect(m.via.map((v) => v.branch)).toEqual(['z9hG4bK776asdhds', 'z9hG4bKa', 'z9hG4bKb']);
    expect(m.topVia?.transport).toBe('UDP');
    expect(m.topVia?.rport).toBe(null);
    expect(m.via[1]?.received).toBe('192.0.2.1');
    expect(m.via[1]?.port).toBe(5061);
    expect(m.via[2]?.host).toBe('[2001:db8::1]');
    expect(m.from?.displayName).toBe('Alice "A" Liddell');
    expect(m.from?.tag).toBe('1928301774');
    expect(m.to?.tag).toBe(undefined);
    expect(m.to?.displayName).toBe('Bob');
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(m.maxForwards).toBe(70);
    const contact = m.contacts[0]!;
    expect(contact.expires).toBe(60);
    expect(contact.q).toBe(0.5);
    expect(contact.uri.kind === 'sip' && contact.uri.params.get('transport')).toBe('tcp');
    expect(m.recordRoute.map((r) => r.uri.toString())).toEqual([
      'sip:p1.example.com;lr',
      'sip:p2.example.com;lr',
    ]);
    expect(m.route.length).toBe(1);
    expect(m.allow).toEqual(['INVITE', 'ACK', 'CANCEL', 'BYE']);
    expect(m.supported).toEqual(['replaces', 'timer']);
    expect(m.require).toEqual(['100rel']);
    expect(m.header('x-custom')).toBe('kept   as is');
    expect(m.contentType?.essence).toBe('application/sdp');
    expect(m.contentLength).toBe(5);
    expect(dec.decode(m.body)).toBe('v=0\r\n');
  });

  it('treats header names case-insensitively and expands compact forms', () => {
    const m = request(
      bytes([
        'OPTIONS sip:a@example.com SIP/2.0',
        'v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1',
        'f: <sip:b@example.com>;tag=1',
        't: sip:a@example.com',
        'i: abc',
        'CSEQ: 1 OPTIONS',
        'm: *',
        'k: path',
        'l: 0',
        'MAX-forwards: 1',
      ]),
    );
    expect(m.topVia?.branch).toBe('z9hG4bK1');
    expect(m.from?.tag).toBe('1');
    expect(m.to?.uri.toString()).toBe('sip:a@example.com');
    expect(m.callId).toBe('abc');
    expect(m.header('Call-ID')).toBe('abc');
    expect(m.hasHeader('call-id')).toBe(true);
    expect(m.cseq?.seq).toBe(1);
    expect(m.contact).toBe('*');
    expect(m.supported).toEqual(['path']);
    expect(m.maxForwards).toBe(1);
    expect(m.headers.map((h) => h.key)).toContain('content-length');
    expect(canonicalHeaderName('i')).toBe('Call-ID');
    expect(canonicalHeaderName('x-foo-bar')).toBe('X-Foo-Bar');
  });

  it('unfolds folded headers and keeps their bytes', () => {
    const b = bytes([
      'OPTIONS sip:a@example.com SIP/2.0',
      'Subject: one',
      '  two',
      '\tthree',
      'To: sip:a@example.com',
      'Content-Length: 0',
    ]);
    const m = request(b);
    expect(m.header('subject')).toBe('one two three');
    expect(m.to?.uri.toString()).toBe('sip:a@example.com');
    expect(serialize(m)).toEqual(b);
  });

  it('joins values from separate lines and from comma lists', () => {
    const m = request(
      bytes([
        'OPTIONS sip:a@example.com SIP/2.0',
        'Supported: a, b',
        'Supported: c',
        'Contact: "x, y" <sip:x@example.com>, <sip:y@example.com;p=1>;q=0.1',
        'Contact: sip:z@example.com',
      ]),
    );
    expect(m.supported).toEqual(['a', 'b', 'c']);
    expect(m.contacts.map((c) => c.displayName ?? c.uri.toString())).toEqual([
      'x, y',
      'sip:y@example.com;p=1',
      'sip:z@example.com',
    ]);
    expect(m.headerList('contact')).toEqual([
      '"x, y" <sip:x@example.com>',
      '<sip:y@example.com;p=1>;q=0.1',
      'sip:z@example.com',
    ]);
  });

  it('parses auth headers into parameters', () => {
    const m = response(
      bytes([
        'SIP/2.0 401 Unauthorized',
        'WWW-Authenticate: Digest realm="atlanta.example.com", qop="auth,auth-int", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5',
        'Proxy-Authenticate: Digest realm="b", nonce="n\\"q"',
      ]),
    );
    const challenge = m.wwwAuthenticate[0]!;
    expect(challenge.scheme).toBe('Digest');
    expect(challenge.param('realm')).toBe('atlanta.example.com');
    expect(challenge.param('qop')).toBe('auth,auth-int');
    expect(challenge.param('opaque')).toBe('');
    expect(challenge.param('algorithm')).toBe('MD5');
    expect(challenge.params.raw('nonce')).toBe('"ea9c8e88df84f1cec4341ae6cbe5a359"');
    expect(m.proxyAuthenticate[0]!.param('nonce')).toBe('n"q');
    const built = AuthValue.build('Digest', {
      username: 'bob',
      realm: 'r',
      nonce: 'n',
      uri: 'sip:r',
      response: 'abc',
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'c',
    });
    expect(built.toString()).toBe(
      'Digest username="bob", realm="r", nonce="n", uri="sip:r", response="abc", algorithm=MD5, qop=auth, nc=00000001, cnonce="c"',
    );
  });

  it('parses the extension headers', () => {
    const m = request(
      bytes([
        'REFER sip:b@example.com SIP/2.0',
        'Event: refer;id=93809824',
        'Refer-To: <sip:c@example.com?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>',
        'Referred-By: <sip:a@example.com>',
        'Replaces: abc@h;to-tag=1;from-tag=2;early-only',
        'RSeq: 988789',
        'RAck: 776656 1 INVITE',
        'Session-Expires: 1800;refresher=uac',
        'Min-SE: 90',
        'Expires: 7200',
      ]),
    );
    expect(m.event).toMatchObject({ event: 'refer', id: '93809824' });
    const referTo = m.referTo!.uri;
    expect(referTo.kind === 'sip' && referTo.headers.raw('Replaces')).toBe(
      'abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2',
    );
    expect(m.referredBy?.uri.toString()).toBe('sip:a@example.com');
    expect(m.replaces).toMatchObject({
      callId: 'abc@h',
      toTag: '1',
      fromTag: '2',
      earlyOnly: true,
    });
    expect(m.rseq).toBe(988789);
    expect(m.rack).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
    expect(m.sessionExpires).toMatchObject({ delta: 1800, refresher: 'uac' });
    expect(m.minSE).toBe(90);
    expect(m.expires).toBe(7200);
  });

  it('parses responses, including empty and UTF-8 reason phrases', () => {
    const ok = response(bytes(['SIP/2.0 200 OK', 'Content-Length: 0']));
    expect([ok.status, ok.reason]).toEqual([200, 'OK']);
    const empty = response(bytes(['SIP/2.0 183 ', 'Content-Length: 0']));
    expect(empty.reason).toBe('');
    const utf8 = response(bytes(['SIP/2.0 486 Occupé', 'Subject: ça va', 'Content-Length: 0']));
    expect(utf8.reason).toBe('Occupé');
    expect(utf8.header('subject')).toBe('ça va');
    expect(serialize(utf8)).toEqual(
      bytes(['SIP/2.0 486 Occupé', 'Subject: ça va', 'Content-Length: 0']),
    );
  });

  it('keeps offsets right around stray non-UTF-8 bytes', () => {
    const head = enc.encode('OPTIONS sip:a@example.com SIP/2.0\r\nSubject: a');
    const tail = enc.encode('b\r\nCall-ID: x\r\nX-Note: ñ\r\nContent-Length: 2\r\n\r\nzz');
    for (const stray of [[0xff], [0xc3], [0xe2, 0x82]]) {
      const b = new Uint8Array([...head, ...stray, ...tail]);
      const m = request(b);
      expect(m.header('subject')).toBe('a\uFFFDb');
      expect(m.callId).toBe('x');
      expect(m.header('x-note')).toBe('ñ');
      expect(dec.decode(m.body)).toBe('zz');
      expect(serialize(m)).toEqual(b);
    }
    const lone = request(new Uint8Array([...head, 0xff, ...enc.encode('b\r\nCall-ID: y\r\n\r\n')]));
    expect(lone.header('subject')).toBe('a\uFFFDb');
    expect(lone.callId).toBe('y');
  });

  it('ignores CRLFs before the start line and bytes after the body', () => {
    const b = enc.encode(
      '\r\n\r\nOPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 2\r\n\r\nabJUNK',
    );
    const m = request(b);
    expect(dec.decode(m.body)).toBe('ab');
  });

  it('takes the rest of the datagram as body without Content-Length (RFC 2543 peers)', () => {
    const m = request(
      enc.encode('OPTIONS sip:a@example.com SIP/2.0\r\nTo: sip:a@example.com\r\n\r\nxyz'),
    );
    expect(dec.decode(m.body)).toBe('xyz');
    expect(m.contentLength).toBe(undefined);
  });

  it('accepts bare LF line endings', () => {
    const m = request(
      enc.encode('OPTIONS sip:a@example.com SIP/2.0\nCall-ID: x\nContent-Length: 1\n\nz'),
    );
    expect(m.callId).toBe('x');
    expect(dec.decode(m.body)).toBe('z');
  });

  it('throws SipParseError with code, offset and the response to send', () => {
    const cases: [string, string, number | undefined][] = [
      ['', 'EMPTY_MESSAGE', undefined],
      ['OPTIONS sip:a@example.com SIP/2.0\r\nTo: x\r\n', 'HEADERS_UNTERMINATED', 400],
      ['OPTIONS sip:a@example.com SIP/3.0\r\n\r\n', 'UNSUPPORTED_VERSION', 505],
      ['OPTIONS sip:a@example.com HTTP/1.1\r\n\r\n', 'BAD_VERSION', 400],
      ['OPT@ONS sip:a@example.com SIP/2.0\r\n\r\n', 'BAD_METHOD', 400],
      ['OPTIONS sip:a@exa mple.com SIP/2.0\r\n\r\n', 'BAD_REQUEST_URI', 400],
      ['OPTIONS sip:a@example.com SIP/2.0\r\nNoColon\r\n\r\n', 'BAD_HEADER_LINE', 400],
      ['OPTIONS sip:a@example.com SIP/2.0\r\nBad Name: x\r\n\r\n', 'BAD_HEADER_NAME', 400],
      ['OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: x\r\n\r\n', 'BAD_CONTENT_LENGTH', 400],
      ['OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 9\r\n\r\nab', 'BODY_TRUNCATED', 400],
      ['SIP/2.0 2000 OK\r\n\r\n', 'BAD_STATUS_CODE', undefined],
      ['SIP/2.0 099 Low\r\n\r\n', 'BAD_STATUS_CODE', undefined],
      ['SIP/2.0 200 OK\r\nContent-Length: 9\r\n\r\n', 'BODY_TRUNCATED', undefined],
    ];
    for (const [text, code, status] of cases) {
      let error: unknown;
      try {
        parseMessage(enc.encode(text));
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(SipParseError);
      const e = error as SipParseError;
      expect(e.code, text).toBe(code);
      expect(e.response?.status, text).toBe(status);
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.message.length).toBeGreaterThan(10);
    }
  });

  it('reports the offset of the problem', () => {
    try {
      parseMessage(enc.encode('OPTIONS sip:a@example.com SIP/2.0\r\nGood: 1\r\nBa(d: x\r\n\r\n'));
      expect.unreachable();
    } catch (e) {
      expect((e as SipParseError).offset).toBe(46);
    }
  });

  it('throws SipParseError from accessors for malformed known headers', () => {
    const m = request(
      bytes([
        'OPTIONS sip:a@example.com SIP/2.0',
        'CSeq: x OPTIONS',
        'Max-Forwards: 256',
        'Via: SIP/2.0',
      ]),
    );
    expect(() => m.cseq).toThrow(SipParseError);
    // The offset is the byte offset in the message: the "x" after "CSeq: ".
    expect(catchError(() => m.cseq).offset).toBe(41);
    expect(catchError(() => m.clone().headers[0]!.value && m.clone().cseq).offset).toBe(41);
    expect(() => m.maxForwards).toThrow(/Max-Forwards/);
    try {
      void m.via;
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SipParseError);
      expect((e as SipParseError).header).toBe('Via');
      expect((e as SipParseError).response?.status).toBe(400);
    }
  });
});

describe('limits', () => {
  // Every limit error names the limit (field and message) and points at the first byte beyond
  // it. Two leading CRLFs (skipped, §7.5) and a non-ASCII header keep byte offsets honest.
  const lead = '\r\n\r\n';
  const head = `${lead}OPTIONS sip:a@example.com SIP/2.0\r\nSubject: größer\r\n`;
  const byteOffset = (text: string, part: string): number => {
    const index = text.indexOf(part);
    expect(index).toBeGreaterThanOrEqual(0);
    return enc.encode(text.slice(0, index)).length;
  };
  function expectLimit(
    text: string,
    limits: Partial<ParseLimits>,
    expected: { code: string; limit: keyof ParseLimits; offset: number; status: number },
  ): void {
    const e = catchError(() => parseMessage(enc.encode(text), limits));
    expect([e.code, e.limit, e.offset, e.response?.status]).toEqual([
      expected.code,
      expected.limit,
      expected.offset,
      expected.status,
    ]);
    expect(e.message).toContain(`${expected.limit} (${limits[expected.limit]}`);
  }

  it('maxMessageSize: 513, offset at the limit', () => {
    const text = `${head}X: ${'a'.repeat(300)}\r\n\r\n`;
    expectLimit(
      text,
      { maxMessageSize: 200 },
      {
        code: 'MESSAGE_TOO_LARGE',
        limit: 'maxMessageSize',
        offset: 200,
        status: 513,
      },
    );
    const big = bytes(['OPTIONS sip:a@example.com SIP/2.0', `X: ${'a'.repeat(70000)}`]);
    expect(catchError(() => parseMessage(big)).limit).toBe('maxMessageSize');
    expect(() =>
      parseMessage(big, { maxMessageSize: 100000, maxHeaderLineLength: 100000 }),
    ).not.toThrow();
  });

  it('maxStartLineLength: offset in the start line, the limit past its first byte', () => {
    expectLimit(
      `${head}\r\n`,
      { maxStartLineLength: 10 },
      {
        code: 'START_LINE_TOO_LONG',
        limit: 'maxStartLineLength',
        offset: lead.length + 10,
        status: 400,
      },
    );
  });

  it('maxHeaderLineLength: offset in the long line, folding included', () => {
    const text = `${head}X: ${'a'.repeat(300)}\r\nY: b\r\n\r\n`;
    expectLimit(
      text,
      { maxHeaderLineLength: 200 },
      {
        code: 'HEADER_LINE_TOO_LONG',
        limit: 'maxHeaderLineLength',
        offset: byteOffset(text, 'X: ') + 200,
        status: 400,
      },
    );
    const folded = `${head}X: ${'a'.repeat(150)}\r\n ${'b'.repeat(100)}\r\n\r\n`;
    expectLimit(
      folded,
      { maxHeaderLineLength: 200 },
      {
        code: 'HEADER_LINE_TOO_LONG',
        limit: 'maxHeaderLineLength',
        offset: byteOffset(folded, 'X: ') + 200,
        status: 400,
      },
    );
    // The limit is crossed in the continuation line.
    expect(enc.encode(folded)[byteOffset(folded, 'X: ') + 200]).toBe('b'.charCodeAt(0));
  });

  it('maxHeaders: offset at the first header line over the count', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `X${i}: y\r\n`).join('');
    const text = `${head}${lines}\r\n`;
    // Subject is the first header: X9 is the 11th.
    expectLimit(
      text,
      { maxHeaders: 10 },
      {
        code: 'TOO_MANY_HEADERS',
        limit: 'maxHeaders',
        offset: byteOffset(text, 'X9: '),
        status: 400,
      },
    );
    expect(() => parseMessage(enc.encode(text), { maxHeaders: 21 })).not.toThrow();
    // A fractional limit allows its whole part; a negative one no header line at all, so the
    // offset is the first header line, or where it would be when there is none.
    const tooMany = { code: 'TOO_MANY_HEADERS', limit: 'maxHeaders', status: 400 } as const;
    for (const maxHeaders of [10.2, 10.5]) {
      expectLimit(text, { maxHeaders }, { ...tooMany, offset: byteOffset(text, 'X9: ') });
    }
    expectLimit(text, { maxHeaders: -1 }, { ...tooMany, offset: byteOffset(text, 'Subject: ') });
    const bare = `${lead}OPTIONS sip:a@example.com SIP/2.0\r\n\r\n`;
    expectLimit(bare, { maxHeaders: -1 }, { ...tooMany, offset: bare.length - 2 });
  });

  it('points past the whole part of a fractional limit, and at the start for a negative one', () => {
    const text = `${head}X: ${'a'.repeat(300)}\r\n\r\n`;
    const start = lead.length;
    const cases: [Partial<ParseLimits>, number][] = [
      [{ maxMessageSize: 200.5 }, 200],
      [{ maxMessageSize: -5 }, 0],
      [{ maxStartLineLength: 10.5 }, start + 10],
      [{ maxStartLineLength: -5 }, start],
      [{ maxHeaderLineLength: 200.5 }, byteOffset(text, 'X: ') + 200],
      [{ maxHeaderLineLength: -5 }, byteOffset(text, 'Subject: ')],
    ];
    for (const [limits, offset] of cases) {
      expect(catchError(() => parseMessage(enc.encode(text), limits)).offset).toBe(offset);
    }
  });

  it('answers nothing for a response over a limit', () => {
    const e = catchError(() =>
      parseMessage(enc.encode(`SIP/2.0 200 OK\r\nX: ${'a'.repeat(300)}\r\n\r\n`), {
        maxHeaderLineLength: 100,
      }),
    );
    expect([e.code, e.offset, e.response]).toEqual([
      'HEADER_LINE_TOO_LONG',
      'SIP/2.0 200 OK\r\n'.length + 100,
      undefined,
    ]);
  });
});

function catchError(f: () => unknown): SipParseError {
  try {
    f();
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('expected a SipParseError');
}

describe('serialize and mutation', () => {
  it('returns the original bytes for an untouched message', () => {
    const m = parseMessage(INVITE);
    expect(serialize(m)).toEqual(INVITE);
  });

  it('keeps untouched headers byte-exact and in order while editing others', () => {
    const m = request(INVITE);
    m.setHeader('Max-Forwards', '69');
    m.prependVia(
      new Via({ transport: 'UDP', host: 'b2bua.example.com', port: 5070 }).withParam(
        'branch',
        'z9hG4bKnew',
      ),
    );
    m.removeHeader('Route');
    m.appendHeader('X-Custom', 'second');
    const out = dec.decode(serialize(m));
    const lines = out.split('\r\n');
    expect(lines[0]).toBe('INVITE sip:bob@biloxi.example.com SIP/2.0');
    expect(lines[1]).toBe('Via: SIP/2.0/UDP b2bua.example.com:5070;branch=z9hG4bKnew');
    expect(lines[2]).toBe(
      'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport',
    );
    expect(lines).toContain('Max-Forwards: 69');
    expect(lines).toContain(
      'From: "Alice \\"A\\" Liddell" <sip:alice@atlanta.example.com>;tag=1928301774',
    );
    expect(lines).toContain('X-Custom:   kept   as is  ');
    expect(lines.indexOf('X-Custom: second')).toBe(lines.indexOf('X-Custom:   kept   as is  ') + 1);
    expect(out).not.toContain('Route: <sip:p3');
    expect(out.endsWith('\r\n\r\nv=0\r\n')).toBe(true);
    const again = request(enc.encode(out));
    expect(again.via.length).toBe(4);
    expect(again.maxForwards).toBe(69);
    expect(again.topVia?.branch).toBe('z9hG4bKnew');
  });

  it('pops and replaces the top Via and the first Route value', () => {
    const m = request(INVITE);
    m.setTopVia(m.topVia!.withParam('received', '198.51.100.7').withParam('rport', '5062'));
    expect(m.topVia?.received).toBe('198.51.100.7');
    expect(m.topVia?.rport).toBe(5062);
    expect(m.via.length).toBe(3);
    const popped = m.removeTopVia();
    expect(popped?.branch).toBe('z9hG4bK776asdhds');
    expect(m.removeTopVia()?.branch).toBe('z9hG4bKa');
    expect(m.via.map((v) => v.branch)).toEqual(['z9hG4bKb']);
    expect(m.removeFirstValue('Record-Route')).toBe('<sip:p1.example.com;lr>');
    expect(m.recordRoute.map((r) => r.uri.toString())).toEqual(['sip:p2.example.com;lr']);
  });

  it('changes the start line and body', () => {
    const m = request(INVITE);
    m.uri = parseUri('sip:carol@chicago.example.com');
    m.setBody('hello', 'text/plain');
    const again = request(serialize(m));
    expect(again.uri.toString()).toBe('sip:carol@chicago.example.com');
    expect(again.contentType?.essence).toBe('text/plain');
    expect(again.contentLength).toBe(5);
    expect(again.bodyText).toBe('hello');
    const r = response(bytes(['SIP/2.0 200 OK', 'Content-Length: 0']));
    r.status = 202;
    r.reason = 'Accepted';
    expect(dec.decode(serialize(r))).toBe('SIP/2.0 202 Accepted\r\nContent-Length: 0\r\n\r\n');
  });

  it('clones independently', () => {
    const m = request(INVITE);
    const copy = m.clone();
    copy.setHeader('Max-Forwards', '1');
    expect(m.maxForwards).toBe(70);
    expect(copy.maxForwards).toBe(1);
    expect(serialize(m)).toEqual(INVITE);
    expect(copy.toString()).toContain('\r\nMax-Forwards: 1\r\n');
    expect(m.toString()).toBe(dec.decode(INVITE));
  });
});

describe('createRequest and createResponse', () => {
  it('builds a request with Content-Length and typed headers', () => {
    const req = createRequest({
      method: 'INVITE',
      uri: 'sip:bob@example.com',
      headers: [
        [
          'Via',
          new Via({ transport: 'UDP', host: '192.0.2.1', port: 5060 }).withParam(
            'branch',
            'z9hG4bK1',
          ),
        ],
        ['From', new NameAddr(parseUri('sip:alice@example.com')).withTag('abc')],
        ['To', new NameAddr(new SipUri({ user: 'bob', host: 'example.com' }))],
        ['Call-ID', 'c1'],
        ['CSeq', '1 INVITE'],
        ['Max-Forwards', '70'],
      ],
      body: 'v=0\r\n',
      contentType: 'application/sdp',
    });
    const text = dec.decode(serialize(req));
    expect(text).toBe(
      [
        'INVITE sip:bob@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
        'From: <sip:alice@example.com>;tag=abc',
        'To: <sip:bob@example.com>',
        'Call-ID: c1',
        'CSeq: 1 INVITE',
        'Max-Forwards: 70',
        'Content-Type: application/sdp',
        'Content-Length: 5',
        '',
        'v=0',
        '',
      ].join('\r\n'),
    );
    const parsed = request(serialize(req));
    expect(parsed.from?.tag).toBe('abc');
    expect(parsed.contentLength).toBe(5);
  });

  it('copies Via, From, To, Call-ID, CSeq byte for byte and adds the To tag (RFC 3261 §8.2.6)', () => {
    const req = request(INVITE);
    const res = createResponse(req, 180, undefined, { toTag: 'xyz' });
    const text = dec.decode(serialize(res));
    expect(text.startsWith('SIP/2.0 180 Ringing\r\n')).toBe(true);
    for (const line of [
      'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport',
      'From: "Alice \\"A\\" Liddell" <sip:alice@atlanta.example.com>;tag=1928301774',
      'To: Bob <sip:bob@biloxi.example.com>;tag=xyz',
      'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
      'CSeq: 314159 INVITE',
      'Content-Length: 0',
    ]) {
      expect(text).toContain(`${line}\r\n`);
    }
    expect(text).not.toContain('Record-Route');
    const parsed = response(serialize(res));
    expect(parsed.via.length).toBe(3);
    expect(parsed.to?.tag).toBe('xyz');
    const trying = createResponse(
      request(bytes(['OPTIONS sip:a@b.c SIP/2.0', 'Timestamp: 54', 'To: <sip:a@b.c>;tag=1'])),
      100,
    );
    expect(trying.reason).toBe('Trying');
    expect(trying.header('timestamp')).toBe('54');
    expect(trying.to?.tag).toBe('1');
  });
});

describe('comments', () => {
  it('reads Retry-After, Server and User-Agent with comments (RFC 3261 §20.33, §20.35, §20.41)', () => {
    const m = response(
      bytes([
        'SIP/2.0 503 Service Unavailable',
        'Retry-After: 18000 (in a (nested) meeting \\) ok);duration=3600',
        'Server: HomeServer/2 (build 7) Edge',
        'User-Agent: Softphone Beta1.5',
        'Content-Length: 0',
      ]),
    );
    expect(m.retryAfter).toMatchObject({
      delta: 18000,
      comment: 'in a (nested) meeting \\) ok',
      duration: 3600,
    });
    expect(m.server).toEqual([
      { product: 'HomeServer', version: '2' },
      { comment: 'build 7' },
      { product: 'Edge', version: undefined },
    ]);
    expect(m.userAgent).toEqual([
      { product: 'Softphone', version: undefined },
      { product: 'Beta1.5', version: undefined },
    ]);
    const bad = response(
      bytes(['SIP/2.0 503 Busy', 'Retry-After: 5 (unclosed', 'Content-Length: 0']),
    );
    expect(() => bad.retryAfter).toThrow(/unterminated comment/);
  });
});

describe('input checks for messages built in code', () => {
  it('refuses header names, values, methods, status codes and reasons that would inject lines', () => {
    const m = request(INVITE);
    const r = createResponse(m, 200);
    const cases: [() => unknown, SipInputErrorCode, SipInputArgument][] = [
      [() => m.setHeader('X-Evil', 'a\r\nInjected: b'), 'BAD_HEADER_INPUT', 'header'],
      [() => m.appendHeader('Bad Name', 'x'), 'BAD_HEADER_INPUT', 'header'],
      [
        () => m.setHeader('From', new NameAddr(parseUri('sip:a@b.c'), undefined, 'Eve\r\nX: y')),
        'BAD_HEADER_INPUT',
        'header',
      ],
      [
        () => createRequest({ method: 'OPTIONS', uri: 'sip:a@b.c', headers: { 'X\0': 'y' } }),
        'BAD_HEADER_INPUT',
        'header',
      ],
      [
        () => {
          m.method = 'INVITE sip:x SIP/2.0\r\n';
        },
        'INVALID_ARGUMENT',
        'method',
      ],
      [
        () => createRequest({ method: 'BAD METHOD', uri: 'sip:a@b.c' }),
        'INVALID_ARGUMENT',
        'method',
      ],
      [() => createResponse(m, 200, 'OK\r\nX: y'), 'INVALID_ARGUMENT', 'reason'],
      [
        () => {
          r.reason = 'OK\nX: y';
        },
        'INVALID_ARGUMENT',
        'reason',
      ],
      [() => createResponse(m, 99), 'INVALID_ARGUMENT', 'status'],
      [() => createResponse(m, 200.5), 'INVALID_ARGUMENT', 'status'],
      [
        () => {
          r.status = 700;
        },
        'INVALID_ARGUMENT',
        'status',
      ],
    ];
    for (const [f, code, argument] of cases) {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SipInputError);
        expect(e).toBeInstanceOf(SipError);
        expect([(e as SipInputError).code, (e as SipInputError).argument]).toEqual([
          code,
          argument,
        ]);
      }
    }
    expect(serialize(m)).toEqual(INVITE);
    expect([r.status, r.reason]).toEqual([200, 'OK']);
  });
});
