import { describe, expect, it } from 'vitest';
import { parseSdp, serializeSdp, SdpError, type SessionDescription } from '@callbridge/sdp';
import { FIXTURES, fixture } from './helpers.js';

function parseError(text: string): SdpError {
  try {
    parseSdp(text);
  } catch (error) {
    if (error instanceof SdpError) return error;
    throw error;
  }
  throw new Error('expected an SdpError');
}

const lines = (...l: string[]): string => l.join('\r\n') + '\r\n';
const MINIMAL = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];

describe('parseSdp on real offers', () => {
  it('reads a Chromium audio+video offer', () => {
    const sdp = parseSdp(fixture('chromium-audio-video-offer.sdp'));
    expect(sdp.origin.sessionId).toBe('3286839673037674757');
    expect(sdp.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
    expect(sdp.extmapAllowMixed).toBe(true);
    const [audio, video] = sdp.media;
    expect(audio!.kind).toBe('audio');
    expect(audio!.protocol).toBe('UDP/TLS/RTP/SAVPF');
    expect(audio!.mid).toBe('0');
    expect(audio!.rtcpMux).toBe(true);
    expect(audio!.setup).toBe('actpass');
    expect(audio!.ice?.ufrag).toBe('RROB');
    expect(audio!.ice?.options).toEqual(['trickle']);
    expect(audio!.fingerprints[0]?.algorithm).toBe('sha-256');
    expect(
      audio!.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}/${c.channels}`),
    ).toEqual([
      '111 opus/48000/2',
      '63 red/48000/2',
      '9 G722/8000/1',
      '0 PCMU/8000/1',
      '8 PCMA/8000/1',
      '13 CN/8000/1',
      '110 telephone-event/48000/1',
      '126 telephone-event/8000/1',
    ]);
    expect(audio!.codecs[0]!.fmtp).toBe('minptime=10;useinbandfec=1');
    expect(audio!.codecs[0]!.rtcpFeedback).toEqual([{ type: 'transport-cc' }]);
    expect(audio!.candidates[0]).toMatchObject({
      address: '127.0.0.1',
      transport: 'udp',
      type: 'host',
      component: 1,
    });
    expect(audio!.candidates.find((c) => c.transport === 'tcp')?.tcpType).toBe('active');
    expect(audio!.msid?.trackId).toBe('167d4c1a-8f03-4dd8-9d0d-dab4343810ca');
    expect(audio!.otherAttributes).toEqual([{ name: 'rtcp-xr', value: 'rcvr-rtt=all' }]);
    expect(video!.codecs.find((c) => c.payloadType === 97)).toMatchObject({
      name: 'rtx',
      fmtp: 'apt=96',
    });
    expect(video!.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [4197871510, 1718518721] }]);
    expect(video!.codecs.find((c) => c.payloadType === 102)?.rtcpFeedback).toContainEqual({
      type: 'nack',
      parameter: 'pli',
    });
  });

  it('copies session-level transport attributes into each media section (node-datachannel)', () => {
    const sdp = parseSdp(fixture('node-datachannel-audio-video-offer.sdp'));
    for (const m of sdp.media) {
      expect(m.fingerprints).toHaveLength(1);
      expect(m.fingerprints[0]!.value).toMatch(/^AC:CE:DC/);
      expect(m.connection).toEqual({ addressType: 'IP4', address: '127.0.0.1' });
    }
    expect(sdp.groups.map((g) => g.semantics)).toEqual(['BUNDLE', 'LS']);
    expect(sdp.media[0]!.endOfCandidates).toBe(true);
  });

  it('reads a Firefox-style offer: braces in msid, extmap direction, trickle without candidates', () => {
    const sdp = parseSdp(fixture('firefox-audio-offer.sdp'));
    const audio = sdp.media[0]!;
    expect(audio.msid).toEqual({
      streamId: '{df8df6c4-5206-4b75-9e31-1a84dd513abf}',
      trackId: '{31ac2e92-dcbe-4643-b23b-91000ed9dac8}',
    });
    expect(audio.extensions[1]).toEqual({
      id: 2,
      direction: 'recvonly',
      uri: 'urn:ietf:params:rtp-hdrext:csrc-audio-level',
    });
    expect(audio.candidates).toEqual([]);
    expect(audio.ice).toEqual({
      ufrag: '97edf848',
      pwd: 'ebd7decbfa8c702b923d585b5144c3e0',
      options: ['trickle'],
    });
    expect(audio.fingerprints[0]!.value).toMatch(/^2E:92/);
    expect(audio.codecs.find((c) => c.payloadType === 9)).toMatchObject({
      name: 'G722',
      channels: 1,
    });
  });

  it('fills static payload types that have no rtpmap (RFC 3551)', () => {
    const sdp = parseSdp(fixture('kamailio-linphone-offer.sdp'));
    const audio = sdp.media[0]!;
    expect(audio.codecs.map((c) => `${c.payloadType}:${c.name}`)).toEqual([
      '96:opus',
      '97:speex',
      '98:speex',
      '0:PCMU',
      '8:PCMA',
      '18:G729',
      '101:telephone-event',
      '99:telephone-event',
      '100:telephone-event',
    ]);
    expect(audio.codecs.find((c) => c.payloadType === 18)?.fmtp).toBe('annexb=no');
    // a=rtcp-fb:* applies to every format
    expect(
      audio.codecs.every((c) =>
        c.rtcpFeedback.some((f) => f.type === 'trr-int' && f.parameter === '1000'),
      ),
    ).toBe(true);
    expect(sdp.otherAttributes.map((a) => a.name)).toEqual(['rtcp-xr', 'nortpproxy']);
  });

  it('reads SDES crypto lines as strings and an explicit a=rtcp port', () => {
    const audio = parseSdp(fixture('pjsip-sdes-offer.sdp')).media[0]!;
    expect(audio.crypto).toHaveLength(3);
    expect(audio.crypto[1]).toEqual({
      tag: 2,
      suite: 'AES_CM_128_HMAC_SHA1_80',
      keyParams: 'inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    });
    expect(audio.rtcp).toEqual({
      port: 4001,
      connection: { addressType: 'IP4', address: '192.0.2.20' },
    });
  });

  it('resolves direction and the legacy hold address', () => {
    expect(parseSdp(fixture('hold-sendonly-reinvite.sdp')).media[0]!.direction).toBe('sendonly');
    expect(parseSdp(fixture('hold-inactive-reinvite.sdp')).media[0]!.direction).toBe('inactive');
    const legacy = parseSdp(fixture('hold-legacy-reinvite.sdp')).media[0]!;
    expect(legacy.direction).toBe('sendrecv');
    expect(legacy.connection?.address).toBe('0.0.0.0');
  });

  it.each(FIXTURES)('round-trips %s through serializeSdp without losing anything', (name) => {
    const first = parseSdp(fixture(name));
    const text = serializeSdp(first);
    expect(text.endsWith('\r\n')).toBe(true);
    const second: SessionDescription = parseSdp(text);
    // The serializer may move a shared c= to the session level; every effective value stays.
    const { connection: _a, ...firstRest } = first;
    const { connection: _b, ...secondRest } = second;
    expect(secondRest).toEqual(firstRest);
    expect(serializeSdp(second)).toBe(text);
  });
});

describe('parseSdp on bad input', () => {
  it.each([
    ['empty body', ''],
    ['no v= line first', lines('o=- 1 1 IN IP4 192.0.2.1', 'v=0')],
    ['version 1', lines('v=1', 'o=- 1 1 IN IP4 192.0.2.1')],
    ['missing o=', lines('v=0', 's=-', 't=0 0')],
    ['broken o=', lines('v=0', 'o=- abc 1 IN IP4 192.0.2.1', 's=-')],
    ['a line that is not type=value', lines(...MINIMAL, 'm=audio 4000 RTP/AVP 0', 'hello world')],
    ['an m= port out of range', lines(...MINIMAL, 'm=audio 70000 RTP/AVP 0')],
    ['an m= line without formats', lines(...MINIMAL, 'm=audio 4000 RTP/AVP')],
    ['an RTP payload type above 127', lines(...MINIMAL, 'm=audio 4000 RTP/AVP 0 200')],
    ['a non-numeric RTP payload type', lines(...MINIMAL, 'm=audio 4000 RTP/AVP PCMU')],
    ['a broken c= line', lines('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4', 't=0 0')],
    [
      'an active stream without any c=',
      lines('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0'),
    ],
  ])('%s is SDP_MALFORMED (400)', (_label, text) => {
    const error = parseError(text);
    expect(error.code).toBe('SDP_MALFORMED');
    expect(error.sipStatus).toBe(400);
  });

  it('reports the line number of a bad line', () => {
    const error = parseError(lines(...MINIMAL, 'm=audio 4000 RTP/AVP 0', 'x'));
    expect(error.line).toBe(7);
  });

  it('refuses a body over the size limit', () => {
    const error = (() => {
      try {
        parseSdp(lines(...MINIMAL, 'm=audio 4000 RTP/AVP 0'), { maxLength: 20 });
      } catch (e) {
        return e as SdpError;
      }
      throw new Error('no error');
    })();
    expect(error.code).toBe('SDP_TOO_LARGE');
  });

  it('refuses more m= sections than the limit', () => {
    const many = lines(...MINIMAL, ...Array.from({ length: 65 }, () => 'm=audio 4000 RTP/AVP 0'));
    const error = parseError(many);
    expect(error.code).toBe('SDP_TOO_LARGE');
    expect(error.sipStatus).toBe(400);
    expect(
      parseSdp(lines(...MINIMAL, 'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/AVP 0'), {
        maxMediaSections: 2,
      }).media,
    ).toHaveLength(2);
  });

  it('refuses duplicate mids and BUNDLE groups naming unknown mids', () => {
    expect(
      parseError(
        lines(...MINIMAL, 'm=audio 4000 RTP/AVP 0', 'a=mid:a', 'm=audio 4002 RTP/AVP 0', 'a=mid:a'),
      ).code,
    ).toBe('SDP_INVALID_MID');
    expect(
      parseError(lines(...MINIMAL, 'a=group:BUNDLE a b', 'm=audio 4000 RTP/AVP 0', 'a=mid:a')).code,
    ).toBe('SDP_INVALID_MID');
  });

  it('refuses an unknown a=setup value with 488', () => {
    const error = parseError(lines(...MINIMAL, 'm=audio 4000 RTP/AVP 0', 'a=setup:sideways'));
    expect(error.code).toBe('SDP_BAD_SETUP_ROLE');
    expect(error.sipStatus).toBe(488);
  });

  it('accepts LF-only line ends and a rejected stream without c=', () => {
    const sdp = parseSdp('v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=video 0 RTP/AVP 31\n');
    expect(sdp.media[0]!.port).toBe(0);
    expect(sdp.media[0]!.codecs[0]!.name).toBe('H261');
  });

  it('keeps a port count and ignores a dynamic type without rtpmap', () => {
    const sdp = parseSdp(lines(...MINIMAL, 'm=audio 4000/2 RTP/AVP 0 96'));
    expect(sdp.media[0]!.portCount).toBe(2);
    expect(sdp.media[0]!.formats).toEqual(['0', '96']);
    expect(sdp.media[0]!.codecs.map((c) => c.payloadType)).toEqual([0]);
    expect(serializeSdp(sdp)).toContain('m=audio 4000/2 RTP/AVP 0 96\r\n');
  });

  it('keeps session versions beyond 2^53 exact', () => {
    const sdp = parseSdp(
      lines('v=0', 'o=- 1 98765432109876543210 IN IP4 192.0.2.1', 's=-', 't=0 0'),
    );
    expect(sdp.origin.sessionVersion).toBe('98765432109876543210');
    expect(serializeSdp(sdp)).toContain('o=- 1 98765432109876543210 IN IP4 192.0.2.1\r\n');
  });

  it('never throws anything but SdpError on mangled real offers', () => {
    const base = fixture('chromium-audio-video-offer.sdp');
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const chars = [...base];
      for (let k = 0; k < 5; k++) chars[random(chars.length)] = ' =:/\r\n0aZ-'[random(11)]!;
      try {
        parseSdp(chars.join(''));
      } catch (error) {
        expect(error).toBeInstanceOf(SdpError);
      }
    }
  });
});
