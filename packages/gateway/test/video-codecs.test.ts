// H.264 between the browser (WebRTC profile) and a plain RTP/AVP phone: a format is relayed only
// when both ends agree on profile and packetization-mode (RFC 6184 §8.1), so the gateway must offer
// each kind a browser and a phone may use, and keep each side's payload type and level.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  browserAnswerToSip,
  browserOfferToSip,
  createAnswer,
  parseSdp,
  serializeSdp,
  sipAnswerToBrowser,
  sipOfferToBrowser,
  type CodecCapability,
  type GatewayMediaConfig,
} from '@callbridge/sdp';
import { legCodecs } from '../src/b2bua/capabilities.js';

const chromiumOffer = readFileSync(
  new URL('../../sdp/test/fixtures/chromium-audio-video-offer.sdp', import.meta.url),
  'utf8',
);

const CODECS = ['PCMU', 'telephone-event', 'VP8', 'H264'] as const;

const CONFIG: GatewayMediaConfig = {
  webrtc: {
    profile: 'webrtc',
    ice: { ufrag: 'gw01', pwd: 'gatewaypassword0123456789' },
    candidates: [
      {
        foundation: '1',
        component: 1,
        transport: 'udp',
        priority: 2130706431,
        address: '127.0.0.1',
        port: 40000,
        type: 'host',
      },
    ],
    fingerprints: [{ algorithm: 'sha-256', value: Array(32).fill('AB').join(':') }],
  },
  sip: { profile: 'sip', address: '127.0.0.1', ports: { audio: 30000, video: 30002 } },
  codecs: { webrtc: legCodecs(CODECS, 'webrtc'), sip: legCodecs(CODECS, 'sip') },
};

const h264 = (fmtp: string): CodecCapability => ({ name: 'H264', clockRate: 90000, fmtp });
/** What Chromium 156 decodes (RTCRtpReceiver.getCapabilities), in its order. */
const CHROMIUM_H264 = [
  h264('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f'),
  h264('level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f'),
  h264('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'),
  h264('level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f'),
];
const PCMU: CodecCapability = { name: 'PCMU', clockRate: 8000 };

function phoneOffer(video: string[]): string {
  return [
    'v=0',
    'o=phone 1 1 IN IP4 192.0.2.50',
    's=-',
    'c=IN IP4 192.0.2.50',
    't=0 0',
    'm=audio 7078 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    ...video,
    '',
  ].join('\r\n');
}

const formats = (sdp: string, kind: string) =>
  parseSdp(sdp)
    .media.find((m) => m.kind === kind)!
    .codecs.map((c) => `${c.payloadType} ${c.name} ${c.fmtp ?? ''}`.trim());

describe('H.264 between a browser and a SIP phone', () => {
  it("passes a phone's Baseline, mode 0 offer (42801f) to the browser and relays its answer", () => {
    const offer = sipOfferToBrowser(
      phoneOffer([
        'm=video 9078 RTP/AVP 97',
        'a=rtpmap:97 H264/90000',
        'a=fmtp:97 profile-level-id=42801F',
      ]),
      CONFIG,
    );
    // The browser gets the phone's own format and payload type: it is the real receiver.
    expect(formats(offer.sdp, 'video')).toEqual(['97 H264 profile-level-id=42801F']);
    const browser = createAnswer(offer.description, CONFIG.webrtc, {
      codecs: { audio: [PCMU], video: CHROMIUM_H264 },
      singleCodec: true,
    });
    const answer = browserAnswerToSip(offer, browser.description);
    expect(answer.media.map((m) => `${m.kind}:${m.mode}`)).toEqual(['audio:relay', 'video:relay']);
    const [video] = formats(answer.sdp, 'video');
    // RFC 6184 §8.2.2: same profile, the mode the phone offered, no asymmetry on its side.
    expect(video).toMatch(/^97 H264 /);
    expect(video).toContain('packetization-mode=0');
    expect(video).toContain('profile-level-id=42801f');
    expect(video).not.toContain('level-asymmetry-allowed');
  });

  it('relays H.264 to a phone that offers it without any fmtp (Baseline level 1, mode 0)', () => {
    const offer = sipOfferToBrowser(
      phoneOffer(['m=video 9078 RTP/AVP 98', 'a=rtpmap:98 H264/90000']),
      CONFIG,
    );
    expect(formats(offer.sdp, 'video')).toEqual(['98 H264']);
  });

  it("offers the phone each H.264 mode of the browser's offer, and relays the one it picks", () => {
    const offer = browserOfferToSip(chromiumOffer, CONFIG);
    expect(formats(offer.sdp, 'video')).toEqual([
      '96 VP8',
      '108 H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      '102 H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
      '114 H264 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
      '104 H264 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
    ]);
    // A phone that only does Baseline in mode 0, at level 3.0.
    const phone = createAnswer(
      offer.description,
      { profile: 'sip', address: '192.0.2.50', ports: { audio: 7078, video: 9078 } },
      {
        codecs: { audio: [PCMU], video: [h264('packetization-mode=0;profile-level-id=42801e')] },
        singleCodec: true,
      },
    );
    const answer = sipAnswerToBrowser(offer, serializeSdp(phone.description));
    expect(answer.media.map((m) => `${m.kind}:${m.mode}`)).toEqual(['audio:relay', 'video:relay']);
    expect(answer.media[1]!.sip?.codec).toMatchObject({ name: 'H264', sendPayloadType: 104 });
    // The browser may send what the phone can receive: its mode, level 3.0 (1e), no asymmetry.
    expect(formats(answer.sdp, 'video')).toEqual([
      '104 H264 packetization-mode=0;profile-level-id=42001e',
    ]);
  });
});
