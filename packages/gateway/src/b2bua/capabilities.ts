// The codecs each leg may negotiate, from the configuration's codec names. Video is relay-only:
// the gateway forwards it but never decodes it.
import type { CodecRegistry } from '@callbridge/codecs';
import type { CodecCapability, CodecsByKind } from '@callbridge/sdp';
import type { CodecName } from '../config.js';

const VIDEO_FEEDBACK = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
] as const;

/**
 * The H.264 stream types the gateway relays. A format is relayed only between a browser and a
 * phone that agree on the profile and the packetization-mode (RFC 6184 §8.1, §8.2.2); the level
 * is each receiver's own (level-asymmetry-allowed). Browsers offer Constrained Baseline (42e01f)
 * and Baseline (42001f) in modes 1 and 0; SIP phones often offer Baseline (42801f, or no
 * profile-level-id at all: 42000a) in mode 0 only, so every pair is listed, mode 1 first.
 */
const H264_FORMATS = [
  'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
] as const;

function capabilitiesOf(name: CodecName, leg: 'webrtc' | 'sip'): readonly CodecCapability[] {
  switch (name) {
    case 'opus':
      return [{ name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1' }];
    case 'PCMU':
    case 'PCMA':
    case 'G722':
      return [{ name, clockRate: 8000 }];
    case 'G729':
      return [{ name: 'G729', clockRate: 8000, fmtp: 'annexb=no' }];
    case 'speex':
      return [
        { name: 'speex', clockRate: 16000 },
        { name: 'speex', clockRate: 8000 },
      ];
    case 'telephone-event':
      // RFC 4733 at each audio clock rate the leg may use; browsers send it at 48 kHz with Opus.
      return leg === 'webrtc'
        ? [
            { name: 'telephone-event', clockRate: 48000, fmtp: '0-16' },
            { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
          ]
        : [
            { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
            { name: 'telephone-event', clockRate: 16000, fmtp: '0-16' },
            { name: 'telephone-event', clockRate: 48000, fmtp: '0-16' },
          ];
    case 'VP8':
      return [{ name: 'VP8', clockRate: 90000, relayOnly: true, rtcpFeedback: VIDEO_FEEDBACK }];
    case 'H264':
      return H264_FORMATS.map((fmtp) => ({
        name: 'H264',
        clockRate: 90000,
        relayOnly: true,
        fmtp,
        rtcpFeedback: VIDEO_FEEDBACK,
      }));
  }
}

const VIDEO_CODECS: ReadonlySet<CodecName> = new Set(['VP8', 'H264']);

/** Capabilities per media kind for one leg, in the configured preference order. */
export function legCodecs(names: readonly CodecName[], leg: 'webrtc' | 'sip'): CodecsByKind {
  const audio = names.filter((n) => !VIDEO_CODECS.has(n)).flatMap((n) => capabilitiesOf(n, leg));
  const video = names.filter((n) => VIDEO_CODECS.has(n)).flatMap((n) => capabilitiesOf(n, leg));
  return {
    ...(audio.length > 0 ? { audio } : {}),
    ...(video.length > 0 ? { video } : {}),
  };
}

/**
 * The configured codecs the bridge can offer with `registry`: an audio codec only when the
 * registry can decode and encode one of its formats (an optional package such as G.729 may not
 * be installed, and a codec that cannot be transcoded must not be negotiated); telephone-event
 * and video, which are relayed, always.
 */
export function implementedCodecs(
  names: readonly CodecName[],
  registry: Pick<CodecRegistry, 'has'>,
): CodecName[] {
  return names.filter(
    (name) =>
      name === 'telephone-event' ||
      VIDEO_CODECS.has(name) ||
      capabilitiesOf(name, 'sip').some((c) =>
        registry.has({ name: c.name, clockRate: c.clockRate, channels: c.channels ?? 1 }),
      ),
  );
}
