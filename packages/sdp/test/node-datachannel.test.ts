// libdatachannel (node-datachannel) as a second WebRTC implementation: its live offers go
// through the bridge and it must accept the answers; it must accept the gateway's own offer too.
import { afterEach, describe, expect, it } from 'vitest';
import { Audio, PeerConnection, Video } from 'node-datachannel';
import {
  browserAnswerToSip,
  browserOfferToSip,
  createAnswer,
  parseSdp,
  serializeSdp,
  sipAnswerToBrowser,
  sipOfferToBrowser,
  type CodecsByKind,
  type GatewayMediaConfig,
  type SipEndpoint,
} from '@callbridge/sdp';
import {
  fixture,
  GATEWAY_SIP,
  GATEWAY_WEBRTC,
  H264_CB,
  OPUS,
  PCMA,
  PCMU,
  TE8K,
  TE48K,
  VP8,
} from './helpers.js';

const CONFIG: GatewayMediaConfig = {
  webrtc: GATEWAY_WEBRTC,
  sip: GATEWAY_SIP,
  codecs: {
    webrtc: { audio: [OPUS, PCMU, PCMA, TE48K, TE8K], video: [H264_CB, VP8] },
    sip: { audio: [PCMU, PCMA, OPUS, TE8K], video: [H264_CB, VP8] },
  },
};
const PHONE: SipEndpoint = {
  profile: 'sip',
  address: '127.0.0.1',
  ports: { audio: 6000, video: 6002 },
};

function phoneAnswer(sipOffer: string, codecs: CodecsByKind): string {
  return serializeSdp(
    createAnswer(parseSdp(sipOffer), PHONE, { codecs, singleCodec: true }).description,
  );
}

const peers: PeerConnection[] = [];

function peer(): PeerConnection {
  const pc = new PeerConnection(`sdp-test-${Math.random().toString(36).slice(2)}`, {
    iceServers: [],
    bindAddress: '127.0.0.1',
  });
  peers.push(pc);
  return pc;
}

/** A full offer from node-datachannel after gathering (no trickle: see the peers README). */
async function liveOffer(withVideo: boolean): Promise<PeerConnection & { offer: string }> {
  const pc = peer();
  const audio = new Audio('0', 'SendRecv');
  audio.addOpusCodec(111);
  audio.addSSRC(1111, 'ndc', 'stream', 'audio');
  pc.addTrack(audio);
  if (withVideo) {
    const video = new Video('1', 'SendRecv');
    video.addH264Codec(102);
    video.addSSRC(2222, 'ndc', 'stream', 'video');
    pc.addTrack(video);
  }
  const gathered = new Promise<void>((resolve) =>
    pc.onGatheringStateChange((state) => {
      if (state === 'complete') resolve();
    }),
  );
  pc.setLocalDescription();
  await gathered;
  return Object.assign(pc, { offer: pc.localDescription()!.sdp });
}

describe('with real node-datachannel', () => {
  // Each peer is closed after its test; the library's global cleanup() is not called because it
  // can race with the peers' own threads while they shut down.
  afterEach(() => {
    for (const pc of peers.splice(0)) pc.close();
  });

  it('bridges its audio offer to SIP with Opus relayed, and it accepts the answer', async () => {
    const pc = await liveOffer(false);
    const offer = browserOfferToSip(pc.offer, CONFIG);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [OPUS, TE48K] }));
    expect(answer.media[0]!.mode).toBe('relay');
    pc.setRemoteDescription(answer.sdp, 'answer');
    expect(pc.signalingState()).toBe('stable');
    expect(pc.remoteDescription()?.sdp).toContain('a=ice-lite');
  });

  it('transcodes to its only codec (Opus) when the SIP side picks PCMA, and it accepts the answer', async () => {
    const pc = await liveOffer(false);
    const offer = browserOfferToSip(pc.offer, CONFIG);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMA, TE8K] }));
    expect(answer.media[0]!.mode).toBe('transcode');
    expect(answer.media[0]!.webrtc?.codec?.name).toBe('opus');
    expect(answer.media[0]!.sip?.codec?.name).toBe('PCMA');
    pc.setRemoteDescription(answer.sdp, 'answer');
    expect(pc.signalingState()).toBe('stable');
  });

  it('bridges audio+video with BUNDLE, and it accepts the answer', async () => {
    const pc = await liveOffer(true);
    const offer = browserOfferToSip(pc.offer, CONFIG);
    const answer = sipAnswerToBrowser(
      offer,
      phoneAnswer(offer.sdp, { audio: [OPUS], video: [H264_CB] }),
    );
    expect(answer.media.map((m) => `${m.kind}:${m.mode}`)).toEqual(['audio:relay', 'video:relay']);
    expect(answer.description.groups[0]?.mids).toEqual(['0', '1']);
    pc.setRemoteDescription(answer.sdp, 'answer');
    expect(pc.signalingState()).toBe('stable');
  });

  it('accepts the WebRTC offer made from a SIP offer, and its answer becomes the SIP answer', () => {
    const offer = sipOfferToBrowser(fixture('baresip-offer.sdp'), CONFIG);
    const pc = peer();
    pc.setRemoteDescription(offer.sdp, 'offer');
    const browserAnswer = pc.localDescription();
    expect(browserAnswer?.type).toBe('answer');
    const answer = browserAnswerToSip(offer, browserAnswer!.sdp);
    expect(answer.media[0]!.webrtc?.remoteIce?.ufrag).toBeTruthy();
    // libdatachannel answers actpass with active: the gateway is the DTLS server.
    expect(answer.media[0]!.webrtc?.dtlsRole).toBe('server');
    // It keeps every offered format; the first one is PCMU, which baresip offered: relay.
    expect(answer.media[0]!.mode).toBe('relay');
    expect(answer.media[0]!.sip?.codec?.name).toBe('PCMU');
    expect(answer.sdp).toContain('m=audio 30000 RTP/AVP 0 101\r\n');
  });
});
