// End to end through real peers: a live Chromium offer becomes the gateway's SIP offer, a real
// baresip phone answers it, and Chromium accepts the answer the gateway builds from baresip's.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  freePort,
  launchChromium,
  LOOPBACK,
  needsPeers,
  PEERS,
  startProcess,
  tempDir,
  type LaunchedChromium,
  type RunningProcess,
  type TempDir,
} from '@callbridge/testkit';
import {
  browserAnswerToSip,
  browserOfferToSip,
  parseSdp,
  sipAnswerToBrowser,
  sipOfferToBrowser,
  type GatewayMediaConfig,
} from '@callbridge/sdp';
import { G722, GATEWAY_SIP, GATEWAY_WEBRTC, OPUS, PCMA, PCMU, TE48K, TE8K } from './helpers.js';

const GSM = { name: 'GSM', clockRate: 8000 };

const CONFIG: GatewayMediaConfig = {
  webrtc: GATEWAY_WEBRTC,
  sip: GATEWAY_SIP,
  codecs: {
    webrtc: { audio: [OPUS, PCMU, PCMA, G722, TE48K, TE8K] },
    sip: { audio: [PCMU, PCMA, G722, OPUS, TE8K] },
  },
};

/** A minimal UAC over UDP on 127.0.0.1: INVITE with SDP, ACK the 200, BYE. */
class TinyUac {
  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
    private readonly target: number,
  ) {}

  static async open(target: number): Promise<TinyUac> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
    return new TinyUac(socket, socket.address().port, target);
  }

  close(): void {
    this.socket.close();
  }

  private send(message: string): void {
    this.socket.send(message, this.target, LOOPBACK);
  }

  private next(predicate: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        reject(new Error('no matching SIP message from baresip'));
      }, timeoutMs);
      const onMessage = (data: Buffer): void => {
        const text = data.toString('utf8');
        if (!predicate(text)) return;
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(text);
      };
      this.socket.on('message', onMessage);
    });
  }

  private request(
    method: string,
    uri: string,
    cseq: number,
    headers: Record<string, string>,
    body = '',
  ): string {
    const lines = [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${LOOPBACK}:${this.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      'Max-Forwards: 70',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      `CSeq: ${cseq} ${method}`,
      `Content-Length: ${new TextEncoder().encode(body).length}`,
      '',
      body,
    ];
    return lines.join('\r\n');
  }

  /** Places a call; resolves with the SDP of the 200 and a hangup function. */
  async call(user: string, sdp: string): Promise<{ answer: string; hangup: () => Promise<void> }> {
    const callId = `sdp-${Math.random().toString(36).slice(2)}@${LOOPBACK}`;
    const uri = `sip:${user}@${LOOPBACK}:${this.target}`;
    const from = `<sip:gateway@${LOOPBACK}>;tag=${Math.random().toString(36).slice(2)}`;
    const base = {
      From: from,
      'Call-ID': callId,
      Contact: `<sip:gateway@${LOOPBACK}:${this.port}>`,
    };
    const ok = this.next(
      (t) => /^SIP\/2\.0 [2-6]\d\d /.test(t) && t.includes(callId) && / INVITE\r\n/.test(t),
    );
    this.send(
      this.request(
        'INVITE',
        uri,
        1,
        { ...base, To: `<${uri}>`, 'Content-Type': 'application/sdp' },
        sdp,
      ),
    );
    const response = await ok;
    const status = /^SIP\/2\.0 (\d{3})/.exec(response)?.[1];
    if (status !== '200') throw new Error(`baresip answered ${status}:\n${response}\nto:\n${sdp}`);
    const to = /^To: (.*)$/im.exec(response)?.[1]?.trim() ?? `<${uri}>`;
    const contact = /^(?:Contact|m): .*<([^>]+)>/im.exec(response)?.[1] ?? uri;
    this.send(this.request('ACK', contact, 1, { ...base, To: to }));
    const body = response.slice(response.indexOf('\r\n\r\n') + 4);
    return {
      answer: body,
      hangup: async () => {
        const done = this.next(
          (t) => t.startsWith('SIP/2.0 200') && t.includes(callId) && / BYE\r\n/.test(t),
        );
        this.send(this.request('BYE', contact, 2, { ...base, To: to }));
        await done;
      },
    };
  }
}

/** Waits for an INVITE on a UDP socket; `answer` sends a 200 with SDP and resolves on the ACK. */
function receiveInvite(
  socket: Socket,
  timeoutMs = 10_000,
): Promise<{ sdp: string; answer: (sdp: string) => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no INVITE from baresip')), timeoutMs);
    socket.once('message', (data, from) => {
      clearTimeout(timer);
      const invite = data.toString('utf8');
      const header = (name: string): string =>
        new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(invite)?.[1]?.trim() ?? '';
      const sdp = invite.slice(invite.indexOf('\r\n\r\n') + 4);
      resolve({
        sdp,
        answer: (body: string) =>
          new Promise<void>((done, fail) => {
            const ackTimer = setTimeout(() => fail(new Error('baresip sent no ACK')), timeoutMs);
            socket.on('message', function onAck(ack) {
              if (!ack.toString('utf8').startsWith('ACK ')) return;
              clearTimeout(ackTimer);
              socket.off('message', onAck);
              done();
            });
            const { port } = socket.address();
            const response = [
              'SIP/2.0 200 OK',
              `Via: ${header('Via')}`,
              `From: ${header('From')}`,
              `To: ${header('To')};tag=gw${Math.random().toString(36).slice(2)}`,
              `Call-ID: ${header('Call-ID')}`,
              `CSeq: ${header('CSeq')}`,
              `Contact: <sip:gw@${LOOPBACK}:${port}>`,
              'Content-Type: application/sdp',
              `Content-Length: ${new TextEncoder().encode(body).length}`,
              '',
              body,
            ].join('\r\n');
            socket.send(response, from.port, from.address);
          }),
      });
    });
  });
}

async function chromiumOffer(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const w = window as unknown as { pc?: RTCPeerConnection };
    w.pc?.close();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection();
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    w.pc = pc;
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
    return pc.localDescription!.sdp;
  });
}

async function chromiumAccepts(page: Page, sdp: string): Promise<string | null> {
  return page.evaluate(async (answer) => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return pc.getTransceivers()[0]!.sender.getParameters().codecs[0]?.mimeType ?? null;
  }, sdp);
}

describe.skipIf(needsPeers(PEERS.baresip, PEERS.chromium).skip)(
  'with real baresip and Chromium',
  () => {
    let dir: TempDir;
    let baresip: RunningProcess;
    let browser: LaunchedChromium;
    let page: Page;
    let uac: TinyUac;

    beforeAll(async () => {
      dir = tempDir('sdp-baresip');
      const sipPort = await freePort('udp');
      const rtpBase = 20000 + (sipPort % 20000);
      writeFileSync(
        dir.file('config'),
        [
          `sip_listen ${LOOPBACK}:${sipPort}`,
          `net_interface ${LOOPBACK}`,
          `rtp_ports ${rtpBase}-${rtpBase + 40}`,
          'audio_player aubridge,nil',
          'audio_source aubridge,nil',
          'audio_alert aubridge,nil',
          'module_path /usr/lib/baresip/modules',
          'module g711.so',
          'module g722.so',
          'module gsm.so',
          'module aubridge.so',
          'module srtp.so',
          'module_tmp account.so',
          'module_app menu.so',
          '',
        ].join('\n'),
      );
      writeFileSync(
        dir.file('accounts'),
        [
          `<sip:phone@${LOOPBACK}>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA,G722/16000/1,GSM`,
          `<sip:secure@${LOOPBACK}>;regint=0;answermode=auto;audio_codecs=PCMU;mediaenc=srtp-mand`,
          '',
        ].join('\n'),
      );
      baresip = await startProcess('baresip', ['-f', dir.path, '-v'], {
        readyPattern: /baresip is ready/,
      });
      uac = await TinyUac.open(sipPort);
      browser = await launchChromium();
      page = await browser.newPage();
    });

    afterAll(async () => {
      uac?.close();
      await browser?.close();
      await baresip?.stop();
      dir?.remove();
    });

    it('baresip answers the SIP offer made from a live Chromium offer, and Chromium accepts the bridged answer (relay)', async () => {
      const offer = browserOfferToSip(await chromiumOffer(page), CONFIG);
      const call = await uac.call('phone', offer.sdp);
      const answer = sipAnswerToBrowser(offer, call.answer);
      // baresip answers with the first of its own audio_codecs that the offer lists
      expect(answer.media[0]!.sip?.codec?.name).toBe('PCMU');
      expect(answer.media[0]!.mode).toBe('relay');
      expect(answer.relay).toBe(true);
      expect(answer.media[0]!.sip?.remoteAddress?.address).toBe(LOOPBACK);
      expect(answer.media[0]!.sip?.remotePort).toBe(parseSdp(call.answer).media[0]!.port);
      expect(await chromiumAccepts(page, answer.sdp)).toBe('audio/PCMU');
      await call.hangup();
    });

    it('relays G.722 when the gateway allows only G.722 on the SIP side', async () => {
      const config = {
        ...CONFIG,
        codecs: { ...CONFIG.codecs, sip: { audio: [G722, TE8K] } },
      };
      const offer = browserOfferToSip(await chromiumOffer(page), config);
      const call = await uac.call('phone', offer.sdp);
      const answer = sipAnswerToBrowser(offer, call.answer);
      expect(answer.media[0]!.mode).toBe('relay');
      expect(await chromiumAccepts(page, answer.sdp)).toBe('audio/G722');
      await call.hangup();
    });

    it('transcodes when the phone answers GSM, which Chromium lacks, giving Chromium Opus', async () => {
      const config = { ...CONFIG, codecs: { ...CONFIG.codecs, sip: { audio: [GSM, TE8K] } } };
      const offer = browserOfferToSip(await chromiumOffer(page), config);
      expect(offer.description.media[0]!.codecs[0]).toMatchObject({ name: 'GSM', payloadType: 3 });
      const call = await uac.call('phone', offer.sdp);
      const answer = sipAnswerToBrowser(offer, call.answer);
      expect(answer.media[0]!.sip?.codec?.name).toBe('GSM');
      expect(answer.media[0]!.mode).toBe('transcode');
      expect(answer.relay).toBe(false);
      expect(await chromiumAccepts(page, answer.sdp)).toBe('audio/opus');
      await call.hangup();
    });

    it('offers SDES to a phone that requires SRTP and reads its a=crypto answer', async () => {
      const key = (): string => `inline:${Buffer.from(randomBytes(30)).toString('base64')}`;
      const sdes = [
        { suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: key() },
        { suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: key() },
      ];
      const config = { ...CONFIG, sip: { ...GATEWAY_SIP, sdes } };
      const offer = browserOfferToSip(await chromiumOffer(page), config);
      expect(offer.sdp).toMatch(/^m=audio 30000 RTP\/SAVP /m);
      const call = await uac.call('secure', offer.sdp);
      const answer = sipAnswerToBrowser(offer, call.answer);
      const sip = answer.media[0]!.sip!;
      expect(sip.srtp).toBe('sdes');
      expect(sdes.map((k) => k.suite)).toContain(sip.localCrypto?.suite);
      expect(sip.localCrypto?.keyParams).toBe(
        sdes.find((k) => k.suite === sip.localCrypto?.suite)?.keyParams,
      );
      expect(sip.remoteCrypto?.suite).toBe(sip.localCrypto?.suite);
      expect(sip.remoteCrypto?.keyParams).toMatch(/^inline:[A-Za-z0-9+/=]{40}/);
      expect(await chromiumAccepts(page, answer.sdp)).toBe('audio/PCMU');
      await call.hangup();
    });

    it('a baresip call with SDES comes in: Chromium takes the offer, baresip takes the answer', async () => {
      const uas = createSocket('udp4');
      await new Promise<void>((resolve) => uas.bind(0, LOOPBACK, resolve));
      const callerDir = tempDir('sdp-baresip-caller');
      const callerPort = await freePort('udp');
      writeFileSync(
        callerDir.file('config'),
        [
          `sip_listen ${LOOPBACK}:${callerPort}`,
          `net_interface ${LOOPBACK}`,
          `rtp_ports ${21000 + (callerPort % 20000)}-${21040 + (callerPort % 20000)}`,
          'audio_player aubridge,nil',
          'audio_source aubridge,nil',
          'audio_alert aubridge,nil',
          'module_path /usr/lib/baresip/modules',
          'module g711.so',
          'module aubridge.so',
          'module srtp.so',
          'module_tmp account.so',
          'module_app menu.so',
          '',
        ].join('\n'),
      );
      writeFileSync(
        callerDir.file('accounts'),
        `<sip:caller@${LOOPBACK}>;regint=0;audio_codecs=PCMA,PCMU;mediaenc=srtp-mand\n`,
      );
      const invited = receiveInvite(uas);
      const caller = await startProcess(
        'baresip',
        ['-f', callerDir.path, '-v', '-e', `/dial sip:gw@${LOOPBACK}:${uas.address().port}`],
        { readyPattern: /baresip is ready/ },
      );
      try {
        const invite = await invited;
        expect(invite.sdp).toMatch(/^m=audio \d+ RTP\/SAVP /m);
        const sdes = [
          {
            suite: 'AES_CM_128_HMAC_SHA1_80',
            keyParams: `inline:${Buffer.from(randomBytes(30)).toString('base64')}`,
          },
        ];
        const config = { ...CONFIG, sip: { ...GATEWAY_SIP, sdes } };
        const offer = sipOfferToBrowser(invite.sdp, config);
        const browserAnswer = await page.evaluate(async (sdp) => {
          const w = window as unknown as { pc?: RTCPeerConnection };
          w.pc?.close();
          const pc = new RTCPeerConnection();
          w.pc = pc;
          await pc.setRemoteDescription({ type: 'offer', sdp });
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
          const transceiver = pc.getTransceivers()[0]!;
          await transceiver.sender.replaceTrack(stream.getAudioTracks()[0]!);
          transceiver.direction = 'sendrecv';
          await pc.setLocalDescription(await pc.createAnswer());
          return pc.localDescription!.sdp;
        }, offer.sdp);
        const answer = browserAnswerToSip(offer, browserAnswer);
        // The gateway's offer follows its own preference (PCMU before PCMA), not the caller's;
        // Chromium answers with its first codec.
        expect(answer.media[0]!.mode).toBe('relay');
        expect(answer.media[0]!.sip?.codec?.name).toBe('PCMU');
        expect(answer.media[0]!.sip?.localCrypto?.keyParams).toBe(sdes[0]!.keyParams);
        expect(answer.sdp).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/m);
        await invite.answer(answer.sdp);
        // baresip took the answer: SRTP with the suite and key the gateway chose, PCMU, call up
        await caller.waitFor(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_80\)/, 10_000);
        await caller.waitFor(/Set audio encoder: PCMU/, 10_000);
        await caller.waitFor(/Call established/, 10_000);
      } finally {
        await caller.stop();
        uas.close();
        callerDir.remove();
      }
    });
  },
);
