import { describe, expect, it } from 'vitest';
import {
  browserAnswerToSip,
  browserOfferToSip,
  createAnswer,
  createOffer,
  parseSdp,
  serializeSdp,
  sipAnswerToBrowser,
  sipOfferToBrowser,
  SdpError,
  type GatewayMediaConfig,
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

const CONFIG: GatewayMediaConfig = {
  webrtc: GATEWAY_WEBRTC,
  sip: GATEWAY_SIP,
  codecs: {
    webrtc: { audio: [OPUS, PCMU, PCMA, G722, TE48K, TE8K], video: [VP8, H264_CB, RTX] },
    sip: { audio: [PCMU, PCMA, G722, OPUS, G729, TE8K, TE48K, CN8K], video: [H264_CB, VP8] },
  },
};

/** A SIP phone answering the gateway's offer with the given codecs (by its own preference). */
function phoneAnswer(
  offerSdp: string,
  codecs: Parameters<typeof createAnswer>[2]['codecs'],
  direction?: 'sendrecv' | 'sendonly',
) {
  const phone = {
    profile: 'sip',
    address: '192.0.2.50',
    ports: { audio: 6000, video: 6002 },
  } as const;
  return serializeSdp(
    createAnswer(parseSdp(offerSdp), phone, {
      codecs,
      singleCodec: true,
      ...(direction ? { direction } : {}),
    }).description,
  );
}

/**
 * A description as browsers write it once BUNDLE is in place: every section after the first
 * says port 9 and c=0.0.0.0, with no candidates of its own (JSEP, RFC 8829 §5.2.1).
 */
function bundledLikeChrome(sdp: string, kind: 'video'): string {
  const at = sdp.indexOf(`m=${kind} `);
  const section = sdp
    .slice(at)
    .replace(/^(?:c|a=candidate:).*\r\n/gm, '')
    .replace(/^m=(\w+) \d+(.*)\r\n/m, 'm=$1 9$2\r\nc=IN IP4 0.0.0.0\r\n');
  return sdp.slice(0, at) + section;
}

function errorOf(fn: () => unknown): SdpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SdpError) return error;
    throw error;
  }
  throw new Error('expected an SdpError');
}

describe('browser calls SIP', () => {
  it('offers the SIP side shared codecs first, with the browser payload types, then transcodable ones', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-offer.sdp'), CONFIG);
    const audio = offer.description.media[0]!;
    expect(audio.protocol).toBe('RTP/AVP');
    expect(audio.port).toBe(30000);
    expect(audio.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}`)).toEqual([
      '0 PCMU/8000',
      '8 PCMA/8000',
      '9 G722/8000',
      '111 opus/48000',
      '126 telephone-event/8000',
      '110 telephone-event/48000',
      '13 CN/8000',
    ]);
    // G.729 is relayOnly and the browser does not have it: not offered
    expect(offer.sdp).not.toContain('G729');
    expect(offer.sdp).toContain('a=ptime:20\r\n');
    expect(offer.sdp).not.toContain('a=ice');
    expect(offer.sdp).not.toContain('a=fingerprint');
  });

  it('relays PCMU when the SIP phone picks it, answering the browser with its own payload types', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-offer.sdp'), CONFIG);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU, TE8K] }));
    expect(answer.relay).toBe(true);
    const [audio] = answer.media;
    expect(audio!.mode).toBe('relay');
    expect(audio!.webrtc?.codec).toMatchObject({ name: 'PCMU', sendPayloadType: 0 });
    expect(audio!.sip?.codec).toMatchObject({ name: 'PCMU', sendPayloadType: 0 });
    expect(audio!.webrtc?.telephoneEvent?.sendPayloadType).toBe(126);
    expect(audio!.sip?.telephoneEvent?.sendPayloadType).toBe(126);
    expect(audio!.sip?.remoteAddress?.address).toBe('192.0.2.50');
    const browserAudio = answer.description.media[0]!;
    expect(browserAudio.codecs.map((c) => `${c.payloadType} ${c.name}`)).toEqual([
      '0 PCMU',
      '126 telephone-event',
    ]);
    expect(browserAudio.setup).toBe('active');
    expect(browserAudio.ice?.ufrag).toBe('gw01');
    expect(answer.description.iceLite).toBe(true);
    expect(answer.sdp).toContain('a=fingerprint:sha-256 00:07:0E');
  });

  it('transcodes when the SIP phone only speaks G.729, giving the browser Opus', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-offer.sdp'), {
      ...CONFIG,
      codecs: { ...CONFIG.codecs, sip: { audio: [{ ...G729, relayOnly: false }, PCMU, TE8K] } },
    });
    expect(offer.description.media[0]!.codecs.map((c) => c.name)).toEqual([
      'PCMU',
      'G729',
      'telephone-event',
    ]);
    const answer = sipAnswerToBrowser(
      offer,
      phoneAnswer(offer.sdp, { audio: [{ name: 'G729', clockRate: 8000 }, TE8K] }),
    );
    expect(answer.relay).toBe(false);
    expect(answer.media[0]!.mode).toBe('transcode');
    expect(answer.media[0]!.sip?.codec).toMatchObject({ name: 'G729', sendPayloadType: 18 });
    expect(answer.media[0]!.webrtc?.codec).toMatchObject({
      name: 'opus',
      sendPayloadType: 111,
      localFmtp: 'minptime=10;useinbandfec=1',
    });
    expect(answer.media[0]!.webrtc?.telephoneEvent?.clockRate).toBe(48000);
  });

  it('offers only shared codecs when transcoding is off, and fails with 488 when there are none', () => {
    const noTranscoding = {
      ...CONFIG,
      transcoding: false,
      codecs: { ...CONFIG.codecs, sip: { audio: [PCMU, { ...G729, relayOnly: false }, TE8K] } },
    };
    const offer = browserOfferToSip(fixture('chromium-audio-offer.sdp'), noTranscoding);
    expect(offer.description.media[0]!.codecs.map((c) => c.name)).toEqual([
      'PCMU',
      'telephone-event',
    ]);
    const g729Only = {
      ...noTranscoding,
      codecs: { ...CONFIG.codecs, sip: { audio: [{ ...G729, relayOnly: false }] } },
    };
    const error = errorOf(() => browserOfferToSip(fixture('chromium-audio-offer.sdp'), g729Only));
    expect(error.code).toBe('SDP_NO_COMMON_CODECS');
    expect(error.sipStatus).toBe(488);
  });

  it('bridges audio+video with BUNDLE on the browser side and separate ports on the SIP side', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-video-offer.sdp'), CONFIG);
    expect(offer.description.media.map((m) => `${m.kind} ${m.port} ${m.protocol}`)).toEqual([
      'audio 30000 RTP/AVP',
      'video 30002 RTP/AVP',
    ]);
    const video = offer.description.media[1]!;
    // H.264 constrained baseline pm=1 from Chrome (108), then VP8 (96); no rtx on the SIP leg
    expect(video.codecs.map((c) => `${c.payloadType} ${c.name}`)).toEqual(['108 H264', '96 VP8']);
    const sipAnswer = phoneAnswer(offer.sdp, {
      audio: [PCMA, TE8K],
      video: [{ ...H264_CB, fmtp: 'packetization-mode=1;profile-level-id=42e015' }],
    });
    const answer = sipAnswerToBrowser(offer, sipAnswer);
    expect(answer.media.map((m) => `${m.kind}:${m.mode}`)).toEqual(['audio:relay', 'video:relay']);
    expect(answer.description.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
    const browserVideo = answer.description.media[1]!;
    expect(browserVideo.codecs.map((c) => `${c.payloadType} ${c.name} ${c.fmtp ?? ''}`)).toEqual([
      '108 H264 packetization-mode=1;profile-level-id=42e015',
      '109 rtx apt=108',
    ]);
    expect(browserVideo.port).toBe(answer.description.media[0]!.port);
  });

  it('keeps a bundled video section sendrecv although the browser gives it c=0.0.0.0', () => {
    const browserOffer = bundledLikeChrome(fixture('chromium-audio-video-offer.sdp'), 'video');
    expect(browserOffer).toMatch(/m=video 9 [^]*c=IN IP4 0\.0\.0\.0\r\n/);
    const offer = browserOfferToSip(browserOffer, CONFIG);
    const video = offer.description.media[1]!;
    expect(video.kind).toBe('video');
    // With ICE the null address is "no candidate yet", not an RFC 2543 hold (RFC 3264 §8.4).
    expect(video.direction).toBe('sendrecv');
    expect(video.connection?.address).toBe('127.0.0.1');
    const sipAnswer = phoneAnswer(offer.sdp, { audio: [PCMU, TE8K], video: [VP8] });
    const answer = sipAnswerToBrowser(offer, sipAnswer);
    expect(answer.description.media.map((m) => `${m.kind}:${m.direction}`)).toEqual([
      'audio:sendrecv',
      'video:sendrecv',
    ]);
  });

  it('takes a Firefox offer with only mDNS candidates (c=0.0.0.0 on its first section) as sendrecv', () => {
    // Firefox hides host addresses behind mDNS names (RFC 8839 §5.1 allows FQDNs in candidates)
    // and, having no IP address to name, keeps c=IN IP4 0.0.0.0 on the default section too.
    const browserOffer = fixture('firefox-audio-offer.sdp').replace(
      'a=ssrc:',
      'a=candidate:0 1 UDP 2122187007 0c11be7c-3f22-4321-85b5-7559984f6e11.local 60037 typ host\r\n' +
        'a=end-of-candidates\r\na=ssrc:',
    );
    expect(browserOffer).toMatch(/^c=IN IP4 0\.0\.0\.0\r\n/m);
    const offer = browserOfferToSip(browserOffer, CONFIG);
    expect(offer.description.media[0]!.direction).toBe('sendrecv');
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU, TE8K] }));
    expect(answer.description.media[0]!.direction).toBe('sendrecv');
    // What the media path is set up with: the browser sends and receives.
    expect(answer.media[0]!.webrtc?.direction).toBe('sendrecv');
    expect(answer.media[0]!.webrtc?.remoteHold).toBe(false);
  });

  it('rejects the browser video when the SIP leg has no video, keeping audio', () => {
    const audioOnly = { ...CONFIG, codecs: { ...CONFIG.codecs, sip: { audio: [PCMU, TE8K] } } };
    const offer = browserOfferToSip(fixture('chromium-audio-video-offer.sdp'), audioOnly);
    expect(offer.description.media).toHaveLength(1);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU, TE8K] }));
    expect(answer.description.media.map((m) => `${m.kind}:${m.port}:${m.mid}`)).toEqual([
      'audio:40000:0',
      'video:0:1',
    ]);
    expect(answer.media[1]!.mode).toBe('rejected');
    expect(answer.description.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0'] }]);
  });

  it('does not forward video when the SIP leg has no video port', () => {
    const noVideoPort = { ...CONFIG, sip: { ...GATEWAY_SIP, ports: { audio: 30000 } } };
    const offer = browserOfferToSip(fixture('chromium-audio-video-offer.sdp'), noVideoPort);
    expect(offer.description.media.map((m) => m.kind)).toEqual(['audio']);
    const sipOffer = [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.4',
      's=-',
      'c=IN IP4 192.0.2.4',
      't=0 0',
      'm=audio 4000 RTP/AVP 0',
      'm=video 4002 RTP/AVP 96',
      'a=rtpmap:96 VP8/90000',
      '',
    ].join('\r\n');
    const answer = createAnswer(parseSdp(sipOffer), noVideoPort.sip, {
      codecs: { audio: [PCMU], video: [VP8] },
    });
    expect(answer.description.media.map((m) => m.port)).toEqual([30000, 0]);
  });

  it('plays a PSTN 183 as early media', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-offer.sdp'), CONFIG);
    const early = sipAnswerToBrowser(offer, fixture('pstn-183-answer.sdp'));
    expect(early.media[0]!.mode).toBe('relay');
    expect(early.media[0]!.webrtc?.direction).toBe('sendrecv');
    expect(early.media[0]!.sip?.remotePort).toBe(20000);
    expect(early.media[0]!.sip?.remoteMaxptime).toBe(30);
  });

  it('passes a browser hold through as a SIP re-offer with sendonly, same origin, next version', () => {
    const first = browserOfferToSip(fixture('chromium-audio-offer.sdp'), CONFIG);
    const firstAnswer = sipAnswerToBrowser(first, phoneAnswer(first.sdp, { audio: [PCMU, TE8K] }));
    const holdOffer = fixture('chromium-audio-offer.sdp')
      .replace('a=sendrecv', 'a=sendonly')
      .replace(/o=- (\d+) 2 /, 'o=- $1 3 ');
    const reoffer = browserOfferToSip(holdOffer, {
      ...CONFIG,
      previous: { sip: first.description, webrtc: firstAnswer.description },
    });
    expect(reoffer.description.media[0]!.direction).toBe('sendonly');
    expect(reoffer.description.origin.sessionId).toBe(first.description.origin.sessionId);
    expect(reoffer.description.origin.sessionVersion).toBe('2');
    const held = sipAnswerToBrowser(reoffer, phoneAnswer(reoffer.sdp, { audio: [PCMU, TE8K] }));
    expect(held.description.media[0]!.direction).toBe('recvonly');
    expect(held.description.origin.sessionId).toBe(firstAnswer.description.origin.sessionId);
    expect(held.media[0]!.webrtc?.direction).toBe('recvonly');
  });

  it('passes a SIP-side hold answer (sendonly) to the browser as sendonly', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-offer.sdp'), CONFIG);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU] }, 'sendonly'));
    expect(answer.description.media[0]!.direction).toBe('sendonly');
    expect(answer.media[0]!.webrtc?.remoteHold).toBe(false);
    expect(answer.media[0]!.sip?.remoteHold).toBe(true);
  });

  it('refuses an answer that does not fit its offer', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-offer.sdp'), CONFIG);
    expect(
      errorOf(() =>
        sipAnswerToBrowser(
          offer,
          fixture('kamailio-linphone-offer.sdp').replace('m=audio', 'm=video'),
        ),
      ).code,
    ).toBe('SDP_ANSWER_MISMATCH');
    expect(errorOf(() => browserAnswerToSip(offer, fixture('pstn-183-answer.sdp'))).code).toBe(
      'SDP_INVALID_ARGUMENT',
    );
  });
});

describe('SIP calls the browser', () => {
  it('offers the browser WebRTC with the SIP codecs first and answers baresip with one codec', () => {
    const offer = sipOfferToBrowser(fixture('baresip-offer.sdp'), CONFIG);
    const audio = offer.description.media[0]!;
    expect(audio.protocol).toBe('UDP/TLS/RTP/SAVPF');
    expect(audio.setup).toBe('actpass');
    expect(audio.mid).toBe('0');
    expect(offer.description.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0'] }]);
    expect(offer.description.iceLite).toBe(true);
    expect(audio.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}`)).toEqual([
      '0 PCMU/8000',
      '8 PCMA/8000',
      '111 opus/48000',
      '9 G722/8000',
      '110 telephone-event/48000',
      '101 telephone-event/8000',
    ]);
    // The browser prefers Opus: the gateway transcodes to the phone's first codec.
    const browser = {
      ...GATEWAY_WEBRTC,
      ice: { ufrag: 'brws', pwd: 'browserpassword0123456789' },
      setup: 'active' as const,
    };
    const browserAnswer = createAnswer(offer.description, browser, {
      codecs: { audio: [OPUS, PCMU, TE48K, TE8K] },
      singleCodec: true,
    });
    const answer = browserAnswerToSip(offer, browserAnswer.description);
    expect(answer.media[0]!.mode).toBe('transcode');
    expect(answer.media[0]!.webrtc?.codec?.name).toBe('opus');
    expect(answer.media[0]!.webrtc?.dtlsRole).toBe('server');
    const sipAudio = answer.description.media[0]!;
    expect(sipAudio.codecs.map((c) => `${c.payloadType} ${c.name}`)).toEqual([
      '0 PCMU',
      '101 telephone-event',
    ]);
    expect(answer.sdp).toContain('m=audio 30000 RTP/AVP 0 101\r\n');
    expect(answer.media[0]!.sip?.remotePort).toBe(10038);
  });

  it('relays when the browser picks a codec the phone offered', () => {
    const offer = sipOfferToBrowser(fixture('baresip-offer.sdp'), CONFIG);
    const browserAnswer = createAnswer(offer.description, GATEWAY_WEBRTC, {
      codecs: { audio: [PCMA, TE8K] },
      singleCodec: true,
    });
    const answer = browserAnswerToSip(offer, browserAnswer.description);
    expect(answer.relay).toBe(true);
    expect(answer.description.media[0]!.codecs.map((c) => `${c.payloadType} ${c.name}`)).toEqual([
      '8 PCMA',
      '101 telephone-event',
    ]);
  });

  it('answers SDES offers with SRTP and rejects unsupported streams with 488', () => {
    const keyed = {
      ...CONFIG,
      sip: {
        ...GATEWAY_SIP,
        sdes: [
          {
            suite: 'AES_CM_128_HMAC_SHA1_80',
            keyParams: 'inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj',
          },
        ],
      },
    };
    const offer = sipOfferToBrowser(fixture('pjsip-sdes-offer.sdp'), keyed);
    const browserAnswer = createAnswer(offer.description, GATEWAY_WEBRTC, {
      codecs: { audio: [G722, TE8K] },
      singleCodec: true,
    });
    const answer = browserAnswerToSip(offer, browserAnswer.description);
    expect(answer.description.media[0]!.protocol).toBe('RTP/SAVP');
    expect(answer.media[0]!.sip?.localCrypto?.tag).toBe(2);
    expect(answer.media[0]!.mode).toBe('relay');
    expect(errorOf(() => sipOfferToBrowser(fixture('pjsip-sdes-offer.sdp'), CONFIG)).code).toBe(
      'SDP_CRYPTO_NOT_ACCEPTABLE',
    );
    const t38 = [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=image 4000 udptl t38',
      '',
    ].join('\r\n');
    expect(errorOf(() => sipOfferToBrowser(t38, CONFIG)).code).toBe('SDP_NO_USABLE_MEDIA');
  });

  it('keeps telephone-event at each clock rate from a Linphone offer through Kamailio', () => {
    const offer = sipOfferToBrowser(fixture('kamailio-linphone-offer.sdp'), CONFIG);
    const names = offer.description.media[0]!.codecs.map(
      (c) => `${c.payloadType} ${c.name}/${c.clockRate}`,
    );
    expect(names).toContain('96 opus/48000');
    expect(names).toContain('101 telephone-event/48000');
    expect(names).toContain('100 telephone-event/8000');
  });

  it('takes a browser answer whose bundled video section says c=0.0.0.0 as sendrecv', () => {
    const phoneOffer = [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.50',
      's=-',
      'c=IN IP4 192.0.2.50',
      't=0 0',
      'm=audio 6000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'm=video 6002 RTP/AVP 96',
      'a=rtpmap:96 VP8/90000',
      '',
    ].join('\r\n');
    const offer = sipOfferToBrowser(phoneOffer, CONFIG);
    expect(offer.description.media.map((m) => `${m.kind}:${m.direction}`)).toEqual([
      'audio:sendrecv',
      'video:sendrecv',
    ]);
    const browserAnswer = createAnswer(offer.description, GATEWAY_WEBRTC, {
      codecs: { audio: [PCMU], video: [VP8] },
      singleCodec: true,
    });
    const bundled = bundledLikeChrome(serializeSdp(browserAnswer.description), 'video');
    expect(bundled).toMatch(/m=video 9 [^]*c=IN IP4 0\.0\.0\.0\r\n/);
    const answer = browserAnswerToSip(offer, bundled);
    expect(answer.media.map((m) => `${m.kind}:${m.mode}`)).toEqual(['audio:relay', 'video:relay']);
    expect(answer.description.media.map((m) => `${m.kind}:${m.port > 0}:${m.direction}`)).toEqual([
      'audio:true:sendrecv',
      'video:true:sendrecv',
    ]);
  });

  it('passes a legacy hold re-INVITE on to the browser as sendonly', () => {
    const offer = sipOfferToBrowser(fixture('hold-legacy-reinvite.sdp'), CONFIG);
    expect(offer.description.media[0]!.direction).toBe('sendonly');
    expect(offer.description.media[0]!.connection?.address).toBe('127.0.0.1');
  });
});

describe('offers made by the bridge are valid offers', () => {
  it('can be answered by the generic answerer on the other side', () => {
    const offer = browserOfferToSip(fixture('chromium-audio-video-offer.sdp'), CONFIG);
    const reparsed = parseSdp(offer.sdp);
    expect(reparsed.media).toEqual(offer.description.media);
    const sipOffer = createOffer(GATEWAY_SIP, {
      media: [{ kind: 'audio', codecs: { capabilities: [PCMU] } }],
    });
    expect(sipOffer.media[0]!.codecs[0]!.payloadType).toBe(0);
  });
});
