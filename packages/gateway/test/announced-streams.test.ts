// The browser leg announces its own SSRCs (a=ssrc) and rewrites the media session's outgoing ones
// to them; RTCP from the browser names the announced SSRCs and must be turned back, or the media
// session cannot tell that a PLI, FIR or NACK is about the stream it relays (and drops it).
import { describe, expect, it } from 'vitest';
import { parseRtcp, writeRtcp, writeRtpPacket, type RtcpPacket } from '@callbridge/rtp';
import { AnnouncedStreams } from '../src/b2bua/call-media.js';

const SESSION_VIDEO_SSRC = 0x11223344;
const SESSION_AUDIO_SSRC = 0x55667788;
const BROWSER_SSRC = 0x0badcafe;
const VP8 = 96;
const PCMU = 0;

function rtp(ssrc: number, payloadType: number): Uint8Array {
  const out = new Uint8Array(64);
  const length = writeRtpPacket(
    {
      payloadType,
      sequenceNumber: 1,
      timestamp: 0,
      ssrc,
      marker: false,
      payload: new Uint8Array(20),
    },
    out,
  );
  return out.subarray(0, length);
}

function rtcp(packets: RtcpPacket[]): Uint8Array {
  const out = new Uint8Array(512);
  return out.subarray(0, writeRtcp(packets, out, 0));
}

const block = (ssrc: number) => ({
  ssrc,
  fractionLost: 0,
  cumulativeLost: 0,
  extendedHighestSequence: 10,
  jitter: 0,
  lastSenderReport: 0,
  delaySinceLastSenderReport: 0,
});

function fromBrowser(announcedVideo: number, announcedAudio: number): RtcpPacket[] {
  return [
    { type: 'rr', ssrc: BROWSER_SSRC, reports: [block(announcedAudio), block(announcedVideo)] },
    { type: 'pli', senderSsrc: BROWSER_SSRC, mediaSsrc: announcedVideo },
    {
      type: 'nack',
      senderSsrc: BROWSER_SSRC,
      mediaSsrc: announcedVideo,
      lostSequenceNumbers: [7, 9],
    },
    {
      type: 'fir',
      senderSsrc: BROWSER_SSRC,
      mediaSsrc: 0,
      entries: [{ ssrc: announcedVideo, sequenceNumber: 3 }],
    },
  ];
}

describe('SSRCs announced to the browser', () => {
  it('rewrites outgoing RTP by kind to the announced SSRCs', () => {
    const streams = new AnnouncedStreams();
    streams.setPayloadTypes([PCMU], [VP8]);
    const video = rtp(SESSION_VIDEO_SSRC, VP8);
    const audio = rtp(SESSION_AUDIO_SSRC, PCMU);
    streams.rewriteRtp(video);
    streams.rewriteRtp(audio);
    const ssrcOf = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset).getUint32(8);
    expect(ssrcOf(video)).toBe(streams.video);
    expect(ssrcOf(audio)).toBe(streams.audio);
  });

  it("turns the announced SSRCs in the browser's RR, PLI, NACK and FIR back into the session's", () => {
    const streams = new AnnouncedStreams();
    streams.setPayloadTypes([PCMU], [VP8]);
    streams.rewriteRtp(rtp(SESSION_VIDEO_SSRC, VP8));
    streams.rewriteRtp(rtp(SESSION_AUDIO_SSRC, PCMU));
    const packet = rtcp(fromBrowser(streams.video, streams.audio));
    streams.restoreRtcp(packet);
    const [rr, pli, nack, fir] = parseRtcp(packet);
    expect(rr).toMatchObject({
      type: 'rr',
      ssrc: BROWSER_SSRC,
      reports: [{ ssrc: SESSION_AUDIO_SSRC }, { ssrc: SESSION_VIDEO_SSRC }],
    });
    expect(pli).toEqual({ type: 'pli', senderSsrc: BROWSER_SSRC, mediaSsrc: SESSION_VIDEO_SSRC });
    expect(nack).toMatchObject({ mediaSsrc: SESSION_VIDEO_SSRC, lostSequenceNumbers: [7, 9] });
    expect(fir).toMatchObject({
      mediaSsrc: 0,
      entries: [{ ssrc: SESSION_VIDEO_SSRC, sequenceNumber: 3 }],
    });
  });

  it('leaves RTCP alone before any stream was sent, and truncated packets do not throw', () => {
    const streams = new AnnouncedStreams();
    streams.setPayloadTypes([PCMU], [VP8]);
    const packet = rtcp(fromBrowser(streams.video, streams.audio));
    const before = packet.slice();
    streams.restoreRtcp(packet);
    expect(packet).toEqual(before);
    streams.rewriteRtp(rtp(SESSION_VIDEO_SSRC, VP8));
    for (let length = 0; length < packet.length; length++) {
      expect(() => streams.restoreRtcp(packet.slice(0, length))).not.toThrow();
    }
  });
});
