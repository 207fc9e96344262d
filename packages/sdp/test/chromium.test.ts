// Real Chromium: its offers are captured at test time, run through this package, and the answers
// (and offers) it produces must be accepted by the browser's own setRemoteDescription.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, needsPeers, PEERS, type LaunchedChromium } from '@callbridge/testkit';
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
  G722,
  GATEWAY_SIP,
  GATEWAY_WEBRTC,
  H264_CB,
  OPUS,
  PCMA,
  PCMU,
  RTX,
  TE48K,
  TE8K,
  VP8,
} from './helpers.js';

const CONFIG: GatewayMediaConfig = {
  webrtc: GATEWAY_WEBRTC,
  sip: GATEWAY_SIP,
  codecs: {
    webrtc: { audio: [OPUS, PCMU, PCMA, G722, TE48K, TE8K], video: [VP8, H264_CB, RTX] },
    sip: { audio: [PCMU, PCMA, G722, OPUS, TE8K], video: [H264_CB, VP8] },
  },
};

const PHONE: SipEndpoint = {
  profile: 'sip',
  address: '127.0.0.1',
  ports: { audio: 6000, video: 6002 },
};

/** What a SIP phone with these codecs answers to the gateway's SIP offer. */
function phoneAnswer(sipOffer: string, codecs: CodecsByKind): string {
  return serializeSdp(
    createAnswer(parseSdp(sipOffer), PHONE, { codecs, singleCodec: true }).description,
  );
}

interface PageState {
  signalingState: string;
  transceivers: {
    mid: string | null;
    kind: string;
    currentDirection: string | null;
    sendCodec: string | null;
  }[];
}

/** Installs window.pc with the given tracks and returns its offer after ICE gathering. */
async function browserOffer(
  page: Page,
  kinds: {
    audio: boolean;
    video: boolean;
    audioDirection?: RTCRtpTransceiverDirection;
    dataChannel?: boolean;
  },
): Promise<string> {
  return page.evaluate(async ({ audio, video, audioDirection, dataChannel }) => {
    const w = window as unknown as { pc?: RTCPeerConnection; stream?: MediaStream };
    w.pc?.close();
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    const pc = new RTCPeerConnection();
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    if (dataChannel) pc.createDataChannel('signalling');
    if (audioDirection) {
      const audioTransceiver = pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio');
      if (audioTransceiver) audioTransceiver.direction = audioDirection;
    }
    w.pc = pc;
    w.stream = stream;
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
    return pc.localDescription!.sdp;
  }, kinds);
}

/** Hands a description to window.pc; resolves with the state, or rejects with Chrome's error. */
async function applyRemote(page: Page, type: 'offer' | 'answer', sdp: string): Promise<PageState> {
  return page.evaluate(
    async ({ type, sdp }) => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      await pc.setRemoteDescription({ type, sdp });
      return {
        signalingState: pc.signalingState,
        transceivers: pc.getTransceivers().map((t) => ({
          mid: t.mid,
          kind: t.receiver.track.kind,
          currentDirection: t.currentDirection,
          sendCodec: t.sender.getParameters().codecs[0]?.mimeType ?? null,
        })),
      };
    },
    { type, sdp },
  );
}

describe.skipIf(needsPeers(PEERS.chromium).skip)('with real Chromium', () => {
  let browser: LaunchedChromium;
  let page: Page;
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('bridges a live audio offer to SIP and Chromium accepts the relay answer', async () => {
    const offerSdp = await browserOffer(page, { audio: true, video: false });
    const offer = browserOfferToSip(offerSdp, CONFIG);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU, TE8K] }));
    expect(answer.relay).toBe(true);
    const state = await applyRemote(page, 'answer', answer.sdp);
    expect(state.signalingState).toBe('stable');
    expect(state.transceivers).toEqual([
      { mid: '0', kind: 'audio', currentDirection: 'sendrecv', sendCodec: 'audio/PCMU' },
    ]);
  });

  it('transcodes to Opus toward Chromium when the SIP side picks G.722, and Chromium accepts it', async () => {
    const offerSdp = await browserOffer(page, { audio: true, video: false });
    const config = { ...CONFIG, codecs: { ...CONFIG.codecs, webrtc: { audio: [OPUS, TE48K] } } };
    const offer = browserOfferToSip(offerSdp, config);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [G722, TE8K] }));
    expect(answer.media[0]!.mode).toBe('transcode');
    const state = await applyRemote(page, 'answer', answer.sdp);
    expect(state.transceivers[0]!.sendCodec).toBe('audio/opus');
  });

  it('bridges a live audio+video BUNDLE offer and Chromium accepts H.264 relayed to SIP', async () => {
    const offerSdp = await browserOffer(page, { audio: true, video: true });
    expect(parseSdp(offerSdp).groups[0]?.mids).toEqual(['0', '1']);
    const offer = browserOfferToSip(offerSdp, CONFIG);
    const answer = sipAnswerToBrowser(
      offer,
      phoneAnswer(offer.sdp, { audio: [PCMA, TE8K], video: [H264_CB] }),
    );
    expect(answer.media.map((m) => `${m.kind}:${m.mode}`)).toEqual(['audio:relay', 'video:relay']);
    const state = await applyRemote(page, 'answer', answer.sdp);
    expect(state.transceivers.map((t) => `${t.mid} ${t.currentDirection} ${t.sendCodec}`)).toEqual([
      '0 sendrecv audio/PCMA',
      '1 sendrecv video/H264',
    ]);
  });

  it('answers the video of a live offer with port 0 when the SIP side has no video, and Chromium accepts', async () => {
    const offerSdp = await browserOffer(page, { audio: true, video: true });
    const audioOnly = { ...CONFIG, codecs: { ...CONFIG.codecs, sip: { audio: [PCMU, TE8K] } } };
    const offer = browserOfferToSip(offerSdp, audioOnly);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU, TE8K] }));
    const state = await applyRemote(page, 'answer', answer.sdp);
    // Chromium stops the transceiver of a rejected m= section, so only audio is left.
    expect(state.signalingState).toBe('stable');
    expect(state.transceivers.map((t) => `${t.mid} ${t.currentDirection}`)).toEqual(['0 sendrecv']);
  });

  it('rejects a data channel next to the audio, and Chromium accepts', async () => {
    const offerSdp = await browserOffer(page, { audio: true, video: false, dataChannel: true });
    expect(parseSdp(offerSdp).media.map((m) => m.kind)).toEqual(['audio', 'application']);
    const offer = browserOfferToSip(offerSdp, CONFIG);
    expect(offer.description.media).toHaveLength(1);
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU, TE8K] }));
    expect(answer.sdp).toContain('m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n');
    const state = await applyRemote(page, 'answer', answer.sdp);
    expect(state.signalingState).toBe('stable');
    expect(state.transceivers.map((t) => `${t.mid} ${t.currentDirection} ${t.sendCodec}`)).toEqual([
      '0 sendrecv audio/PCMU',
    ]);
  });

  it('passes a browser hold (sendonly) through SIP and Chromium accepts the recvonly answer', async () => {
    const offerSdp = await browserOffer(page, {
      audio: true,
      video: false,
      audioDirection: 'sendonly',
    });
    const offer = browserOfferToSip(offerSdp, CONFIG);
    expect(offer.description.media[0]!.direction).toBe('sendonly');
    const answer = sipAnswerToBrowser(offer, phoneAnswer(offer.sdp, { audio: [PCMU, TE8K] }));
    const state = await applyRemote(page, 'answer', answer.sdp);
    expect(state.transceivers[0]!.currentDirection).toBe('sendonly');
  });

  it('answers a live offer directly with the DTLS passive role and Chromium accepts it', async () => {
    const offerSdp = await browserOffer(page, { audio: true, video: true });
    const { description, media } = createAnswer(
      parseSdp(offerSdp),
      {
        ...GATEWAY_WEBRTC,
        setup: 'passive',
        headerExtensions: ['urn:ietf:params:rtp-hdrext:sdes:mid'],
      },
      {
        codecs: { audio: [OPUS, TE48K], video: [VP8, RTX] },
        singleCodec: true,
      },
    );
    expect(media.map((m) => m.dtlsRole)).toEqual(['server', 'server']);
    expect(media[1]!.headerExtensions.map((e) => e.uri)).toEqual([
      'urn:ietf:params:rtp-hdrext:sdes:mid',
    ]);
    const state = await applyRemote(page, 'answer', serializeSdp(description));
    expect(state.transceivers.map((t) => t.sendCodec)).toEqual(['audio/opus', 'video/VP8']);
  });

  it('turns a SIP offer into a WebRTC offer Chromium accepts, and its answer into the SIP answer', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { pc?: RTCPeerConnection };
      w.pc?.close();
      w.pc = new RTCPeerConnection();
    });
    const offer = sipOfferToBrowser(fixture('baresip-offer.sdp'), CONFIG);
    const state = await applyRemote(page, 'offer', offer.sdp);
    expect(state.signalingState).toBe('have-remote-offer');
    const browserAnswerSdp = await page.evaluate(async () => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const transceiver = pc.getTransceivers()[0]!;
      await transceiver.sender.replaceTrack(stream.getAudioTracks()[0]!);
      transceiver.direction = 'sendrecv';
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription!.sdp;
    });
    const answer = browserAnswerToSip(offer, browserAnswerSdp);
    // Chromium answers with the first codec of the gateway's offer, which the phone offered
    expect(answer.media[0]!.mode).toBe('relay');
    expect(answer.media[0]!.webrtc?.codec?.name).toBe('PCMU');
    expect(answer.media[0]!.webrtc?.dtlsRole).toBe('server');
    expect(answer.media[0]!.webrtc?.remoteIce?.ufrag).toBeTruthy();
    expect(answer.sdp).toContain('m=audio 30000 RTP/AVP 0 101\r\n');

    // The phone puts the call on hold with a re-INVITE: the browser gets a re-offer in the same
    // session (same origin, next version, same mid and ICE credentials) and the phone a recvonly answer.
    const previous = { webrtc: offer.description, sip: answer.description };
    const holdOffer = sipOfferToBrowser(fixture('hold-sendonly-reinvite.sdp'), {
      ...CONFIG,
      previous,
    });
    expect(holdOffer.description.origin.sessionId).toBe(offer.description.origin.sessionId);
    expect(holdOffer.description.origin.sessionVersion).toBe('2');
    expect(holdOffer.description.media[0]!.direction).toBe('sendonly');
    const held = await applyRemote(page, 'offer', holdOffer.sdp);
    expect(held.signalingState).toBe('have-remote-offer');
    const heldAnswerSdp = await page.evaluate(async () => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription!.sdp;
    });
    const heldAnswer = browserAnswerToSip(holdOffer, heldAnswerSdp);
    expect(heldAnswer.description.media[0]!.direction).toBe('recvonly');
    expect(heldAnswer.description.origin.sessionId).toBe(answer.description.origin.sessionId);
    expect(heldAnswer.description.origin.sessionVersion).toBe('2');
    expect(heldAnswer.media[0]!.sip?.remoteHold).toBe(true);
    const directions = await page.evaluate(() =>
      (window as unknown as { pc: RTCPeerConnection }).pc
        .getTransceivers()
        .map((t) => t.currentDirection),
    );
    expect(directions).toEqual(['recvonly']);
  });
});
