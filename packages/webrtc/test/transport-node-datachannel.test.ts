// Interop with libdatachannel (node-datachannel) as the remote WebRTC peer, on 127.0.0.1, in
// both DTLS roles: ICE-lite answers its checks, DTLS-SRTP keys both directions, and SRTP audio
// flows both ways.
import nodeDataChannel from 'node-datachannel';
import { afterEach, describe, expect, it } from 'vitest';
import { DtlsCertificate, WebRtcTransport, type DtlsRole } from '@callbridge/webrtc';
import { readOffer, rtpPacket, writeAudioAnswer } from './sdp-helper.js';

const { PeerConnection, Audio } = nodeDataChannel;
const certificate = DtlsCertificate.generate();

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WebRtcTransport with node-datachannel', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  for (const dtlsRole of ['server', 'client'] as DtlsRole[]) {
    it(`connects and exchanges SRTP audio both ways (we are DTLS ${dtlsRole})`, async () => {
      const pc = new PeerConnection(`peer-${dtlsRole}`, {
        iceServers: [],
        bindAddress: '127.0.0.1',
      });
      cleanups.push(() => pc.close());
      const audio = new Audio('audio', 'SendRecv');
      audio.addOpusCodec(111);
      audio.addSSRC(4242, 'ndc');
      const track = pc.addTrack(audio);
      let gathered = false;
      pc.onGatheringStateChange((state) => {
        if (state === 'complete') gathered = true;
      });
      pc.setLocalDescription();
      // Hand over the full SDP only after gathering (a trickled candidate before the remote
      // description aborts libdatachannel).
      await until(() => gathered, 'ICE gathering');
      const offer = readOffer(pc.localDescription()!.sdp);
      expect(offer.setup).toBe('actpass');

      const transport = await WebRtcTransport.create({
        certificate,
        dtlsRole,
        bind: { address: '127.0.0.1' },
        remote: offer.remote,
      });
      cleanups.push(() => transport.close());
      expect(transport.localParameters.setup).toBe(dtlsRole === 'client' ? 'active' : 'passive');
      const fromBrowser: Uint8Array[] = [];
      transport.on('rtp', (packet) => fromBrowser.push(packet.slice()));
      const fromGateway: Uint8Array[] = [];
      track.onMessage((message) => fromGateway.push(new Uint8Array(message)));
      let open = false;
      track.onOpen(() => {
        open = true;
      });
      const connected = new Promise<{ srtpProfile: string }>((resolve) =>
        transport.once('connected', resolve),
      );
      pc.setRemoteDescription(
        writeAudioAnswer(transport.localParameters, offer.mids[0]!, 1111),
        'answer',
      );

      const info = await connected;
      expect(['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80']).toContain(info.srtpProfile);
      await until(() => open, 'the remote track to open');

      const payload = (i: number): Uint8Array =>
        Uint8Array.from({ length: 40 }, (_, k) => (i * 7 + k) & 0xff);
      for (let i = 0; i < 10; i++) {
        expect(transport.sendRtp(rtpPacket(111, 100 + i, 1111, payload(i)))).toBe(true);
        track.sendMessageBinary(rtpPacket(111, 500 + i, 4242, payload(i + 50)) as Buffer);
      }
      await until(
        () =>
          fromBrowser.filter((p) => p[1] === 111).length >= 10 &&
          fromGateway.filter((p) => p[1] === 111).length >= 10,
        'audio both ways',
      );
      const browserAudio = fromBrowser.filter((p) => (p[1]! & 0x7f) === 111);
      expect(new DataView(browserAudio[0]!.buffer).getUint32(8)).toBe(4242);
      expect(browserAudio.map((p) => p.subarray(12))).toEqual(
        Array.from({ length: 10 }, (_, i) => payload(i + 50)),
      );
      const gatewayAudio = fromGateway.filter((p) => (p[1]! & 0x7f) === 111);
      expect(gatewayAudio.map((p) => p.subarray(12))).toEqual(
        Array.from({ length: 10 }, (_, i) => payload(i)),
      );
      expect(transport.counters.srtpDropped).toBe(0);
      expect(transport.ice.counters.badIntegrity).toBe(0);
    });
  }
});
