import { describe, expect, it } from 'vitest';
import {
  createAnswer,
  createOffer,
  parseSdp,
  processAnswer,
  serializeSdp,
  SdpError,
  type SipEndpoint,
  type WebRtcEndpoint,
} from '@callbridge/sdp';
import {
  CN8K,
  G722,
  G729,
  H264_CB,
  OPUS,
  PCMA,
  PCMU,
  RTX,
  TE48K,
  TE8K,
  VP8,
  fixture,
  GATEWAY_SIP,
  GATEWAY_WEBRTC,
} from './helpers.js';

function errorOf(fn: () => unknown): SdpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SdpError) return error;
    throw error;
  }
  throw new Error('expected an SdpError');
}

describe('createAnswer on the WebRTC leg', () => {
  it('answers a Chromium audio offer with the offered payload types, ICE-lite and DTLS active', () => {
    const offer = parseSdp(fixture('chromium-audio-offer.sdp'));
    const { description, media } = createAnswer(offer, GATEWAY_WEBRTC, {
      codecs: { audio: [PCMU, OPUS, TE8K, TE48K] },
    });
    const audio = description.media[0]!;
    expect(description.iceLite).toBe(true);
    expect(description.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0'] }]);
    expect(audio.mid).toBe('0');
    expect(audio.port).toBe(40000);
    expect(audio.protocol).toBe('UDP/TLS/RTP/SAVPF');
    expect(audio.setup).toBe('active');
    expect(audio.rtcpMux).toBe(true);
    expect(audio.endOfCandidates).toBe(true);
    // local preference order, offered payload types, events at both accepted clock rates
    expect(audio.codecs.map((c) => `${c.payloadType} ${c.name}`)).toEqual([
      '0 PCMU',
      '111 opus',
      '110 telephone-event',
      '126 telephone-event',
    ]);
    expect(audio.codecs[1]!.fmtp).toBe('minptime=10;useinbandfec=1');
    expect(audio.codecs[2]!.fmtp).toBe('0-15'); // offered without fmtp means 0-15 (RFC 4733 §2.4.1)
    const negotiated = media[0]!;
    expect(negotiated.codec).toMatchObject({
      name: 'PCMU',
      sendPayloadType: 0,
      receivePayloadType: 0,
    });
    expect(negotiated.telephoneEvent).toMatchObject({ clockRate: 8000, sendPayloadType: 126 });
    expect(negotiated.dtlsRole).toBe('client');
    expect(negotiated.srtp).toBe('dtls');
    expect(negotiated.remoteIce?.ufrag).toBe('YTnL');
    expect(negotiated.remoteFingerprints[0]?.algorithm).toBe('sha-256');
    expect(negotiated.direction).toBe('sendrecv');
  });

  it('keeps the header extensions it supports with the offered ids (RFC 8285)', () => {
    const offer = parseSdp(fixture('chromium-audio-offer.sdp'));
    const endpoint = {
      ...GATEWAY_WEBRTC,
      headerExtensions: [
        'urn:ietf:params:rtp-hdrext:sdes:mid',
        'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      ],
    };
    const { description, media } = createAnswer(offer, endpoint, { codecs: { audio: [OPUS] } });
    expect(description.media[0]!.extensions).toEqual([
      { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
      { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
    ]);
    expect(media[0]!.headerExtensions.map((e) => e.id)).toEqual([1, 4]);
  });

  it('keeps the offer order on request and pins one codec with singleCodec', () => {
    const offer = parseSdp(fixture('chromium-audio-offer.sdp'));
    const ordered = createAnswer(offer, GATEWAY_WEBRTC, {
      codecs: { audio: [PCMU, OPUS, TE8K] },
      order: 'offer',
    });
    expect(ordered.description.media[0]!.codecs.map((c) => c.name)).toEqual([
      'opus',
      'PCMU',
      'telephone-event',
    ]);
    const single = createAnswer(offer, GATEWAY_WEBRTC, {
      codecs: { audio: [PCMU, OPUS, TE8K, TE48K, CN8K] },
      singleCodec: true,
    });
    expect(single.description.media[0]!.codecs.map((c) => `${c.name}/${c.clockRate}`)).toEqual([
      'PCMU/8000',
      'CN/8000',
      'telephone-event/8000',
    ]);
  });

  it('keeps red only with the codec it carries', () => {
    const offer = parseSdp(fixture('chromium-audio-offer.sdp'));
    const red = { name: 'red', clockRate: 48000, channels: 2 };
    const withOpus = createAnswer(offer, GATEWAY_WEBRTC, { codecs: { audio: [OPUS, red] } });
    expect(
      withOpus.description.media[0]!.codecs.map(
        (c) => `${c.payloadType} ${c.name} ${c.fmtp ?? ''}`,
      ),
    ).toContain('63 red 111/111');
    const withoutOpus = createAnswer(offer, GATEWAY_WEBRTC, { codecs: { audio: [PCMU, red] } });
    expect(withoutOpus.description.media[0]!.codecs.map((c) => c.name)).toEqual(['PCMU']);
  });

  it('answers audio+video with BUNDLE, rtx for the accepted codec only, and H.264 by profile', () => {
    const offer = parseSdp(fixture('chromium-audio-video-offer.sdp'));
    const { description, media } = createAnswer(offer, GATEWAY_WEBRTC, {
      codecs: { audio: [OPUS, TE48K], video: [H264_CB, RTX] },
      singleCodec: true,
    });
    expect(description.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
    const video = description.media[1]!;
    expect(video.port).toBe(description.media[0]!.port);
    // 42e01f pm=1 matches Chrome's PT 108 (constrained baseline); 42001f is plain baseline
    expect(video.codecs.map((c) => `${c.payloadType} ${c.name} ${c.fmtp ?? ''}`)).toEqual([
      '108 H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      '109 rtx apt=108',
    ]);
    expect(video.codecs[0]!.rtcpFeedback).toEqual([
      { type: 'ccm', parameter: 'fir' },
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
    ]);
    expect(media[1]!.codec?.name).toBe('H264');
  });

  it('rejects video it has no codecs for with port 0, keeping order and mid', () => {
    const offer = parseSdp(fixture('chromium-audio-video-offer.sdp'));
    const { description, media } = createAnswer(offer, GATEWAY_WEBRTC, {
      codecs: { audio: [OPUS] },
    });
    expect(description.media.map((m) => `${m.kind}:${m.port}:${m.mid}`)).toEqual([
      'audio:40000:0',
      'video:0:1',
    ]);
    expect(description.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0'] }]);
    expect(media[1]!.accepted).toBe(false);
    const text = serializeSdp(description);
    expect(text).toMatch(/m=video 0 UDP\/TLS\/RTP\/SAVPF 96\r\n/);
  });

  it('answers node-datachannel (session-level fingerprint) and follows its setup role', () => {
    const offer = parseSdp(fixture('node-datachannel-audio-offer.sdp'));
    const passive = createAnswer(
      offer,
      { ...GATEWAY_WEBRTC, setup: 'passive' },
      { codecs: { audio: [OPUS] } },
    );
    expect(passive.description.media[0]!.setup).toBe('passive');
    expect(passive.media[0]!.dtlsRole).toBe('server');
    expect(passive.media[0]!.codec?.remoteFmtp).toContain('stereo=1');
  });

  it('answers a Firefox-style trickle offer with ICE-lite candidates', () => {
    const offer = parseSdp(fixture('firefox-audio-offer.sdp'));
    const { description, media } = createAnswer(offer, GATEWAY_WEBRTC, {
      codecs: { audio: [OPUS, TE8K] },
    });
    expect(description.media[0]!.codecs.map((c) => `${c.payloadType} ${c.name}`)).toEqual([
      '109 opus',
      '101 telephone-event',
    ]);
    expect(description.media[0]!.candidates).toHaveLength(1);
    expect(media[0]!.codec?.remoteFmtp).toBe('maxplaybackrate=48000;stereo=1;useinbandfec=1');
    expect(media[0]!.remoteCandidates).toEqual([]);
    expect(media[0]!.dtlsRole).toBe('client');
  });

  it('refuses what the WebRTC leg cannot take with 488', () => {
    const offer = parseSdp(fixture('chromium-audio-offer.sdp'));
    expect(
      errorOf(() => createAnswer(offer, GATEWAY_WEBRTC, { codecs: { audio: [G729] } })).code,
    ).toBe('SDP_NO_COMMON_CODECS');
    const plain = parseSdp(fixture('baresip-offer.sdp'));
    const error = errorOf(() => createAnswer(plain, GATEWAY_WEBRTC, { codecs: { audio: [PCMU] } }));
    expect(error.code).toBe('SDP_UNSUPPORTED_TRANSPORT');
    expect(error.sipStatus).toBe(488);
    const noFingerprint = parseSdp(
      fixture('chromium-audio-offer.sdp').replace(/a=fingerprint:[^\r\n]*\r\n/, ''),
    );
    expect(
      errorOf(() => createAnswer(noFingerprint, GATEWAY_WEBRTC, { codecs: { audio: [OPUS] } }))
        .code,
    ).toBe('SDP_FINGERPRINT_MISSING');
    const noIce = parseSdp(
      fixture('chromium-audio-offer.sdp').replace(/a=ice-pwd:[^\r\n]*\r\n/, ''),
    );
    expect(
      errorOf(() => createAnswer(noIce, GATEWAY_WEBRTC, { codecs: { audio: [OPUS] } })).code,
    ).toBe('SDP_ICE_CREDENTIALS_MISSING');
  });
});

describe('createAnswer on the SIP leg', () => {
  it('answers baresip with its payload types, ptime, and the gateway address', () => {
    const offer = parseSdp(fixture('baresip-offer.sdp'));
    const { description, media } = createAnswer(offer, GATEWAY_SIP, {
      codecs: { audio: [PCMA, PCMU, TE8K] },
      singleCodec: true,
    });
    const text = serializeSdp(description);
    expect(text).toContain('c=IN IP4 127.0.0.1\r\n');
    expect(text).toContain('m=audio 30000 RTP/AVP 8 101\r\n');
    expect(text).toContain('a=ptime:20\r\n');
    expect(text).toContain('a=fmtp:101 0-15\r\n');
    expect(description.iceLite).toBe(false);
    expect(media[0]!.remoteAddress?.address).toBe('127.0.0.1');
    expect(media[0]!.remotePort).toBe(10038);
    expect(media[0]!.remoteRtcpPort).toBe(10039);
    expect(media[0]!.remotePtime).toBe(20);
    expect(media[0]!.srtp).toBe('none');
  });

  it('answers a Kamailio-passed Linphone offer, matching static types and telephone-event rates', () => {
    const offer = parseSdp(fixture('kamailio-linphone-offer.sdp'));
    const { description, media } = createAnswer(offer, GATEWAY_SIP, {
      codecs: { audio: [G729, OPUS, TE8K, TE48K] },
    });
    expect(
      description.media[0]!.codecs.map(
        (c) => `${c.payloadType} ${c.name}/${c.clockRate} ${c.fmtp ?? ''}`,
      ),
    ).toEqual([
      '18 G729/8000 annexb=no',
      '96 opus/48000 minptime=10;useinbandfec=1',
      '101 telephone-event/48000 0-15',
      '100 telephone-event/8000 0-15',
    ]);
    expect(media[0]!.telephoneEvent?.receivePayloadType).toBe(100);
  });

  it('picks an SDES suite with the offered tag, and refuses RTP/SAVP without keys', () => {
    const offer = parseSdp(fixture('pjsip-sdes-offer.sdp'));
    const keyed: SipEndpoint = {
      ...GATEWAY_SIP,
      sdes: [
        {
          suite: 'AES_CM_128_HMAC_SHA1_80',
          keyParams: 'inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj',
        },
      ],
    };
    const { description, media } = createAnswer(offer, keyed, { codecs: { audio: [PCMU, PCMA] } });
    expect(description.media[0]!.protocol).toBe('RTP/SAVP');
    expect(description.media[0]!.crypto).toEqual([
      {
        tag: 2,
        suite: 'AES_CM_128_HMAC_SHA1_80',
        keyParams: 'inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj',
      },
    ]);
    expect(media[0]!.srtp).toBe('sdes');
    expect(media[0]!.remoteCrypto?.keyParams).toBe(
      'inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    );
    expect(media[0]!.localCrypto?.tag).toBe(2);
    expect(media[0]!.remoteRtcpPort).toBe(4001);
    const error = errorOf(() => createAnswer(offer, GATEWAY_SIP, { codecs: { audio: [PCMU] } }));
    expect(error.code).toBe('SDP_CRYPTO_NOT_ACCEPTABLE');
    expect(error.sipStatus).toBe(488);
  });

  it('refuses a browser offer on the SIP leg', () => {
    const offer = parseSdp(fixture('chromium-audio-offer.sdp'));
    expect(
      errorOf(() => createAnswer(offer, GATEWAY_SIP, { codecs: { audio: [PCMU] } })).code,
    ).toBe('SDP_UNSUPPORTED_TRANSPORT');
  });
});

describe('hold (RFC 3264 §8.4)', () => {
  const codecs = { audio: [PCMU, G729, TE8K] };
  it.each([
    ['hold-sendonly-reinvite.sdp', 'recvonly', 'recvonly'],
    ['hold-inactive-reinvite.sdp', 'inactive', 'inactive'],
    ['hold-legacy-reinvite.sdp', 'recvonly', 'recvonly'],
  ])('answers %s with %s', (name, answered, local) => {
    const { description, media } = createAnswer(parseSdp(fixture(name)), GATEWAY_SIP, { codecs });
    expect(description.media[0]!.direction).toBe(answered);
    expect(media[0]!.direction).toBe(local);
    expect(media[0]!.remoteHold).toBe(true);
  });

  it('holds from the local side with sendonly, and as RFC 2543 when configured', () => {
    const offer = parseSdp(fixture('baresip-offer.sdp'));
    const answer = createAnswer(offer, GATEWAY_SIP, { codecs, direction: 'sendonly' });
    expect(answer.description.media[0]!.direction).toBe('sendonly');
    expect(answer.media[0]!.remoteHold).toBe(false);
    const reoffer = createOffer(
      { ...GATEWAY_SIP, legacyHold: true },
      { media: [{ kind: 'audio', codecs: { capabilities: codecs.audio }, direction: 'sendonly' }] },
    );
    const text = serializeSdp(reoffer);
    expect(text).toContain('c=IN IP4 0.0.0.0\r\n');
    expect(text).toContain('a=sendonly\r\n');
  });
});

describe('createOffer and processAnswer', () => {
  it('offers RTP/AVP with static and dynamic types and reads a PSTN 183 answer', () => {
    const offer = createOffer(GATEWAY_SIP, {
      media: [
        { kind: 'audio', codecs: { capabilities: [OPUS, PCMU, PCMA, G722, TE48K, TE8K, CN8K] } },
      ],
    });
    const text = serializeSdp(offer);
    expect(text).toMatch(
      /^v=0\r\no=- \d+ 1 IN IP4 127\.0\.0\.1\r\ns=-\r\nc=IN IP4 127\.0\.0\.1\r\nt=0 0\r\n/,
    );
    expect(text).toContain('m=audio 30000 RTP/AVP 111 0 8 9 110 101 13\r\n');
    const negotiated = processAnswer(offer, parseSdp(fixture('pstn-183-answer.sdp')));
    expect(negotiated[0]!.codec).toMatchObject({
      name: 'PCMU',
      sendPayloadType: 0,
      receivePayloadType: 0,
    });
    expect(negotiated[0]!.telephoneEvent).toMatchObject({
      clockRate: 8000,
      sendPayloadType: 101,
      receivePayloadType: 101,
      remoteFmtp: '0-15',
    });
    expect(negotiated[0]!.remoteAddress?.address).toBe('203.0.113.5');
    expect(negotiated[0]!.remotePort).toBe(20000);
    expect(negotiated[0]!.remoteMaxptime).toBe(30);
    expect(negotiated[0]!.direction).toBe('sendrecv');
  });

  it('keeps the payload type mapping per direction when the answerer renumbers', () => {
    const offer = createOffer(GATEWAY_SIP, {
      media: [{ kind: 'audio', codecs: { capabilities: [PCMU, TE8K] } }],
    });
    const answer = parseSdp(
      [
        'v=0',
        'o=- 5 5 IN IP4 192.0.2.9',
        's=-',
        'c=IN IP4 192.0.2.9',
        't=0 0',
        'm=audio 5000 RTP/AVP 0 96',
        'a=rtpmap:96 telephone-event/8000',
        'a=recvonly',
        '',
      ].join('\r\n'),
    );
    const [audio] = processAnswer(offer, answer);
    expect(audio!.telephoneEvent).toMatchObject({ sendPayloadType: 96, receivePayloadType: 101 });
    expect(audio!.direction).toBe('sendonly');
  });

  it('validates the answer against the offer', () => {
    const offer = createOffer(GATEWAY_SIP, {
      media: [{ kind: 'audio', codecs: { capabilities: [PCMU] } }],
    });
    const twoStreams = parseSdp(
      fixture('kamailio-linphone-offer.sdp').replace('m=audio', 'm=audio 9 RTP/AVP 0\r\nm=audio'),
    );
    expect(errorOf(() => processAnswer(offer, twoStreams)).code).toBe('SDP_ANSWER_MISMATCH');
    const foreign = parseSdp(
      fixture('pstn-183-answer.sdp')
        .replace(/ 0 101/, ' 8 101')
        .replace('rtpmap:0 PCMU', 'rtpmap:8 PCMA'),
    );
    expect(errorOf(() => processAnswer(offer, foreign)).code).toBe('SDP_ANSWER_MISMATCH');
  });

  it('offers WebRTC with actpass, BUNDLE, rtcp-mux, rtx per codec and announced streams', () => {
    const endpoint: WebRtcEndpoint = {
      ...GATEWAY_WEBRTC,
      streams: { video: { ssrc: 1111, rtxSsrc: 2222, cname: 'gw', streamId: 's', trackId: 'v' } },
    };
    const offer = createOffer(endpoint, {
      media: [
        { kind: 'audio', codecs: { capabilities: [OPUS, TE48K] } },
        { kind: 'video', codecs: { capabilities: [VP8, H264_CB, RTX] } },
      ],
    });
    expect(offer.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
    const video = offer.media[1]!;
    expect(video.setup).toBe('actpass');
    expect(video.codecs.map((c) => `${c.payloadType} ${c.name} ${c.fmtp ?? ''}`)).toEqual([
      '96 VP8 ',
      '102 H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      '97 rtx apt=96',
      '98 rtx apt=102',
    ]);
    expect(video.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [1111, 2222] }]);
    expect(parseSdp(serializeSdp(offer)).media[1]!.msid).toEqual({ streamId: 's', trackId: 'v' });
  });

  it('versions re-offers: same origin, version bumped only on change, positions kept', () => {
    const first = createOffer(GATEWAY_SIP, {
      media: [
        { kind: 'audio', codecs: { capabilities: [PCMU] } },
        { kind: 'video', codecs: { capabilities: [VP8] } },
      ],
    });
    const same = createOffer(GATEWAY_SIP, {
      previous: first,
      media: [
        { kind: 'audio', codecs: { capabilities: [PCMU] } },
        { kind: 'video', codecs: { capabilities: [VP8] } },
      ],
    });
    expect(same.origin).toEqual(first.origin);
    const held = createOffer(GATEWAY_SIP, {
      previous: first,
      media: [{ kind: 'audio', codecs: { capabilities: [PCMU] }, direction: 'sendonly' }],
    });
    expect(held.origin.sessionId).toBe(first.origin.sessionId);
    expect(held.origin.sessionVersion).toBe('2');
    expect(held.media.map((m) => `${m.kind}:${m.port}`)).toEqual(['audio:30000', 'video:0']);
    expect(
      errorOf(() =>
        createOffer(GATEWAY_SIP, {
          previous: first,
          media: [{ kind: 'video', codecs: { capabilities: [VP8] } }],
        }),
      ).code,
    ).toBe('SDP_INVALID_ARGUMENT');
  });
});
