// The byte-level fast paths for Via, From/To, CSeq and Call-ID (header-scan.ts) must give what the
// general parsers give, or leave the value to them: generated values near the usual shapes are
// read through a parsed message (fast path first) and through parseVia/parseNameAddr/... directly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Params,
  SipParseError,
  headerKey,
  parseCSeq,
  parseCallId,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  type Uri,
} from '@callbridge/sip';

const encoder = new TextEncoder();

/** A value glued from pieces: mostly well-formed, often one piece off. */
const glued = (pieces: readonly string[]) =>
  fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 9 }).map((p) => p.join(''));

const viaValue = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('UDP', 'TCP', 'tls', 'WSS', 'X-1'),
      fc.constantFrom('pc33.example.com', '192.0.2.1', 'h', '[::1]', 'a_b'),
      fc.constantFrom('', ':5060', ':0', ':65535', ':65536', ':123456', ':'),
      glued([';branch=z9hG4bK1', ';rport', ';received=192.0.2.9', ';x', ';ttl=1', ';q="a"', '']),
    )
    .map(([t, h, p, rest]) => `SIP/2.0/${t} ${h}${p}${rest}`),
  glued(['SIP/2.0/', 'UDP', ' ', '  ', '\t', 'host', ':', '5060', ';', 'branch', '=', 'z9', ',']),
);

const nameAddrValue = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', 'Alice ', 'Bob Smith ', '"Al ice" ', '"A\\"B" ', '"x"', 'A  ', 'é '),
      fc.constantFrom('sip:a@b.example.com', 'sips:x@[::1]:5061;lr', 'tel:+1555', 'sip:a b', ''),
      glued([';tag=1928301774', ';tag', ';expires=60', ';p="q"', ';x=[::1]', '']),
    )
    .map(([name, uri, rest]) => `${name}<${uri}>${rest}`),
  glued(['"', 'Alice', ' ', '<', '>', 'sip:a@b', ';', 'tag', '=', '1', ':', ',', '\t', 'é']),
);

const requestUri = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('sip:', 'sips:', 'SIP:', 'tel:'),
      fc.constantFrom('', 'bob@', 'a;b@', 'x%41@', 'u:pw@', '@'),
      fc.constantFrom('biloxi.example.com', '192.0.2.4', '256.1.1.1', '1.2.3', 'h.1', 'a..b', 'x.'),
      fc.constantFrom('', ':5060', ':65536', ':'),
      glued([';transport=udp', ';lr', ';x=', ';=y', '?h=1', ';a=[::1]', '']),
    )
    .map((p) => p.join('')),
  glued(['sip:', 'bob', '@', 'host', '.', '1', ':', '5060', ';', 'lr', '=', '-', '_', '%']),
);

/** A URI's fields, for comparing one parsed two ways. */
function uriFields(uri: Uri): unknown {
  if (uri.kind !== 'sip') return String(uri);
  const { scheme, user, password, host, hostKind, port, params, headers } = uri;
  return {
    scheme,
    user,
    password,
    host,
    hostKind,
    port,
    params: [...params.entries()],
    headers: [...headers.entries()],
  };
}

const cseqValue = glued(['1', '0', '4294967295', '4294967296', ' ', '  ', 'INVITE', 'ack', '\t']);
const callIdValue = glued(['a84b4c76e66710', '@', 'pc33', ' ', 'é', '\x7f', '"', '%']);

/** The general parser's outcome, as comparable text; or the error's code and message. */
function outcome(read: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(read() ?? null)) as unknown;
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return { code: e.code, message: e.message };
  }
}

const USUAL: Record<string, string> = {
  Via: 'SIP/2.0/UDP pc33.example.com;branch=z9hG4bKhjhs8ass877',
  To: '<sip:carol@chicago.example.com>',
  From: 'Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID': 'a84b4c76e66710',
  CSeq: '63104 OPTIONS',
};

/** An OPTIONS request whose `header` line holds `value` (the other headers as usual). */
function message(header: string, value: string): Uint8Array {
  let text = 'OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n';
  for (const [name, usual] of Object.entries(USUAL))
    text += `${name}: ${name === header ? value : usual}\r\n`;
  return encoder.encode(`${text}Content-Length: 0\r\n\r\n`);
}

describe('header fast paths agree with the general parsers', () => {
  it('Request-URI: the same URI, or an error from both', () => {
    let fast = 0;
    fc.assert(
      fc.property(requestUri, (text) => {
        const request = encoder.encode(
          `OPTIONS ${text} SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n`,
        );
        const expected = outcome(() => uriFields(parseUri(text)));
        let actual: unknown;
        try {
          const m = parseMessage(request);
          actual = m.kind === 'request' ? uriFields(m.uri) : undefined;
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
          expect(e.code).toBe('BAD_REQUEST_URI');
          expect(expected).toMatchObject({ code: 'BAD_URI' });
          return;
        }
        expect(actual).toEqual(expected);
        fast++;
      }),
      { numRuns: 3000 },
    );
    // About 3% of generated URIs are valid (~95 of 3000, seed-dependent): enough reach the fast
    // path to compare both, without failing on an unlucky seed.
    expect(fast).toBeGreaterThan(50);
  });

  const cases = [
    { header: 'Via', value: viaValue, read: 'via', general: parseVia },
    { header: 'From', value: nameAddrValue, read: 'from', general: parseNameAddr },
    { header: 'To', value: nameAddrValue, read: 'to', general: parseNameAddr },
    { header: 'CSeq', value: cseqValue, read: 'cseq', general: parseCSeq },
    { header: 'Call-ID', value: callIdValue, read: 'callId', general: parseCallId },
  ] as const;

  for (const { header, value, read, general } of cases) {
    it(`${header}: the same value, or the same error`, () => {
      let fast = 0;
      fc.assert(
        fc.property(value, (v) => {
          let m;
          try {
            m = parseMessage(message(header, v));
          } catch (e) {
            if (e instanceof SipParseError) return; // not a header line (framing tests cover it)
            throw e;
          }
          const text = m.header(header)!;
          const expected = outcome(() => general(text, header));
          const actual = outcome(() => m[read]);
          expect(actual).toEqual(expected);
          // Typed values that serialise alike are alike field by field too.
          if (!(typeof expected === 'object' && expected !== null && 'code' in expected)) fast++;
        }),
        { numRuns: 2000 },
      );
      expect(fast).toBeGreaterThan(100); // the generators reach well-formed values
    });
  }
});

describe('parameters read from the wire without splitting', () => {
  // What the scanners hand to Params.unsplit: ";name[=value]" runs without whitespace or quotes.
  const param = fc.tuple(
    fc.constantFrom('tag', 'TAG', 'Tag', 'branch', 'rport', 'lr', 'x', 'tagx', 'ta', 'K', 'k'),
    fc.option(fc.constantFrom('1', 'z9hG4bK1', '[::1]', 'a.b', '%41'), { nil: null }),
  );
  const asked = fc.constantFrom('tag', 'Tag', 'branch', 'BRANCH', 'rport', 'lr', 'ta', 'k', 'K');
  const kelvin = '\u212a'; // "K".toLowerCase() rules: the Kelvin sign folds to "k"

  it('get, has, raw, entries and toString agree with split parameters', () => {
    fc.assert(
      fc.property(fc.array(param, { maxLength: 5 }), asked, (entries, name) => {
        const wire = entries.map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`)).join('');
        const prefix = 'Via: x';
        const text = `${prefix}${wire}\r\n`;
        const split = Params.from(entries);
        for (const ask of [name, kelvin, '', 'ta;g', 'tag=1']) {
          const unsplit = Params.unsplit(text, prefix.length, prefix.length + wire.length);
          expect(unsplit.get(ask)).toBe(split.get(ask));
          expect(unsplit.has(ask)).toBe(split.has(ask));
          expect(unsplit.raw(ask)).toBe(split.raw(ask));
          expect(unsplit.toString()).toBe(split.toString());
          expect([...unsplit.entries()]).toEqual([...split.entries()]);
          expect(unsplit.size).toBe(split.size);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('header names recognised while scanned', () => {
  // Known names, their prefixes and extensions, compact forms, in any letter case.
  const known = ['Via', 'v', 'Call-ID', 'i', 'Content-Length', 'l', 'CSeq', 'To', 't', 'From'];
  const usual = ['Content-Type', 'Contact', 'Max-Forwards', 'Record-Route', 'WWW-Authenticate'];
  const piece = fc.constantFrom(...known, 'Content-', 'Call', '-', 'X', 'x', '1', '.', '~', 'ID');
  const name = fc.oneof(
    // Usual spellings as sent, and with more after them.
    fc
      .tuple(fc.constantFrom(...known, ...usual), fc.constantFrom('', 'x', '-', 'Type'))
      .map(([n, more]) => n + more),
    fc
      .tuple(
        fc.array(piece, { minLength: 1, maxLength: 3 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
      )
      .map(([pieces, upper]) =>
        [...pieces.join('')].map((c, n) => (upper[n] ? c.toUpperCase() : c.toLowerCase())).join(''),
      ),
  );

  it('every header gets the key headerKey() gives its name', () => {
    fc.assert(
      fc.property(name, fc.constantFrom(':', ' :', '\t: '), fc.nat(5), (n, colon, skip) => {
        // A view into a larger buffer at any alignment, as the framer hands messages over.
        const wire = `${'x'.repeat(skip)}OPTIONS sip:a@b.example.com SIP/2.0\r\n${n}${colon}0\r\n\r\n`;
        const m = parseMessage(encoder.encode(wire).subarray(skip));
        const field = m.headers[0]!;
        expect(field.name).toBe(n);
        expect(field.key).toBe(headerKey(n));
        expect(m.header(n)).toBe(field.value);
      }),
      { numRuns: 2000 },
    );
  });
});
