// SDP bodies of the SIP torture messages in shared/conformance (RFC 4475, RFC 5118): every one
// that is SDP must parse, or fail with an SdpError, never with anything else.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createAnswer, parseSdp, SdpError } from '@callbridge/sdp';
import { GATEWAY_SIP } from './helpers.js';

const CONFORMANCE = fileURLToPath(new URL('../../../../shared/conformance/', import.meta.url));

/** The SDP body of a SIP message, sliced by its Content-Length; undefined if it carries none. */
function sdpBody(message: Uint8Array): string | undefined {
  const text = new TextDecoder('latin1').decode(message);
  const end =
    text.indexOf('\r\n\r\n') >= 0 ? text.indexOf('\r\n\r\n') + 4 : text.indexOf('\n\n') + 2;
  if (end < 2) return undefined;
  const headers = text.slice(0, end);
  if (!/^(?:content-type|c)\s*:\s*application\/sdp\s*$/im.test(headers)) return undefined;
  const length = /^(?:content-length|l)\s*:\s*(\d+)\s*$/im.exec(headers)?.[1];
  const body = message.subarray(end, length === undefined ? undefined : end + Number(length));
  return body.length === 0 ? undefined : new TextDecoder('latin1').decode(body);
}

interface Expectation {
  readonly file: string;
  readonly rfc_category: string;
}

const rfc4475 = (
  JSON.parse(readFileSync(`${CONFORMANCE}rfc4475/expectations.json`, 'utf8')) as {
    messages: Expectation[];
  }
).messages;

const messages = [
  ...rfc4475.map((e) => ({
    name: `rfc4475/${e.file}`,
    category: e.rfc_category,
    path: `${CONFORMANCE}rfc4475/${e.file}`,
  })),
  ...readdirSync(`${CONFORMANCE}rfc5118/wire`).map((f) => ({
    name: `rfc5118/${f}`,
    category: 'valid',
    path: `${CONFORMANCE}rfc5118/wire/${f}`,
  })),
]
  .map((m) => ({ ...m, body: sdpBody(readFileSync(m.path)) }))
  .filter((m): m is typeof m & { body: string } => m.body !== undefined);

describe('SDP bodies of the SIP torture messages', () => {
  it('finds the SDP bodies', () => {
    expect(messages.length).toBeGreaterThanOrEqual(20);
  });

  it.each(messages)('$name parses or fails with an SdpError', ({ body, category }) => {
    try {
      const sdp = parseSdp(body);
      expect(sdp.media.length).toBeGreaterThan(0);
    } catch (error) {
      expect(error).toBeInstanceOf(SdpError);
      // the valid messages carry valid SDP
      expect(category).not.toBe('valid');
    }
  });

  it('reads IPv6 addresses without brackets (RFC 5118 §4.6) and answers them', () => {
    const ipv6 = parseSdp(messages.find((m) => m.name.endsWith('ipv6-in-sdp.sip'))!.body);
    expect(ipv6.origin).toMatchObject({ addressType: 'IP6', address: '2001:db8::20' });
    expect(ipv6.media.map((m) => m.connection)).toEqual([
      { addressType: 'IP6', address: '2001:db8::20' },
      { addressType: 'IP6', address: '2001:db8::20' },
    ]);
    const { media } = createAnswer(ipv6, GATEWAY_SIP, {
      codecs: { audio: [{ name: 'G726-32', clockRate: 8000 }] },
    });
    expect(media[0]!.remoteAddress).toEqual({ addressType: 'IP6', address: '2001:db8::20' });
    expect(media[1]!.accepted).toBe(false);
  });

  it('keeps a different address family per m= section (RFC 5118 §4.8, §4.9)', () => {
    const mixed = parseSdp(messages.find((m) => m.name.endsWith('mult-ip-in-sdp.sip'))!.body);
    expect(mixed.media.map((m) => `${m.connection?.addressType} ${m.connection?.address}`)).toEqual(
      ['IP4 192.0.2.1', 'IP6 2001:db8::1'],
    );
    const mapped = parseSdp(messages.find((m) => m.name.endsWith('ipv4-mapped-ipv6.sip'))!.body);
    expect(mapped.media[0]!.connection?.address).toBe('::ffff:192.0.2.2');
  });

  it('answers the RFC 2543 style INVITE of RFC 4475 §3.4.1', () => {
    const legacy = parseSdp(messages.find((m) => m.name.endsWith('inv2543.dat'))!.body);
    const { media } = createAnswer(legacy, GATEWAY_SIP, {
      codecs: { audio: [{ name: 'PCMU', clockRate: 8000 }] },
    });
    expect(media[0]!.codec?.name).toBe('PCMU');
    expect(media[0]!.remotePort).toBe(49217);
  });
});
