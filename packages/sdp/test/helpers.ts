import { readFileSync } from 'node:fs';
import type { CodecCapability, SipEndpoint, WebRtcEndpoint } from '@callbridge/sdp';

export function fixture(name: string): string {
  return readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
}

export const FIXTURES = [
  'chromium-audio-offer.sdp',
  'chromium-audio-video-offer.sdp',
  'node-datachannel-audio-offer.sdp',
  'node-datachannel-audio-video-offer.sdp',
  'baresip-offer.sdp',
  'kamailio-linphone-offer.sdp',
  'pstn-183-answer.sdp',
  'hold-sendonly-reinvite.sdp',
  'hold-inactive-reinvite.sdp',
  'hold-legacy-reinvite.sdp',
  'pjsip-sdes-offer.sdp',
  'firefox-audio-offer.sdp',
] as const;

export const OPUS: CodecCapability = {
  name: 'opus',
  clockRate: 48000,
  channels: 2,
  fmtp: 'minptime=10;useinbandfec=1',
  payloadType: 111,
};
export const PCMU: CodecCapability = { name: 'PCMU', clockRate: 8000 };
export const PCMA: CodecCapability = { name: 'PCMA', clockRate: 8000 };
export const G722: CodecCapability = { name: 'G722', clockRate: 8000 };
export const G729: CodecCapability = { name: 'G729', clockRate: 8000, relayOnly: true };
export const TE8K: CodecCapability = {
  name: 'telephone-event',
  clockRate: 8000,
  fmtp: '0-16',
  payloadType: 101,
};
export const TE48K: CodecCapability = {
  name: 'telephone-event',
  clockRate: 48000,
  fmtp: '0-16',
  payloadType: 110,
};
export const CN8K: CodecCapability = { name: 'CN', clockRate: 8000 };
const VIDEO_FEEDBACK = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
];
export const VP8: CodecCapability = {
  name: 'VP8',
  clockRate: 90000,
  relayOnly: true,
  rtcpFeedback: VIDEO_FEEDBACK,
  payloadType: 96,
};
export const H264_CB: CodecCapability = {
  name: 'H264',
  clockRate: 90000,
  fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  relayOnly: true,
  rtcpFeedback: VIDEO_FEEDBACK,
  payloadType: 102,
};
export const RTX: CodecCapability = { name: 'rtx', clockRate: 90000, relayOnly: true };

export const GATEWAY_WEBRTC: WebRtcEndpoint = {
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
  fingerprints: [
    {
      algorithm: 'sha-256',
      value: Array.from({ length: 32 }, (_, i) =>
        (i * 7).toString(16).padStart(2, '0').toUpperCase(),
      ).join(':'),
    },
  ],
};
export const GATEWAY_SIP: SipEndpoint = {
  profile: 'sip',
  address: '127.0.0.1',
  ports: { audio: 30000, video: 30002 },
  ptime: 20,
};
