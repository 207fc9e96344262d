// The end-to-end check: headless Chromium calls an echo endpoint built from these packages
// (@callbridge/sdp for the answer, WebRtcTransport for ICE-lite + DTLS-SRTP) and hears its own
// audio come back, in both a=setup roles, and with audio + video bundled on one transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnswer, parseSdp, serializeSdp, type WebRtcEndpoint } from '@callbridge/sdp';
import { PEERS, launchChromium, needsPeers, type LaunchedChromium } from '@callbridge/testkit';
import { DtlsCertificate, WebRtcTransport, type DtlsRole } from '@callbridge/webrtc';

const certificate = DtlsCertificate.generate();
const ECHO_SSRC = { audio: 0x0a0d10, video: 0x0b1de0 } as const;

interface InboundStats {
  audioPackets: number;
  audioLevel: number;
  videoFrames: number;
}

/** Starts a call in the page; returns the offer after ICE gathering completed. */
async function pageOffer(
  page: Awaited<ReturnType<LaunchedChromium['newPage']>>,
  video: boolean,
): Promise<string> {
  return page.evaluate(async (withVideo) => {
    // The default 'balanced' policy: every m= section offers a port, and the answer's BUNDLE
    // group puts them all on the one transport.
    const pc = new RTCPeerConnection();
    (window as unknown as { pc: RTCPeerConnection }).pc = pc;
    // Chromium computes the inbound audio level only for audio it plays out.
    pc.addEventListener('track', (event) => {
      if (event.track.kind !== 'audio') return;
      const player = new Audio();
      player.srcObject = new MediaStream([event.track]);
      void player.play();
    });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: withVideo });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
    return pc.localDescription!.sdp;
  }, video);
}

async function inbound(
  page: Awaited<ReturnType<LaunchedChromium['newPage']>>,
): Promise<InboundStats> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    const result = { audioPackets: 0, audioLevel: 0, videoFrames: 0 };
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s['type'] !== 'inbound-rtp') return;
      if (s['kind'] === 'audio') {
        result.audioPackets = Number(s['packetsReceived'] ?? 0);
        // The fake microphone beeps once a second: the cumulative energy shows it, the
        // instantaneous level only sometimes does.
        result.audioLevel = Number(s['totalAudioEnergy'] ?? 0);
      } else if (s['kind'] === 'video') {
        result.videoFrames = Number(s['framesDecoded'] ?? 0);
      }
    });
    return result;
  });
}

describe.skipIf(needsPeers(PEERS.chromium).skip)(
  'Chromium hears its own audio through the echo endpoint',
  () => {
    let browser: LaunchedChromium;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    const cases: { role: DtlsRole; video: boolean }[] = [
      { role: 'client', video: false },
      { role: 'server', video: false },
      { role: 'client', video: true },
      { role: 'server', video: true },
    ];
    for (const { role, video } of cases) {
      it(`a=setup:${role === 'client' ? 'active' : 'passive'}${video ? ', audio + video bundled' : ''}`, async () => {
        const page = await browser.newPage();
        const offer = parseSdp(await pageOffer(page, video));
        const offered = offer.media[0]!;
        const transport = await WebRtcTransport.create({
          certificate,
          dtlsRole: role,
          bind: { address: '127.0.0.1' },
          remote: {
            usernameFragment: offered.ice!.ufrag,
            password: offered.ice!.pwd,
            fingerprints: offered.fingerprints.map((f) => ({
              algorithm: f.algorithm.toLowerCase() as 'sha-256',
              value: f.value,
            })),
          },
        });
        try {
          const local = transport.localParameters;
          const endpoint: WebRtcEndpoint = {
            profile: 'webrtc',
            ice: { ufrag: local.usernameFragment, pwd: local.password },
            iceLite: true,
            candidates: local.candidates,
            fingerprints: [local.fingerprint],
            setup: local.setup,
            streams: {
              audio: {
                ssrc: ECHO_SSRC.audio,
                cname: 'echo',
                streamId: 'echo',
                trackId: 'echo-audio',
              },
              video: {
                ssrc: ECHO_SSRC.video,
                cname: 'echo',
                streamId: 'echo',
                trackId: 'echo-video',
              },
            },
          };
          const { description, media } = createAnswer(offer, endpoint, {
            codecs: {
              audio: [
                { name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1' },
              ],
              video: [
                {
                  name: 'VP8',
                  clockRate: 90000,
                  rtcpFeedback: [{ type: 'nack', parameter: 'pli' }],
                },
              ],
            },
          });
          // Echo: what arrives on a negotiated payload type goes back with our announced SSRC.
          const ssrcFor = new Map<number, number>();
          for (const m of media) {
            if (!m.codec) continue;
            ssrcFor.set(
              m.codec.receivePayloadType,
              m.kind === 'video' ? ECHO_SSRC.video : ECHO_SSRC.audio,
            );
          }
          const browserSsrc = new Map<number, number>();
          transport.on('rtp', (packet) => {
            const ssrc = ssrcFor.get(packet[1]! & 0x7f);
            if (ssrc === undefined) return;
            const echo = packet.slice();
            const view = new DataView(echo.buffer);
            browserSsrc.set(ssrc, view.getUint32(8));
            view.setUint32(8, ssrc);
            transport.sendRtp(echo);
          });
          // A keyframe request (RFC 4585 §6.3.1 PLI) for the echoed video goes on to the
          // browser's own sender, as a relay would do.
          transport.on('rtcp', (compound) => {
            const view = new DataView(compound.buffer, compound.byteOffset, compound.byteLength);
            for (let offset = 0; offset + 12 <= compound.length;) {
              const isPli = compound[offset + 1] === 206 && (compound[offset]! & 0x1f) === 1;
              const target = isPli ? browserSsrc.get(view.getUint32(offset + 8)) : undefined;
              if (target !== undefined) {
                const pli = compound.slice(offset, offset + 12);
                new DataView(pli.buffer).setUint32(8, target);
                transport.sendRtcp(pli);
              }
              offset += (view.getUint16(offset + 2) + 1) * 4;
            }
          });
          const connected = new Promise<void>((resolve, reject) => {
            transport.once('connected', () => resolve());
            transport.once('closed', (info) => reject(info.error ?? new Error(info.reason)));
          });
          const answer = serializeSdp(description);
          await page.evaluate(async (sdp) => {
            const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
            await pc.setRemoteDescription({ type: 'answer', sdp });
          }, answer);
          await connected;

          const deadline = Date.now() + 20_000;
          let stats = await inbound(page);
          while (
            (stats.audioPackets < 50 ||
              stats.audioLevel <= 0 ||
              (video && stats.videoFrames < 5)) &&
            Date.now() < deadline
          ) {
            await new Promise((r) => setTimeout(r, 200));
            stats = await inbound(page);
          }
          expect(stats.audioPackets).toBeGreaterThanOrEqual(50);
          expect(stats.audioLevel).toBeGreaterThan(0);
          if (video) {
            expect(stats.videoFrames, JSON.stringify(transport.counters)).toBeGreaterThanOrEqual(5);
          }
          expect(transport.counters.srtpDropped).toBe(0);
          // Hanging up in the page reaches the transport as DTLS close_notify.
          const closed = new Promise<string>((resolve) =>
            transport.once('closed', (info) => resolve(info.reason)),
          );
          await page.evaluate(() => (window as unknown as { pc: RTCPeerConnection }).pc.close());
          expect(await closed).toBe('dtls-closed');
        } finally {
          transport.close();
          await page.close();
        }
        // A loaded CI machine runs many suites at once; the browser needs more than the default.
      }, 60_000);
    }
  },
);
