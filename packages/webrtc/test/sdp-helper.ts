// Just enough SDP for the interop tests (the real offer/answer lives in @callbridge/sdp).
import {
  formatCandidate,
  type LocalTransportParameters,
  type RemoteTransportParameters,
} from '@callbridge/webrtc';

export interface OfferSummary {
  readonly remote: RemoteTransportParameters;
  readonly mids: string[];
  readonly setup: string;
}

function attribute(sdp: string, name: string): string {
  const match = new RegExp(`^a=${name}:(.+?)\\r?$`, 'm').exec(sdp);
  if (!match) throw new Error(`offer has no a=${name}`);
  return match[1]!.trim();
}

export function readOffer(sdp: string): OfferSummary {
  const [algorithm, value] = attribute(sdp, 'fingerprint').split(' ');
  return {
    remote: {
      usernameFragment: attribute(sdp, 'ice-ufrag'),
      password: attribute(sdp, 'ice-pwd'),
      fingerprints: [{ algorithm: algorithm!.toLowerCase() as 'sha-256', value: value! }],
    },
    mids: [...sdp.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]!),
    setup: attribute(sdp, 'setup'),
  };
}

/** An audio-only (Opus) answer from an ICE-lite endpoint with rtcp-mux and BUNDLE. */
export function writeAudioAnswer(
  local: LocalTransportParameters,
  mid: string,
  ssrc: number,
): string {
  const candidate = local.candidates[0]!;
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mid}`,
    `m=audio ${candidate.port} UDP/TLS/RTP/SAVPF 111`,
    `c=IN IP4 ${candidate.address}`,
    `a=mid:${mid}`,
    `a=ice-ufrag:${local.usernameFragment}`,
    `a=ice-pwd:${local.password}`,
    `a=fingerprint:${local.fingerprint.algorithm} ${local.fingerprint.value}`,
    `a=setup:${local.setup}`,
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    `a=ssrc:${ssrc} cname:callbridge`,
    `a=${formatCandidate(candidate)}`,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

/** A minimal RTP packet: version 2, the payload type, sequence number, timestamp and SSRC. */
export function rtpPacket(
  payloadType: number,
  seq: number,
  ssrc: number,
  payload: Uint8Array,
): Uint8Array {
  const packet = new Uint8Array(12 + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x80;
  packet[1] = payloadType;
  view.setUint16(2, seq);
  view.setUint32(4, seq * 960);
  view.setUint32(8, ssrc);
  packet.set(payload, 12);
  return packet;
}
