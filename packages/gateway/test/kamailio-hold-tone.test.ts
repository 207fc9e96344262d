// Tone on hold (media.holdTone) through Kamailio. The party put on hold hears the gateway's hold
// tone (425 Hz, a 200 ms beep every 4 s) instead of silence: baresip holds → the browser hears
// it; the browser holds → the SIP phone hears it. baresip 1.0 stops its sndfile recording at the
// first re-INVITE that changes the direction (it restarts its player and the decode filter is
// not fed again), so the phone that is held is this project's UserAgent registered at Kamailio
// with a plain RTP socket that decodes what arrives. Without the setting the held party hears
// silence.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeG711 } from '@callbridge/codecs';
import { Registerer, UdpTransport, UserAgent, type InviteSession } from '@callbridge/sip';
import {
  PEERS,
  needsPeers,
  startBaresip,
  startKamailio,
  type Baresip,
  type Kamailio,
} from '@callbridge/testkit';
import {
  establishWithTone,
  placeCall,
  sipSideArgv,
  startB2bua,
  type B2buaHarness,
  phoneSdp,
} from './support/b2bua-harness.js';
import { WebRtcPeer, until } from './support/webrtc-peer.js';

const peers = needsPeers(PEERS.kamailio, PEERS.baresip, PEERS.sox);

/** 20 ms packets in one period of the hold tone (4 s) and a little more. */
const TONE_PERIOD_PACKETS = 220;

/** Audio measured at the phone: overall RMS and the loudest 20 ms frame's RMS. */
interface Heard {
  readonly rms: number;
  readonly loudestFrameRms: number;
}

/**
 * A SIP phone made of this project's UserAgent (account phone2 at Kamailio) and an RTP socket
 * that decodes the PCMU it receives and sends PCMU silence every 20 ms.
 */
class RtpPhone {
  readonly #frames: Int16Array[] = [];
  #timer: NodeJS.Timeout | undefined;
  #gatewayRtp: { address: string; port: number } | undefined;
  sessions: InviteSession[] = [];

  private constructor(
    readonly ua: UserAgent,
    readonly registerer: Registerer,
    readonly rtp: Socket,
  ) {
    rtp.on('message', (packet) => {
      if (packet.length <= 12 || (packet[1]! & 0x7f) !== 0) return;
      const frame = new Int16Array(packet.length - 12);
      decodeG711('mu', packet.subarray(12), frame);
      this.#frames.push(frame);
    });
    ua.on('invite', (call) => {
      this.#target(call.request.bodyText);
      const session = call.accept(phoneSdp(this.rtp.address().port));
      this.sessions.push(session);
      // RFC 3264 §6.1: a sendonly offer (hold) is answered recvonly, inactive with inactive.
      session.on('reinvite', (offer) => {
        const text = offer.request.bodyText;
        this.#target(text);
        const direction = /a=sendonly/.test(text)
          ? 'recvonly'
          : /a=inactive/.test(text)
            ? 'inactive'
            : 'sendrecv';
        offer.accept(phoneSdp(this.rtp.address().port, { direction }));
      });
    });
    const silence = Buffer.alloc(172, 0xff);
    let sequence = 0;
    this.#timer = setInterval(() => {
      const target = this.#gatewayRtp;
      if (!target) return;
      silence.writeUInt16BE(0x8000, 0);
      silence.writeUInt16BE(sequence & 0xffff, 2);
      silence.writeUInt32BE((sequence * 160) >>> 0, 4);
      silence.writeUInt32BE(0x1234abcd, 8);
      sequence++;
      rtp.send(silence, target.port, target.address);
    }, 20);
  }

  static async start(kamailioPort: number): Promise<RtpPhone> {
    const rtp = createSocket('udp4');
    await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
    const ua = new UserAgent({
      transports: [await UdpTransport.create({ address: '127.0.0.1' })],
      aor: 'sip:phone2@127.0.0.1',
      outboundProxy: `sip:127.0.0.1:${kamailioPort};lr`,
      credentials: { username: 'phone2', password: 'phone2-secret' },
    });
    const registerer = new Registerer(ua, {});
    const phone = new RtpPhone(ua, registerer, rtp);
    expect((await registerer.register()).status).toBe(200);
    return phone;
  }

  #target(sdp: string): void {
    const address = /c=IN IP4 (\S+)/.exec(sdp)?.[1];
    const port = Number(/m=audio (\d+)/.exec(sdp)?.[1] ?? 0);
    if (address && port > 0) this.#gatewayRtp = { address, port };
  }

  /** The next `packets` packets the phone receives, measured. */
  async receive(packets: number): Promise<Heard> {
    this.#frames.length = 0;
    await until(
      () => this.#frames.length >= packets,
      `${packets} RTP packets at the phone`,
      15_000,
    );
    return this.#measure();
  }

  /** What arrives within `ms` (zero when nothing does). */
  async heardWithin(ms: number): Promise<Heard> {
    this.#frames.length = 0;
    await new Promise((r) => setTimeout(r, ms));
    return this.#measure();
  }

  #measure(): Heard {
    let sum = 0;
    let count = 0;
    let loudestFrameRms = 0;
    for (const frame of this.#frames) {
      let frameSum = 0;
      for (const s of frame) frameSum += s * s;
      sum += frameSum;
      count += frame.length;
      loudestFrameRms = Math.max(loudestFrameRms, Math.sqrt(frameSum / frame.length));
    }
    return { rms: count ? Math.sqrt(sum / count) : 0, loudestFrameRms };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.registerer.unregister().catch(() => undefined);
    this.registerer.stop();
    await this.ua.close(200);
    this.rtp.close();
  }
}

describe.skipIf(peers.skip)('tone on hold through Kamailio', () => {
  let kamailio: Kamailio;
  let baresip: Baresip;
  let phone: RtpPhone;

  beforeAll(async () => {
    kamailio = await startKamailio();
    baresip = await startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU' });
    phone = await RtpPhone.start(kamailio.port);
  }, 30_000);

  afterAll(async () => {
    await phone?.stop();
    await baresip?.stop();
    await kamailio?.stop();
  });

  /** Does `action` and waits for the call's next `status` event. */
  async function untilStatus(
    b2bua: B2buaHarness,
    callId: string,
    status: 'HOLD' | 'ESTABLISHED',
    action: () => Promise<unknown>,
  ): Promise<void> {
    const count = (): number =>
      b2bua.socket.messages.filter(
        (m) => m['type'] === 'call.status' && m['callId'] === callId && m['status'] === status,
      ).length;
    const before = count();
    await action();
    try {
      await until(() => count() > before, `${status} after the request`);
    } catch (error) {
      // Whether the re-INVITE left baresip and passed Kamailio tells a lost command from a
      // lost request.
      const tail = (text: string): string => text.split('\n').slice(-40).join('\n');
      throw new Error(
        `no ${status} for ${callId}\nbaresip:\n${tail(baresip.output())}\nkamailio:\n${tail(kamailio.process.output())}`,
        { cause: error },
      );
    }
  }

  /** A gateway (with or without the hold tone) and a browser call to `callee`, then `test`. */
  async function call(
    holdTone: boolean,
    callee: 'phone' | 'phone2',
    test: (b2bua: B2buaHarness, peer: WebRtcPeer, callId: string) => Promise<void>,
  ): Promise<void> {
    const b2bua = await startB2bua({
      argv: [
        ...sipSideArgv(kamailio.port, 'UDP'),
        ...(holdTone ? ['--media-hold-tone', 'true'] : []),
      ],
      sipOptions: { login: 'gateway', password: 'gateway-secret', domain: '127.0.0.1' },
      ready: 'REGISTERED',
    });
    const callId = `hold-${callee}-${String(holdTone)}`;
    const peer = await WebRtcPeer.create(callId, ['PCMU']);
    try {
      await placeCall(b2bua.socket, peer, callId, callee);
      // The browser sends a 440 Hz tone at amplitude 8000 (RMS about 5600) throughout.
      await establishWithTone(b2bua.socket, peer, callId);
      await test(b2bua, peer, callId);
      await b2bua.socket.request({ type: 'call.hangup', callId });
      await b2bua.socket.waitFor({ type: 'call.status', callId, status: 'FINISH' }, 10_000);
      await until(() => b2bua.backend.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      peer.close();
      await b2bua.stop();
    }
  }

  it('on: the phone the browser holds hears the tone, then the browser again', async () => {
    await call(true, 'phone2', async (b2bua, _peer, callId) => {
      expect((await phone.receive(50)).rms).toBeGreaterThan(2000);
      await untilStatus(b2bua, callId, 'HOLD', () =>
        b2bua.socket.request({ type: 'call.hold', callId }),
      );
      // A whole period of the tone: a beep (amplitude 2000) for 5% of the time, else silence;
      // not the browser's tone.
      const held = await phone.receive(TONE_PERIOD_PACKETS);
      expect(held.loudestFrameRms).toBeGreaterThan(1000);
      expect(held.loudestFrameRms).toBeLessThan(2000);
      expect(held.rms).toBeGreaterThan(150);
      expect(held.rms).toBeLessThan(1000);
      await untilStatus(b2bua, callId, 'ESTABLISHED', () =>
        b2bua.socket.request({ type: 'call.unhold', callId }),
      );
      await phone.receive(10);
      expect((await phone.receive(50)).rms).toBeGreaterThan(2000);
    });
  }, 60_000);

  it('on: the browser hears the tone while baresip holds it, then baresip again', async () => {
    await call(true, 'phone', async (b2bua, peer, callId) => {
      // baresip's 1 kHz tone at half scale (RMS about 11600).
      expect((await peer.receive(50)).rms).toBeGreaterThan(5000);
      await untilStatus(b2bua, callId, 'HOLD', () => baresip.command('/hold'));
      const held = await peer.receive(TONE_PERIOD_PACKETS);
      expect(held.rms).toBeGreaterThan(150);
      expect(held.rms).toBeLessThan(1000);
      await untilStatus(b2bua, callId, 'ESTABLISHED', () => baresip.command('/resume'));
      await peer.receive(10);
      expect((await peer.receive(50)).rms).toBeGreaterThan(5000);
    });
  }, 60_000);

  it('off (the default): the held phone hears silence', async () => {
    await call(false, 'phone2', async (b2bua, _peer, callId) => {
      expect((await phone.receive(50)).rms).toBeGreaterThan(2000);
      await untilStatus(b2bua, callId, 'HOLD', () =>
        b2bua.socket.request({ type: 'call.hold', callId }),
      );
      // Let what was in flight arrive. Nothing says when a tone would have played, so listen
      // for a whole period of it: whatever arrives must be silence.
      await new Promise((r) => setTimeout(r, 300));
      expect((await phone.heardWithin(TONE_PERIOD_PACKETS * 20)).loudestFrameRms).toBeLessThan(50);
    });
  }, 60_000);
});
