// The WebAssembly header scanner (wasm/sip/header_scan.c) is a faster path for well-formed
// header sections; the TypeScript loop in parser.ts is the reference. Every message here is
// parsed both ways and everything observable must be the same: the header lines (names, ids,
// values, byte ranges, folding), the body, or the error (code, offset, message, response); and
// the hot headers the scanner also checks (top Via, From, To, Call-ID, CSeq), read through their
// typed accessors, or the error each read throws.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SipParseError,
  parseMessage,
  type NameAddr,
  type ParseLimits,
  type Params,
  type SipRequest,
  type SipResponse,
} from '@callbridge/sip';
import { useWasmHeaderScanner, wasmHeaderScanner } from '../src/header-scan-wasm.js';

const encoder = new TextEncoder();
const conformance = fileURLToPath(new URL('../../../../shared/conformance/', import.meta.url));

/** A read's result, or the error it throws. */
function attempt(read: () => unknown): unknown {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return {
      code: e.code,
      offset: e.offset,
      message: e.message,
      header: e.header,
      response: e.response,
    };
  }
}

/** What a reader learns from parameters: the hot names asked first (unsplit), then the list. */
function paramReads(params: Params, name: string): unknown {
  return [
    params.get(name),
    params.raw(name),
    params.has(name),
    params.get(name.toUpperCase()),
    params.toString(),
    [...params.entries()],
  ];
}

function nameAddrReads(value: NameAddr | undefined): unknown {
  if (value === undefined) return undefined;
  return [value.tag, value.displayName, value.uriText, paramReads(value.params, 'tag'), value.tag];
}

/** The hot headers through their typed accessors (top Via first, as a transaction reads them). */
function hotReads(m: SipRequest | SipResponse): unknown {
  const uri = m.kind === 'request' ? m.uri : undefined;
  return {
    uri:
      uri?.kind === 'sip'
        ? [
            uri.scheme,
            uri.user,
            uri.password,
            uri.host,
            uri.hostKind,
            uri.port,
            paramReads(uri.params, 'transport'),
            [...uri.headers.entries()],
          ]
        : String(uri),
    via: attempt(() => {
      const v = m.topVia;
      if (v === undefined) return undefined;
      return [v.branch, v.protocol, v.transport, v.host, v.port, paramReads(v.params, 'branch')];
    }),
    from: attempt(() => nameAddrReads(m.from)),
    to: attempt(() => nameAddrReads(m.to)),
    uris: attempt(() => [String(m.from?.uri), String(m.to?.uri)]),
    callId: attempt(() => m.callId),
    cseq: attempt(() => m.cseq),
    vias: attempt(() => m.via.map(String)),
  };
}

/** Everything the parse decides, or the error it throws. */
function observe(bytes: Uint8Array, limits?: Partial<ParseLimits>): unknown {
  try {
    const m = parseMessage(bytes, limits);
    const hot = hotReads(m);
    return {
      hot,
      start: m.startLine,
      headers: m.headers.map((h) => [
        h.name,
        h.key,
        h.value,
        h.lineStart,
        h.lineEnd,
        h.valueStart,
        h.valueEnd,
        h.folded,
      ]),
      body: [...m.body],
    };
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return { code: e.code, offset: e.offset, message: e.message, response: e.response };
  }
}

/** The observation with the WebAssembly scanner on, and with the TypeScript loop alone. */
function bothWays(bytes: Uint8Array, limits?: Partial<ParseLimits>): [unknown, unknown] {
  useWasmHeaderScanner(true);
  const fast = observe(bytes, limits);
  useWasmHeaderScanner(false);
  const reference = observe(bytes, limits);
  useWasmHeaderScanner(true);
  return [fast, reference];
}

function expectSame(bytes: Uint8Array, limits?: Partial<ParseLimits>): void {
  const [fast, reference] = bothWays(bytes, limits);
  expect(fast).toEqual(reference);
}

const base = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'P-Preferred-Identity: <sip:alice@atlanta.example.com>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\r\n',
].join('\r\n');

afterEach(() => {
  useWasmHeaderScanner(true);
});

describe('WebAssembly header scanner', () => {
  it('loads in Node and takes a usual message', () => {
    const scanner = wasmHeaderScanner();
    expect(scanner).toBeDefined();
    const bytes = encoder.encode(base);
    scanner!.input.set(bytes);
    // 9 header lines; the TypeScript loop is not involved.
    expect(scanner!.scan(bytes.length, 0, 16384, 16)).toBe(9);
    expect(scanner!.startLineEnd()).toBe(bytes.indexOf(10));
    expect(scanner!.ascii()).toBe(1);
    expect(scanner!.bodyStart()).toBe(bytes.length - 5);
    expect(scanner!.contentLength()).toBe(4);
    expectSame(bytes);
    // A byte ≥ 0x80 anywhere, the body included, makes the message non-ASCII.
    const body = encoder.encode(base.replace('v=0', 'v=\u00e9'));
    scanner!.input.set(body);
    expect(scanner!.scan(body.length, 0, 16384, 16)).toBe(9);
    expect(scanner!.ascii()).toBe(0);
    expectSame(body);
  });

  it('gives the TypeScript results on the RFC 4475 and RFC 5118 messages', () => {
    let files = 0;
    for (const dir of ['rfc4475', 'rfc5118', 'rfc5118/wire']) {
      const path = `${conformance}${dir}/`;
      if (!existsSync(path)) continue;
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        if (!entry.isFile() || entry.name.endsWith('.json')) continue;
        const bytes = new Uint8Array(readFileSync(path + entry.name));
        expectSame(bytes);
        // The same with CRLF line ends where the file has bare LFs.
        const text = new TextDecoder('latin1').decode(bytes);
        if (/[^\r]\n/.test(text)) expectSame(encoder.encode(text.replace(/\r?\n/g, '\r\n')));
        files++;
      }
    }
    if (existsSync(`${conformance}rfc4475/`)) expect(files).toBeGreaterThan(40);
  });

  it('gives the TypeScript results on the JAIN-SIP torture messages', () => {
    const path = `${conformance}extra/jain-sip-torture.xml`;
    if (!existsSync(path)) return;
    const xml = readFileSync(path, 'latin1');
    const re = /<message>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/message>/g;
    let n = 0;
    for (const m of xml.matchAll(re)) {
      const text = m[1]!;
      const crlf = text.replace(/\r?\n/g, '\r\n');
      for (const variant of [text, crlf, `${crlf}\r\n`]) expectSame(encoder.encode(variant));
      n++;
    }
    expect(n).toBeGreaterThan(300);
  });

  it('recognises every header name byte as the TypeScript loop does', () => {
    for (let byte = 0; byte < 256; byte++) {
      for (const at of [0, 3, 15, 16, 17, 31, 33]) {
        const name = `${'X'.repeat(at)}\u0000Y`;
        const line = encoder.encode(`${name}: v\r\n`);
        line[at] = byte;
        const head = encoder.encode('OPTIONS sip:a@b SIP/2.0\r\n');
        const bytes = new Uint8Array([...head, ...line, 13, 10]);
        expectSame(bytes);
      }
    }
  });

  it('recognises known names in any case and their compact forms, not their neighbours', () => {
    const names = [
      'via',
      'VIA',
      'v',
      'V',
      'Call-Id',
      'CALL-ID',
      'i',
      'content-length',
      'l',
      'WWW-Authenticate',
      'Www-Authenticatf',
      'P-Preferred-Identity',
      'P-Preferred-Identitx',
      'Request-Disposition',
      'Subscription-State',
      'Subscription-Statee',
      'Session-Expires',
      'x',
      'xx',
      'Toe',
      'T',
      'Via-',
      'X-Header-Name-Longer-Than-Thirty-Two-Bytes',
    ];
    for (const name of names) {
      expectSame(encoder.encode(`OPTIONS sip:a@b SIP/2.0\r\n${name}: value\r\n\r\n`));
    }
  });

  it('gives the TypeScript results on generated sections and byte mutations', () => {
    const piece = fc.constantFrom(
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n',
      'v: SIP/2.0/TCP h\r\n',
      'To : <sip:a@b>\r\n',
      'From:\t<sip:a@b>;tag=1\r\n',
      'Call-ID: x\r\n',
      'CSeq: 1 OPTIONS\r\n',
      'Subject: folded\r\n  over lines\r\n\tand more\r\n',
      'Content-Length: 0\r\n',
      'Content-Length: 00000000000\r\n',
      'Content-Length: 4294967296\r\n',
      'l: 3\r\n',
      'Content-Length: x\r\n',
      'X-Empty:\r\n',
      'X-Spaces:   \r\n',
      'Bare-LF: yes\n',
      'No-Colon\r\n',
      ': no name\r\n',
      'Bad Name: x\r\n',
      'Bad\u00e9: x\r\n',
      ' leading: space\r\n',
      'Long-Value: ' + 'a'.repeat(40) + '\r\n',
    );
    const message = fc
      .tuple(
        fc.constantFrom(
          'OPTIONS sip:a@b SIP/2.0\r\n',
          'SIP/2.0 200 OK\r\n',
          '\r\nBYE sip:x SIP/2.0\n',
        ),
        fc.array(piece, { maxLength: 12 }),
        fc.constantFrom('\r\n', '\n', '', '\r\nabc', '\r\n\u00ff\u0000'),
      )
      .map(([start, lines, end]) => encoder.encode(start + lines.join('') + end));
    const edit = fc.record({ at: fc.nat(), byte: fc.nat(255), kind: fc.constantFrom(0, 1, 2) });
    fc.assert(
      fc.property(
        message,
        fc.array(edit, { maxLength: 3 }),
        fc.constantFrom(undefined, { maxHeaderLineLength: 20 }, { maxHeaders: 3 }),
        (bytes, edits, limits) => {
          let out = Array.from(bytes);
          for (const e of edits) {
            const at = out.length === 0 ? 0 : e.at % out.length;
            if (e.kind === 0) out[at] = e.byte;
            else if (e.kind === 1) out.splice(at, 0, e.byte);
            else out = out.slice(0, at);
          }
          const [fast, reference] = bothWays(new Uint8Array(out), limits);
          expect(fast).toEqual(reference);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reads the hot headers as the TypeScript scanners do, usual shapes and near misses', () => {
    // Values glued from pieces: mostly the usual shapes, often one piece off, at any alignment.
    const glued = (pieces: readonly string[]) =>
      fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 8 }).map((p) => p.join(''));
    const params = glued([
      ';branch=z9hG4bK1',
      ';BRANCH=x',
      ';branch',
      ';tag=1928',
      ';TAG',
      ';tag=',
      ';x=[::1]',
      ';rport',
      ';a',
      ';=',
      ';q="a"',
      ';',
      'z',
      ':',
      '',
    ]);
    const via = fc
      .tuple(
        fc.constantFrom('SIP/2.0/', 'SIP/2.0/ ', 'sip/2.0/', 'SIP/2.1/', 'SIP/2.0'),
        fc.constantFrom('UDP', 'TCP', 'X-1', '', 'UDP '),
        fc.constantFrom(' h', ' pc33.atlanta.example.com', '  h', ' [::1]', ' ', ' a_b'),
        fc.constantFrom('', ':5060', ':0', ':65535', ':65536', ':123456', ':', ':5x'),
        params,
        fc.constantFrom('', ', SIP/2.0/TCP h2', ' ', ','),
      )
      .map((p) => p.join(''));
    const nameAddr = fc
      .tuple(
        fc.constantFrom(
          '',
          'Alice ',
          'Bob  Smith ',
          'A B ',
          '"Al ice" ',
          '"A\\"B" ',
          '"x"',
          '"é" ',
          'é ',
          '"',
          'A',
        ),
        fc.constantFrom(
          '<sip:a@b.example.com>',
          '<sips:x@[::1]:5061;lr>',
          '<>',
          '<sip:a b>',
          '<sip:a',
          'sip:a@b',
          '<sip:é>',
          '<sip:a@b>>',
        ),
        params,
      )
      .map((p) => p.join(''));
    const cseq = glued([
      '1',
      '0',
      '4294967295',
      '4294967296',
      '12345678901',
      ' ',
      '  ',
      'INVITE',
      'ack',
      '\t',
      'é',
    ]);
    const callId = glued(['a84b4c76e66710', '@', 'pc33', ' ', 'é', '\x7f', '"', '%', '\t']);
    const line = fc.oneof(
      via.map((v) => `Via: ${v}`),
      via.map((v) => `v:${v}`),
      nameAddr.map((v) => `From: ${v}`),
      nameAddr.map((v) => `t:  ${v}  `),
      nameAddr.map((v) => `To: ${v}\r\n ;tag=folded`),
      cseq.map((v) => `CSeq: ${v}`),
      callId.map((v) => `i: ${v}`),
      callId.map((v) => `Call-ID:${v}\t`),
      fc.constantFrom(
        'Max-Forwards: 70',
        `X-Pad: ${'p'.repeat(13)}`,
        'Via: SIP/2.0/UDP second;branch=z9hG4bK2',
      ),
    );
    const message = fc
      .tuple(
        fc.constantFrom('OPTIONS sip:a@b SIP/2.0', 'SIP/2.0 180 Ringing', 'BYE sip:x SIP/2.0'),
        fc.array(line, { minLength: 1, maxLength: 8 }),
      )
      .map(([start, lines]) => encoder.encode(`${start}\r\n${lines.join('\r\n')}\r\n\r\n`));
    const edit = fc.record({ at: fc.nat(), byte: fc.nat(255), kind: fc.constantFrom(0, 1) });
    fc.assert(
      fc.property(message, fc.array(edit, { maxLength: 2 }), (bytes, edits) => {
        const out = Array.from(bytes);
        for (const e of edits) {
          const at = e.at % out.length;
          if (e.kind === 0) out[at] = e.byte;
          else out.splice(at, 0, e.byte);
        }
        const [fast, reference] = bothWays(new Uint8Array(out));
        expect(fast).toEqual(reference);
      }),
      { numRuns: 4000 },
    );
  });

  it('reads the Request-URI as the TypeScript scanner does, usual shapes and near misses', () => {
    const piece = (usual: readonly string[], odd: readonly string[]) =>
      fc.oneof({ arbitrary: fc.constantFrom(...usual), weight: 4 }, fc.constantFrom(...odd));
    const params = fc
      .array(
        piece(
          [';transport=udp', ';lr', ';user=phone', ';a=[::1]:5'],
          [';x=', ';=y', '?h=1', ';é', ';', 'x', ';a=%4', ';%41'],
        ),
        { maxLength: 3 },
      )
      .map((p) => p.join(''));
    const requestUri = fc
      .tuple(
        piece(['sip:', 'sips:'], ['SIP:', 'tel:', 'sip', 'si', 'sipx:']),
        piece(
          ['', 'bob@', 'a;b=c@', "+1-(2)_.!~*'&=$,?/@"],
          ['x%41@', 'x%4@', '%zz@', 'u:pw@', '@', 'a@b@', 'é@'],
        ),
        piece(
          [
            'biloxi.example.com',
            '192.0.2.4',
            'h',
            'a-b.c_d.example',
            'x.com.',
            '255.255.255.255',
            // around the 32 bytes the scanner classifies at once
            `${'x'.repeat(20)}.example.com`,
            `${'a'.repeat(31)}.`,
            `sub.${'y'.repeat(25)}.example.org`,
          ],
          [
            `${'a'.repeat(30)}.1`,
            `${'b'.repeat(33)}..c`,
            `${'c'.repeat(31)}.-x`,
            `${'d'.repeat(40)}.1`,
            '256.1.1.1',
            '1.2.3',
            '1.2.3.4.5',
            '1.2.3.4.',
            'h.1',
            'a..b',
            '.',
            '-a.b',
            '[::1]',
            '0001.2.3.4',
            '1.2.3.04',
            'é',
          ],
        ),
        piece(['', ':5060', ':0', ':65535', ':05060'], [':65536', ':', ':050600', ':5x']),
        params,
      )
      .map((p) => p.join(''));
    let accepted = 0;
    fc.assert(
      fc.property(requestUri, fc.constantFrom(' ', '  '), (uri, sp) => {
        const bytes = encoder.encode(`INVITE ${uri}${sp}SIP/2.0\r\nMax-Forwards: 70\r\n\r\n`);
        const [fast, reference] = bothWays(bytes);
        expect(fast).toEqual(reference);
        if (typeof fast === 'object' && fast !== null && !('code' in fast)) accepted++;
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(500); // the generator reaches valid URIs often
  });

  it('names the request and CSeq methods as the TypeScript loop does, known words or not', () => {
    const words = [
      ...['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO'],
      ...['REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'PUBLISH', 'UDP', 'WSS', 'WS'],
      ...['invite', 'INVITEX', 'INVIT', 'SUBSCRIBEX', 'SUBSCRIB', 'X', 'A'.repeat(16)],
      ...['A'.repeat(17), 'PUBLISH-', 'OPTIONS.'],
    ];
    for (const method of words) {
      for (const cseqMethod of [method, 'INVITE', 'SUBSCRIBE', 'FOO']) {
        const bytes = encoder.encode(
          `${method} sip:a@b SIP/2.0\r\nCSeq: 1 ${cseqMethod}\r\nVia: SIP/2.0/UDP h\r\n\r\n`,
        );
        expectSame(bytes);
        const m = parseMessage(bytes) as SipRequest;
        expect([m.method, m.cseq?.method]).toEqual([method, cseqMethod]);
      }
    }
  });

  it('reads the hot headers of a message parsed before others, some read before, some after', () => {
    const bytes = encoder.encode(base);
    const other = encoder.encode(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nCall-ID: c\r\nCSeq: 7 BYE\r\n' +
        'From: <sip:f@g>;tag=1\r\nTo: <sip:t@u>\r\n\r\n',
    );
    useWasmHeaderScanner(false);
    const reference = hotReads(parseMessage(bytes));
    useWasmHeaderScanner(true);
    const reads = {
      via: (m: SipRequest | SipResponse) => m.topVia,
      from: (m: SipRequest | SipResponse) => m.from,
      to: (m: SipRequest | SipResponse) => m.to,
      callId: (m: SipRequest | SipResponse) => m.callId,
      cseq: (m: SipRequest | SipResponse) => m.cseq,
    };
    const names = Object.keys(reads) as (keyof typeof reads)[];
    for (let mask = 0; mask < 1 << names.length; mask++) {
      const m = parseMessage(bytes);
      const before = names.filter((_, k) => (mask & (1 << k)) !== 0);
      const values = before.map((name) => reads[name](m));
      parseMessage(other); // overwrites the scanner's table
      parseMessage(other);
      expect(before.map((name) => reads[name](m))).toEqual(values);
      // The same objects, whichever way they are reached, before and after the lines exist.
      for (const [k, name] of before.entries()) expect(reads[name](m)).toBe(values[k]);
      expect(m.via[0]).toBe(m.topVia);
      const after = names.map((name) => reads[name](m));
      expect(m.headers.length).toBe(9);
      names.forEach((name, k) => {
        expect(reads[name](m)).toBe(after[k]);
      });
      expect(hotReads(m)).toEqual(reference);
    }
  });

  it('gives the TypeScript results under any maxHeaderLineLength, negative and unbounded included', () => {
    const bytes = encoder.encode(base);
    for (const limit of [-1, -(2 ** 31), 0, 5, 5.5, 2 ** 32 + 5, 2 ** 31, Infinity, NaN]) {
      expectSame(bytes, { maxHeaderLineLength: limit });
    }
  });

  it('gives the TypeScript results at the edge of its input area, after a longer message', () => {
    // A longer message first leaves its bytes behind the next one in the input area.
    const longer = encoder.encode(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(65400)}\r\n\r\n`);
    const limits = { maxMessageSize: 1 << 20, maxHeaderLineLength: 1 << 20 };
    const head = 'OPTIONS sip:a@b SIP/2.0\r\nP: ';
    for (const total of [65534, 65535, 65536, 65537]) {
      for (const tail of [
        'X: y\r\n\r\n',
        'X: y\r\n',
        'X: y\r\n ',
        'X: y\r\n\r',
        'X:',
        'l: 1\r\n\r\n',
      ]) {
        const filler = 'b'.repeat(total - head.length - 2 - tail.length);
        expect(parseMessage(longer, limits).headers.length).toBe(1);
        expectSame(encoder.encode(`${head}${filler}\r\n${tail}`), limits);
      }
    }
  });

  it('leaves messages larger than its input area, and views into larger buffers, to the same results', () => {
    const big = encoder.encode(base.replace('v=0\r\n', 'x'.repeat(70000)).replace('4', '70000'));
    expectSame(big, { maxMessageSize: 1 << 20 });
    const inside = new Uint8Array(encoder.encode(`junk${base}junk`).buffer, 4, base.length);
    expectSame(inside);
  });
});
