// Video on the SIP leg: with VP8 among the SIP codecs, the gateway offers the SIP side an m=video
// on its own RTP port pair (no BUNDLE there) and relays VP8 both ways between it and the
// browser's bundled video (libdatachannel as the browser, a plain SIP user agent as the phone).
import { createSocket, type Socket } from 'node:dgram';
import nodeDataChannel from 'node-datachannel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpPacket, parseRtcp, writeRtcp, writeRtpPacket, type RtcpPacket } from '@callbridge/rtp';
import { Registerer, UdpTransport, UserAgent, type InviteSession } from '@callbridge/sip';
import type { RunningGateway } from '../src/index.js';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { DEMO_DOMAIN } from '../src/demo/index.js';
import { REST_API_ARGV, startB2buaGateway } from './support/b2bua-harness.js';
import { TestSocket } from './support/ws-client.js';

const { PeerConnection, Audio, Video } = nodeDataChannel;

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function udp(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

let gateway: RunningGateway;
let backend: B2buaBackend | undefined;
let bob: UserAgent;
let registerer: Registerer;
let bobAudio: Socket;
let bobVideo: Socket;
let bobVideoRtcp: Socket;
let bobSession: InviteSession | undefined;
/** In-dialog requests bob received (INFO picture_fast_update, RFC 5168). */
const bobRequests: { method: string; contentType: string; body: string }[] = [];
let inviteSdp = '';

beforeAll(async () => {
  ({ gateway, backend } = await startB2buaGateway(
    [...REST_API_ARGV, '--media-sip-codecs', 'PCMU,telephone-event,VP8'],
    { demo: true },
  ));
  bobAudio = await udp();
  bobVideo = await udp();
  bobVideoRtcp = await udp();
  const server = gateway.demo!.sipServer;
  bob = new UserAgent({
    transports: [await UdpTransport.create()],
    aor: `sip:bob@${DEMO_DOMAIN}`,
    outboundProxy: `sip:${server.host}:${server.port}`,
    credentials: { username: 'bob', password: 'bob-demo' },
    resolver: (host) => Promise.resolve(host === DEMO_DOMAIN ? '127.0.0.1' : host),
  });
  bob.on('invite', (call) => {
    inviteSdp = call.request.bodyText;
    const vp8 = /a=rtpmap:(\d+) VP8\/90000/.exec(inviteSdp)?.[1] ?? '96';
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${bobAudio.address().port} RTP/AVP 0`,
      'a=rtpmap:0 PCMU/8000',
      'a=sendrecv',
      `m=video ${bobVideo.address().port} RTP/AVP ${vp8}`,
      `a=rtpmap:${vp8} VP8/90000`,
      `a=rtcp:${bobVideoRtcp.address().port}`,
      'a=sendrecv',
      '',
    ].join('\r\n');
    const session = call.accept({ body: sdp, contentType: 'application/sdp' });
    bobSession = session;
    session.on('request', (tx) => {
      const { method } = tx.request;
      bobRequests.push({
        method,
        contentType: tx.request.header('Content-Type') ?? '',
        body: tx.request.bodyText,
      });
      tx.reply(200);
    });
  });
  registerer = new Registerer(bob, {});
  expect((await registerer.register()).status).toBe(200);
}, 30_000);

afterAll(async () => {
  await registerer?.unregister().catch(() => undefined);
  registerer?.stop();
  await bob?.close(200);
  bobAudio?.close();
  bobVideo?.close();
  bobVideoRtcp?.close();
  await gateway?.stop();
});

describe('video on the SIP leg', () => {
  it("offers m=video on its own port, relays VP8 both ways and the browser's keyframe requests", async () => {
    const socket = await TestSocket.open(gateway.websocketUrl);
    const pc = new PeerConnection('video', { iceServers: [], bindAddress: '127.0.0.1' });
    try {
      await socket.request({
        type: 'session.connect',
        protocolVersion: 1,
        sipOptions: { login: 'alice', password: 'alice-demo', domain: DEMO_DOMAIN },
      });
      await socket.waitFor({ type: 'session.status', status: 'REGISTERED' }, 5000);
      const audio = new Audio('0', 'SendRecv');
      audio.addAudioCodec(0, 'PCMU/8000');
      audio.addSSRC(1111, 'peer');
      const video = new Video('1', 'SendRecv');
      video.addVP8Codec(96);
      video.addSSRC(2222, 'peer');
      pc.addTrack(audio);
      const videoTrack = pc.addTrack(video);
      const fromGateway: Uint8Array[] = [];
      videoTrack.onMessage((m) => fromGateway.push(new Uint8Array(m)));
      let open = false;
      videoTrack.onOpen(() => {
        open = true;
      });
      pc.setLocalDescription();
      await until(() => pc.gatheringState() === 'complete', 'ICE gathering');
      await socket.request({
        type: 'call.create',
        callId: 'v1',
        callee: 'bob',
        audio: true,
        video: true,
        sdp: { type: 'offer', sdp: pc.localDescription()!.sdp },
      });
      const established = await socket.waitFor(
        { type: 'call.status', callId: 'v1', status: 'ESTABLISHED' },
        10_000,
      );
      pc.setRemoteDescription((established['sdp'] as { sdp: string }).sdp, 'answer');
      await until(() => open, 'the video track');

      const audioPort = Number(/m=audio (\d+)/.exec(inviteSdp)?.[1]);
      const videoPort = Number(/m=video (\d+)/.exec(inviteSdp)?.[1]);
      expect(videoPort).toBeGreaterThan(0);
      expect(videoPort).not.toBe(audioPort);
      const vp8 = Number(/a=rtpmap:(\d+) VP8\/90000/.exec(inviteSdp)?.[1]);

      const atBob: RtpPacket[] = [];
      bobVideo.on('message', (data: Uint8Array) => {
        const packet = RtpPacket.tryParse(data);
        if (packet) atBob.push(packet);
      });
      // One buffer per sender: dgram sends asynchronously, so a shared one would be overwritten.
      const toGateway = new Uint8Array(200);
      const out = new Uint8Array(200);
      // A VP8 keyframe-looking payload (RFC 7741 descriptor with S=1, then a key frame header).
      const payload = Uint8Array.from({ length: 100 }, (_, i) => (i === 0 ? 0x10 : i & 0xff));
      for (let i = 0; i < 30; i++) {
        const length = writeRtpPacket(
          {
            payloadType: vp8,
            sequenceNumber: i,
            timestamp: i * 3000,
            ssrc: 0x5151,
            marker: true,
            payload,
          },
          toGateway,
        );
        bobVideo.send(toGateway.slice(0, length), videoPort, '127.0.0.1');
        const fromBrowser = writeRtpPacket(
          {
            payloadType: 96,
            sequenceNumber: i,
            timestamp: i * 3000,
            ssrc: 2222,
            marker: true,
            payload,
          },
          out,
        );
        videoTrack.sendMessageBinary(Buffer.from(out.subarray(0, fromBrowser)));
        await new Promise((r) => setTimeout(r, 20));
      }
      await until(
        () => fromGateway.filter((p) => (p[1]! & 0x7f) === 96).length >= 10 && atBob.length >= 10,
        'VP8 both ways',
      );
      expect(atBob.every((p) => p.payloadType === vp8)).toBe(true);

      // The browser lost a frame of bob's video: its PLI names the SSRC the gateway announced
      // to it; bob must get a PLI for his own SSRC on his video RTCP port, and the RFC 5168
      // INFO as well (RFC 4585 §6.3.1).
      const rtcpAtBob: RtcpPacket[] = [];
      bobVideoRtcp.on('message', (data: Uint8Array) => rtcpAtBob.push(...parseRtcp(data)));
      const announced = new DataView(
        fromGateway.find((p) => (p[1]! & 0x7f) === 96)!.buffer,
      ).getUint32(8);
      const pli = new Uint8Array(64);
      const pliLength = writeRtcp(
        [{ type: 'pli', senderSsrc: 2222, mediaSsrc: announced }],
        pli,
        0,
      );
      videoTrack.sendMessageBinary(Buffer.from(pli.subarray(0, pliLength)));
      await until(
        () => rtcpAtBob.some((p) => p.type === 'pli' && p.mediaSsrc === 0x5151),
        'a PLI at bob for his video',
      );
      await until(
        () => bobRequests.some((r) => r.method === 'INFO' && /picture_fast_update/.test(r.body)),
        'the picture_fast_update INFO at bob',
      );
      expect(bobRequests.find((r) => r.method === 'INFO')?.contentType).toBe(
        'application/media_control+xml',
      );

      // And the other way: bob asks for a keyframe with the INFO; the browser gets a PLI.
      const pliAtBrowser = () =>
        fromGateway.some((p) => {
          if (p[1] !== 206) return false;
          const view = new DataView(p.buffer);
          return (p[0]! & 0x1f) === 1 && view.getUint32(8) === 2222;
        });
      await new Promise((r) => setTimeout(r, 400)); // the keyframe request interval
      const info = await bobSession!.info(
        '<?xml version="1.0" encoding="utf-8" ?><media_control><vc_primitive><to_encoder>' +
          '<picture_fast_update/></to_encoder></vc_primitive></media_control>',
        'application/media_control+xml',
      );
      expect(info.status).toBe(200);
      await until(pliAtBrowser, 'a PLI at the browser for its video');
      await socket.request({ type: 'call.hangup', callId: 'v1' });
      await socket.waitFor({ type: 'call.status', callId: 'v1', status: 'FINISH' });
      await until(() => backend?.activeCalls === 0, 'no call left');
    } finally {
      pc.close();
      await socket.close();
    }
  }, 30_000);
});
