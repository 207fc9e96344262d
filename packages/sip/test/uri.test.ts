import { describe, expect, it } from 'vitest';
import {
  SipParseError,
  SipUri,
  TelUri,
  escapeUser,
  isIPv6,
  parseUri,
  unescapeUri,
  uriEquals,
} from '@callbridge/sip';

describe('parseUri', () => {
  it('reads every part of a SIP URI', () => {
    const uri = parseUri(
      'sips:alice:secret@atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
    );
    expect(uri).toBeInstanceOf(SipUri);
    if (uri.kind !== 'sip') return;
    expect(uri.scheme).toBe('sips');
    expect(uri.user).toBe('alice');
    expect(uri.password).toBe('secret');
    expect(uri.host).toBe('atlanta.example.com');
    expect(uri.hostKind).toBe('name');
    expect(uri.port).toBe(5061);
    expect(uri.params.get('transport')).toBe('tls');
    expect(uri.params.get('lr')).toBe(null);
    expect(uri.params.get('maddr')).toBe('239.255.255.1');
    expect(uri.headers.get('subject')).toBe('project%20x');
    expect(unescapeUri(uri.headers.get('subject')!)).toBe('project x');
    expect(uri.toString()).toBe(
      'sips:alice:secret@atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
    );
  });

  it('reads IPv4 and IPv6 hosts', () => {
    const v4 = parseUri('sip:192.0.2.4:5070');
    expect(v4.kind === 'sip' && [v4.hostKind, v4.host, v4.port]).toEqual([
      'ipv4',
      '192.0.2.4',
      5070,
    ]);
    const v6 = parseUri('sip:bob@[2001:db8::10]:5070');
    expect(v6.kind === 'sip' && [v6.hostKind, v6.host, v6.hostname, v6.port]).toEqual([
      'ipv6',
      '[2001:db8::10]',
      '2001:db8::10',
      5070,
    ]);
    const mapped = parseUri('sip:[::ffff:192.0.2.1]');
    expect(mapped.kind === 'sip' && mapped.hostKind).toBe('ipv6');
    expect(parseUri('SIP:Bob@Example.COM.').toString()).toBe('sip:Bob@Example.COM.');
  });

  it('keeps user-unreserved characters and escapes in the user part', () => {
    const uri = parseUri('sip:user;par=u%40example.net@example.com');
    expect(uri.kind === 'sip' && uri.user).toBe('user;par=u%40example.net');
    expect(uri.kind === 'sip' && uri.host).toBe('example.com');
    expect(escapeUser('a b@c')).toBe('a%20b%40c');
    expect(unescapeUri('%E2%82%AC%41')).toBe('€A');
  });

  it('reads tel URIs (RFC 3966)', () => {
    const global = parseUri('tel:+1-201-555-0123;ext=1234');
    expect(global).toBeInstanceOf(TelUri);
    expect(
      global.kind === 'tel' && [global.number, global.global, global.params.get('ext')],
    ).toEqual(['+1-201-555-0123', true, '1234']);
    const local = parseUri('tel:7042;phone-context=example.com');
    expect(local.kind === 'tel' && local.global).toBe(false);
    expect(() => parseUri('tel:7042')).toThrow(/phone-context/);
    expect(() => parseUri('tel:+1-2x')).toThrow(SipParseError);
  });

  it('keeps other schemes as absolute URIs', () => {
    const uri = parseUri('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
    expect(uri.kind === 'absolute' && [uri.scheme, uri.rest]).toEqual([
      'urn',
      'uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    ]);
    expect(parseUri('mailto:watson@bell-telephone.com').scheme).toBe('mailto');
  });

  it('rejects malformed URIs with BAD_URI and an offset', () => {
    for (const bad of [
      'sip:',
      'sip:@example.com',
      'sip:2001:db8::10',
      'sip:[2001:db8:::192.0.2.1]',
      'sip:[2001:db8::10',
      'sip:a@example.com:99999',
      'sip:a@example.com;',
      'sip:a@exa mple.com',
      'sip:a@-1.2.3',
      'sip:a@1.2.3',
      'sip:a@256.1.1.1',
      'sip:a%zz@example.com',
      '<sip:a@example.com>',
      'nocolon',
      'sip:a@example.com?x',
    ]) {
      try {
        parseUri(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect(e, bad).toBeInstanceOf(SipParseError);
        expect((e as SipParseError).code).toBe('BAD_URI');
      }
    }
  });

  it('validates IPv6 references as RFC 5954 corrected them', () => {
    for (const good of [
      '::',
      '::1',
      '2001:db8::1',
      '1:2:3:4:5:6:7:8',
      '::ffff:192.0.2.1',
      '1:2:3:4:5:6:192.0.2.1',
    ]) {
      expect(isIPv6(good), good).toBe(true);
    }
    for (const bad of [
      ':',
      '1:2:3:4:5:6:7:8:9',
      '2001:db8:::1',
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7',
      'g::1',
      '::1:',
    ]) {
      expect(isIPv6(bad), bad).toBe(false);
    }
  });
});

describe('uriEquals (RFC 3261 §19.1.4)', () => {
  const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));

  it('treats these as equivalent', () => {
    expect(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(
      true,
    );
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=on')).toBe(true);
    expect(eq('sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on')).toBe(true);
    expect(
      eq(
        'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
        'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
      ),
    ).toBe(true);
    expect(
      eq(
        'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
        'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
      ),
    ).toBe(true);
    expect(eq('sip:a@[2001:db8::1]', 'sip:a@[2001:DB8:0:0:0:0:0:1]')).toBe(true);
    expect(eq('tel:+1-201-555-0123', 'tel:+12015550123')).toBe(true);
  });

  it('treats these as different', () => {
    expect(eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')).toBe(
      false,
    );
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp')).toBe(false);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting')).toBe(false);
    expect(eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4')).toBe(false);
    expect(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off')).toBe(
      false,
    );
    expect(eq('sip:a@example.com', 'sips:a@example.com')).toBe(false);
    expect(eq('sip:a@example.com', 'tel:+1')).toBe(false);
    expect(eq('tel:+1-201', 'tel:+1-202')).toBe(false);
  });
});
