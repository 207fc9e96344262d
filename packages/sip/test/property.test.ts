// Property tests: generated messages survive serialize → parse unchanged; mutated bytes never
// make the parser throw anything but SipParseError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NameAddr,
  SipParseError,
  SipStreamFramer,
  SipUri,
  Params,
  Via,
  checkHeaders,
  createRequest,
  createResponse,
  parseMessage,
  parseUri,
  serialize,
  uriEquals,
  type SipRequest,
  type SipResponse,
} from '@callbridge/sip';

const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const chars = (set: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...set.split('')), minLength: min, maxLength: max });
const token = chars(`${alnum}-.!%*_+\`'~`, 1, 12);
const label = fc
  .tuple(chars('abcdefghijklmnopqrstuvwxyz', 1, 1), chars(`${alnum}-`, 0, 8), chars(alnum, 1, 1))
  .map(([a, b, c]) => a + b + c);
const hostname = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const host = fc.oneof(hostname, ipv4, fc.constantFrom('[2001:db8::1]', '[::1]', '[fe80::1:2]'));
const user = chars(`${alnum}-_.!~*'()&=+$,;?/`, 1, 12);
const paramName = chars(`${alnum}-_.!~*'`, 1, 8);
const paramValue = fc.option(chars(`${alnum}-_.!~*'[]/:&+$`, 1, 8), { nil: null });
const params = fc
  .uniqueArray(fc.tuple(paramName, paramValue), {
    maxLength: 3,
    selector: ([n]) => n.toLowerCase(),
  })
  .map((entries) => Params.from(entries));
const sipUri = fc
  .record({
    scheme: fc.constantFrom('sip' as const, 'sips' as const),
    user: fc.option(user, { nil: undefined }),
    host,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    params,
  })
  .map((init) => new SipUri(init));
const displayName = fc.option(
  fc.string({ maxLength: 10 }).filter((s) => !/[\r\n]/.test(s)),
  {
    nil: undefined,
  },
);
const headerValueText = fc
  .string({
    unit: fc.constantFrom(...`${alnum} !"#$%&'()*+,-./:;<=>?@[]^_\`{|}~é€`.split('')),
    maxLength: 30,
  })
  .map((s) => s.trim());
const unknownHeader = fc.tuple(
  token.map((t) => `X-${t}`),
  headerValueText,
);

const request = fc
  .record({
    method: token,
    uri: sipUri,
    from: fc.tuple(sipUri, displayName, token),
    to: fc.tuple(sipUri, displayName),
    callId: token,
    seq: fc.nat(2 ** 32 - 1),
    via: fc.array(fc.tuple(fc.constantFrom('UDP', 'TCP', 'TLS', 'WS'), host, token), {
      minLength: 1,
      maxLength: 3,
    }),
    extra: fc.array(unknownHeader, { maxLength: 5 }),
    body: fc.uint8Array({ maxLength: 64 }),
  })
  .map((g): SipRequest =>
    createRequest({
      method: g.method,
      uri: g.uri,
      headers: [
        ...g.via.map(([transport, h, branch]): [string, Via] => [
          'Via',
          new Via({ transport, host: h }).withParam('branch', `z9hG4bK${branch}`),
        ]),
        ['From', new NameAddr(g.from[0], undefined, g.from[1]).withTag(g.from[2])],
        ['To', new NameAddr(g.to[0], undefined, g.to[1])],
        ['Call-ID', g.callId],
        ['CSeq', `${g.seq} ${g.method}`],
        ['Max-Forwards', '70'],
        ...g.extra,
      ],
      body: g.body,
      ...(g.body.length > 0 ? { contentType: 'application/octet-stream' } : {}),
    }),
  );

/** Everything observable about a message, for comparisons. */
function observe(m: SipRequest | SipResponse): unknown {
  return {
    start: m.startLine,
    headers: m.headers.map((h) => [h.name, h.value]),
    body: [...m.body],
    via: m.via.map((v) => v.toString()),
    from: m.from?.toJSON(),
    to: m.to?.toJSON(),
    callId: m.callId,
    cseq: m.cseq,
    contentLength: m.contentLength,
  };
}

describe('properties', () => {
  it('parse(serialize(m)) equals m for generated requests and their responses', () => {
    fc.assert(
      fc.property(request, fc.integer({ min: 100, max: 699 }), (m, status) => {
        const wire = serialize(m);
        const parsed = parseMessage(wire);
        expect(observe(parsed)).toEqual(observe(m));
        expect(parsed.kind === 'request' && uriEquals(parsed.uri, m.uri)).toBe(true);
        expect(parsed.from && m.from && uriEquals(parsed.from.uri, m.from.uri)).toBe(true);
        // Untouched, it serialises to the very same bytes.
        expect(serialize(parsed)).toEqual(wire);
        expect(checkHeaders(parsed)).toBe(undefined);
        const response = createResponse(parsed as SipRequest, status, 'Reason', { toTag: 'tt' });
        const back = parseMessage(serialize(response));
        expect(observe(back)).toEqual(observe(response));
      }),
      { numRuns: 300 },
    );
  });

  it('URIs survive toString → parseUri', () => {
    fc.assert(
      fc.property(sipUri, (uri) => {
        const again = parseUri(uri.toString());
        expect(again.toString()).toBe(uri.toString());
        expect(uriEquals(again, uri)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated messages never throw anything but SipParseError', () => {
    const seeds = fc.sample(request, { numRuns: 20, seed: 42 }).map((m) => serialize(m));
    const mutation = fc.record({
      seed: fc.nat(seeds.length - 1),
      edits: fc.array(
        fc.record({
          kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'),
          at: fc.nat(),
          byte: fc.constantFrom(
            0,
            9,
            10,
            13,
            32,
            34,
            44,
            58,
            59,
            60,
            62,
            64,
            92,
            127,
            200,
            255,
            0x30,
            0x41,
          ),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits }) => {
        let bytes = Array.from(seeds[seed]!);
        for (const e of edits) {
          const at = bytes.length === 0 ? 0 : e.at % bytes.length;
          if (e.kind === 'flip') bytes[at] = e.byte;
          else if (e.kind === 'insert') bytes.splice(at, 0, e.byte);
          else if (e.kind === 'delete') bytes.splice(at, 1);
          else bytes = bytes.slice(0, at);
        }
        const input = new Uint8Array(bytes);
        try {
          const m = parseMessage(input);
          void checkHeaders(m);
          void m.contact;
          serialize(m);
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
        }
        const framer = new SipStreamFramer();
        for (const item of framer.push(input)) {
          if (item.kind === 'message') void checkHeaders(item.message);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
