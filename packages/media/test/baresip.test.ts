// Real RTP from two baresip phones on 127.0.0.1, bridged by a MediaSession: each phone plays a
// tone, the session relays or transcodes, and each phone records what it hears (sndfile module).
// The SIP here is the least that makes baresip answer: one INVITE, the ACK and a BYE over UDP.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSession } from '@callbridge/media';
import {
  formatSdesCrypto,
  generateSdesKey,
  parseSdesCrypto,
  sdesContextOptions,
  srtpProfile,
} from '@callbridge/srtp';
import type { DtmfEvent, LegConfig, PayloadFormat } from '@callbridge/media';
import { LOOPBACK, PEERS, freePort, needsPeers, startProcess, tempDir } from '@callbridge/testkit';
import type { RunningProcess, TempDir } from '@callbridge/testkit';
import { toneAmplitude, rms } from './helpers.js';

const peers = needsPeers(PEERS.baresip, PEERS.sox);

interface Phone {
  name: string;
  dir: TempDir;
  process: RunningProcess;
  sipPort: number;
  consolePort: number;
}

async function startPhone(
  name: string,
  toneHz: number,
  codec: 'PCMU' | 'PCMA',
  srtp = false,
): Promise<Phone> {
  const dir = tempDir(`baresip-${name}`);
  const sipPort = await freePort();
  const consolePort = await freePort();
  const rtpBase = 20000 + Math.floor(Math.random() * 20000) * 2;
  const wav = dir.file('tone.wav');
  expect(
    spawnSync('sox', [
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '16',
      wav,
      'synth',
      '30',
      'sine',
      String(toneHz),
      'vol',
      '0.5',
    ]).status,
  ).toBe(0);
  mkdirSync(dir.file('rec'));
  writeFileSync(
    dir.file('config'),
    [
      'poll_method epoll',
      `sip_listen ${LOOPBACK}:${sipPort}`,
      'sip_trans_def udp',
      'audio_player aubridge,nil',
      `audio_source aufile,${wav}`,
      'audio_alert aubridge,nil',
      'audio_srate 8000-48000',
      `rtp_ports ${rtpBase}-${rtpBase + 20}`,
      `net_interface ${LOOPBACK}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module sndfile.so',
      'module cons.so',
      ...(srtp ? ['module srtp.so'] : []),
      'module_tmp account.so',
      'module_app menu.so',
      `cons_listen ${LOOPBACK}:${consolePort}`,
      `snd_path ${dir.file('rec')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    dir.file('accounts'),
    `<sip:${name}@${LOOPBACK};transport=udp>;regint=0;answermode=auto;audio_codecs=${codec}${srtp ? ';mediaenc=srtp-mand' : ''}\n`,
  );
  const process = await startProcess('baresip', ['-f', dir.path, '-v'], {
    readyPattern: /baresip is ready/i,
    timeoutMs: 15_000,
  });
  return { name, dir, process, sipPort, consolePort };
}

async function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return socket;
}

/** A one-dialog SIP user agent client: INVITE with our SDP, ACK the 200, BYE at the end. */
class MiniUac {
  readonly #socket: Socket;
  readonly #phone: Phone;
  readonly #callId = `${Math.random().toString(36).slice(2)}@${LOOPBACK}`;
  #toHeader = '';
  #cseq = 1;

  constructor(socket: Socket, phone: Phone) {
    this.#socket = socket;
    this.#phone = phone;
  }

  #request(method: string, body = '', contentType = ''): string {
    const port = this.#socket.address().port;
    const lines = [
      `${method} sip:${this.#phone.name}@${LOOPBACK}:${this.#phone.sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${LOOPBACK}:${port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      'Max-Forwards: 70',
      `From: <sip:gateway@${LOOPBACK}>;tag=gw1`,
      `To: ${this.#toHeader || `<sip:${this.#phone.name}@${LOOPBACK}>`}`,
      `Call-ID: ${this.#callId}`,
      `CSeq: ${method === 'ACK' ? 1 : this.#cseq} ${method}`,
      `Contact: <sip:gateway@${LOOPBACK}:${port}>`,
      ...(contentType ? [`Content-Type: ${contentType}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    return lines.join('\r\n');
  }

  #send(text: string): void {
    this.#socket.send(text, this.#phone.sipPort, LOOPBACK);
  }

  /** Sends the INVITE and resolves with the answer's audio port and payload types. */
  /** Sends the INVITE (SDES-SRTP when `crypto` is given) and resolves with the answer. */
  invite(
    rtpPort: number,
    format: PayloadFormat,
    crypto?: string,
  ): Promise<{ port: number; sdp: string }> {
    const sdp = [
      'v=0',
      `o=- 1 1 IN IP4 ${LOOPBACK}`,
      's=-',
      `c=IN IP4 ${LOOPBACK}`,
      't=0 0',
      `m=audio ${rtpPort} ${crypto ? 'RTP/SAVP' : 'RTP/AVP'} ${format.payloadType} 101`,
      ...(crypto ? [`a=crypto:${crypto}`] : []),
      `a=rtpmap:${format.payloadType} ${format.name}/${format.clockRate}`,
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.#phone.name} did not answer`)),
        10_000,
      );
      this.#socket.on('message', (message) => {
        const text = message.toString('utf8');
        if (!text.startsWith('SIP/2.0 200') || !/CSeq: 1 INVITE/i.test(text)) return;
        clearTimeout(timer);
        this.#toHeader = /^To: (.*)$/im.exec(text)![1]!.trim();
        this.#send(this.#request('ACK'));
        const answer = text.split('\r\n\r\n')[1] ?? '';
        resolve({ port: Number(/^m=audio (\d+)/m.exec(answer)![1]), sdp: answer });
      });
      this.#send(this.#request('INVITE', sdp, 'application/sdp'));
    });
  }

  bye(): void {
    this.#cseq++;
    this.#send(this.#request('BYE'));
  }
}

/** PCM of a 16-bit mono WAV file (the data chunk). */
function readWav(path: string): Int16Array {
  const bytes = readFileSync(path);
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('ascii', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'data') {
      const end = Math.min(bytes.length, at + 8 + size);
      const pcm = new Int16Array((end - at - 8) >> 1);
      for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(at + 8 + i * 2);
      return pcm;
    }
    at += 8 + size + (size & 1);
  }
  return new Int16Array(0);
}

function recorded(phone: Phone): Int16Array {
  const file = readdirSync(phone.dir.file('rec')).find((f) => f.endsWith('-dec.wav'));
  return file === undefined ? new Int16Array(0) : readWav(join(phone.dir.file('rec'), file));
}

const PCMU: PayloadFormat = { payloadType: 0, name: 'PCMU', clockRate: 8000 };
const PCMA: PayloadFormat = { payloadType: 8, name: 'PCMA', clockRate: 8000 };

describe.skipIf(peers.skip)('MediaSession with baresip on 127.0.0.1', () => {
  for (const [mode, codecB, aliceSrtp] of [
    ['relay', 'PCMU', false],
    ['transcode', 'PCMA', false],
    ['relay', 'PCMU', true],
  ] as const) {
    const title = `${mode}: PCMU phone${aliceSrtp ? ' over SDES-SRTP' : ''} ⇄ ${codecB} phone`;
    describe(title, () => {
      let phoneA: Phone;
      let phoneB: Phone;
      let session: MediaSession;
      const sockets: Socket[] = [];
      const received = { a: [] as Uint8Array[], b: [] as Uint8Array[] };
      const dtmf: DtmfEvent[] = [];
      const infos: string[] = [];

      beforeAll(async () => {
        [phoneA, phoneB] = await Promise.all([
          startPhone('alice', 440, 'PCMU', aliceSrtp),
          startPhone('bob', 1000, codecB),
        ]);
        const [sipA, sipB, rtpA, rtpB] = await Promise.all([
          udpSocket(),
          udpSocket(),
          udpSocket(),
          udpSocket(),
        ]);
        sockets.push(sipA, sipB, rtpA, rtpB);
        const formatB = codecB === 'PCMU' ? PCMU : PCMA;
        // SDES (RFC 4568): our key in the offer, alice's in her answer.
        const ourKey = generateSdesKey(srtpProfile('AES_CM_128_HMAC_SHA1_80'));
        const offerCrypto = formatSdesCrypto({
          tag: 1,
          profile: 'AES_CM_128_HMAC_SHA1_80',
          ...ourKey,
        });
        const [answerA, answerB] = await Promise.all([
          new MiniUac(sipA, phoneA).invite(
            rtpA.address().port,
            PCMU,
            aliceSrtp ? offerCrypto : undefined,
          ),
          new MiniUac(sipB, phoneB).invite(rtpB.address().port, formatB),
        ]);
        const answerCrypto = /^a=crypto:(.*)$/m.exec(answerA.sdp)?.[1];
        if (aliceSrtp) expect(answerCrypto).toBeDefined();
        const srtpA =
          aliceSrtp && answerCrypto !== undefined
            ? {
                srtp: {
                  send: sdesContextOptions(parseSdesCrypto(offerCrypto)),
                  receive: sdesContextOptions(parseSdesCrypto(answerCrypto.trim())),
                },
              }
            : {};

        const leg = (
          socket: Socket,
          port: number,
          format: PayloadFormat,
          dtmfMode: LegConfig['dtmf'],
        ): LegConfig => ({
          transport: {
            sendRtp: (data, length) => socket.send(data, 0, length, port, LOOPBACK),
            sendRtcp: (data, length) => socket.send(data, 0, length, port + 1, LOOPBACK),
          },
          audio: { formats: [format], telephoneEvents: [{ payloadType: 101, clockRate: 8000 }] },
          ...(dtmfMode ? { dtmf: dtmfMode } : {}),
        });
        session = await MediaSession.create({
          a: { ...leg(rtpA, answerA.port, PCMU, 'rfc4733'), ...srtpA },
          b: leg(rtpB, answerB.port, formatB, 'sip-info'),
          inactivityTimeoutMs: 0,
        });
        session.on('dtmf', (e) => dtmf.push(e));
        session.on('sipInfo', (e) => infos.push(e.body));
        rtpA.on('message', (m) => {
          received.a.push(new Uint8Array(m));
          session.receiveRtp('a', new Uint8Array(m));
        });
        rtpB.on('message', (m) => {
          received.b.push(new Uint8Array(m));
          session.receiveRtp('b', new Uint8Array(m));
        });
        await new Promise((r) => setTimeout(r, 1500));
        // alice presses 5 on her keypad for 200 ms (baresip's menu sends RFC 4733 events; 0x04
        // on its console is the key release).
        const keypad = createSocket('udp4');
        keypad.send('5', phoneA.consolePort, LOOPBACK);
        await new Promise((r) => setTimeout(r, 200));
        keypad.send('\x04', phoneA.consolePort, LOOPBACK);
        await new Promise((r) => setTimeout(r, 1300));
        keypad.close();
        new MiniUac(sipA, phoneA).bye();
        session.close();
        await Promise.all([phoneA.process.stop(), phoneB.process.stop()]);
      }, 60_000);

      afterAll(async () => {
        session?.close();
        for (const s of sockets) s.close();
        await phoneA?.process.stop();
        await phoneB?.process.stop();
        phoneA?.dir.remove();
        phoneB?.dir.remove();
      });

      it(`runs in ${mode} mode`, () => {
        expect(session.mode('a')).toBe(mode);
        expect(session.mode('b')).toBe(mode);
      });

      it('receives real RTP from both phones with energy in it', () => {
        expect(received.a.length).toBeGreaterThan(100);
        // With SDES every packet from alice authenticated (none failed).
        expect(session.statistics('a').srtpFailures).toBe(0);
        expect(received.b.length).toBeGreaterThan(100);
        expect(session.statistics('a').rtpReceived).toBeGreaterThan(100);
        expect(session.statistics('b').rtpSent).toBeGreaterThan(100);
      });

      it('each phone hears the other one’s tone through the session', () => {
        const heardByBob = recorded(phoneB);
        const heardByAlice = recorded(phoneA);
        expect(heardByBob.length).toBeGreaterThan(8000);
        expect(heardByAlice.length).toBeGreaterThan(8000);
        const second = (pcm: Int16Array): Int16Array => pcm.subarray(4000, 12000);
        expect(rms(second(heardByBob))).toBeGreaterThan(1000);
        expect(toneAmplitude(second(heardByBob), 440, 8000)).toBeGreaterThan(
          5 * toneAmplitude(second(heardByBob), 1000, 8000),
        );
        expect(toneAmplitude(second(heardByAlice), 1000, 8000)).toBeGreaterThan(
          5 * toneAmplitude(second(heardByAlice), 440, 8000),
        );
      });

      it('turns alice’s RFC 4733 digit into one SIP INFO towards bob', () => {
        expect(dtmf.map((d) => [d.leg, d.digit, d.via])).toEqual([['a', '5', 'rfc4733']]);
        expect(infos).toHaveLength(1);
        expect(infos[0]).toMatch(/^Signal=5\r\nDuration=\d+\r\n$/);
      });
    });
  }
});
