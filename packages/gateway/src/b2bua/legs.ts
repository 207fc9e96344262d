// From what SDP negotiated on each leg to what the media session needs for it.
import { codecRole, type NegotiatedCodec, type NegotiatedMedia } from '@callbridge/sdp';
import type {
  DtmfMode,
  LegAudioConfig,
  LegVideoConfig,
  MediaTransport,
  PayloadFormat,
  LegConfig,
} from '@callbridge/media';
import type { DtmfMode as ConfiguredDtmfMode } from '../config.js';

function payloadFormat(codec: NegotiatedCodec): PayloadFormat {
  if (codec.name.toLowerCase() === 'opus') {
    // Mono voice whatever the SDP's "/2" says: see bridgeCodecs().
    return {
      payloadType: codec.sendPayloadType,
      name: codec.name,
      clockRate: codec.clockRate,
      channels: 1,
      ...(codec.remoteFmtp !== undefined ? { fmtp: codec.remoteFmtp } : {}),
    };
  }
  return {
    payloadType: codec.sendPayloadType,
    name: codec.name,
    clockRate: codec.clockRate,
    channels: codec.channels,
    ...(codec.remoteFmtp !== undefined ? { fmtp: codec.remoteFmtp } : {}),
  };
}

function mediaFormats(media: NegotiatedMedia): PayloadFormat[] {
  return media.codecs.filter((c) => codecRole(c.name) === 'media').map(payloadFormat);
}

export function audioConfig(media: NegotiatedMedia | undefined): LegAudioConfig | undefined {
  if (!media?.accepted || !media.codec) return undefined;
  return {
    formats: mediaFormats(media),
    telephoneEvents: media.codecs
      .filter((c) => codecRole(c.name) === 'dtmf')
      .map((c) => ({ payloadType: c.sendPayloadType, clockRate: c.clockRate })),
    ...(media.remotePtime !== undefined ? { ptime: media.remotePtime } : {}),
    ...(media.comfortNoise ? { comfortNoisePayloadType: media.comfortNoise.sendPayloadType } : {}),
  };
}

export function videoConfig(media: NegotiatedMedia | undefined): LegVideoConfig | undefined {
  if (!media?.accepted || !media.codec) return undefined;
  return { formats: mediaFormats(media) };
}

/** The SIP leg's DTMF mode: RFC 4733 when negotiated (unless configured otherwise), else INFO. */
export function sipDtmfMode(
  audio: NegotiatedMedia | undefined,
  configured: ConfiguredDtmfMode,
): DtmfMode {
  switch (configured) {
    case 'info':
      return 'sip-info';
    case 'inband':
      return 'inband';
    case 'rfc4733':
    case 'auto':
      return audio?.telephoneEvent ? 'rfc4733' : configured === 'auto' ? 'inband' : 'sip-info';
  }
}

export interface LegInput {
  readonly transport: MediaTransport;
  readonly audio: NegotiatedMedia | undefined;
  readonly video: NegotiatedMedia | undefined;
  readonly dtmf: DtmfMode;
  readonly cname: string;
}

export function legConfig(input: LegInput): LegConfig {
  const audio = audioConfig(input.audio);
  const video = videoConfig(input.video);
  return {
    transport: input.transport,
    ...(audio ? { audio } : {}),
    ...(video ? { video } : {}),
    dtmf: input.dtmf,
    direction: input.audio?.direction ?? 'sendrecv',
    cname: input.cname,
  };
}
