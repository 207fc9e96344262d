// The embedded demo, called from a plain SIP user agent of @callbridge/sip with real RTP over
// 127.0.0.1: every demo number behaves as documented.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeG711, encodeG711 } from '@callbridge/codecs';
import { RtpPacket, writeRtpPacket } from '@callbridge/rtp';
import { UdpTransport, UserAgent, type OutgoingCall, type SipResponse } from '@callbridge/sip';
import type { EmbeddedDemo } from '../src/backend.js';
import { DEMO_DOMAIN, startEmbeddedDemo } from '../src/demo/index.js';

let demo: EmbeddedDemo;
let alice: UserAgent;
let rtp: Socket;

beforeAll(async () => {
  demo = await startEmbeddedDemo();
  const transport = await UdpTransport.create();
  alice = new UserAgent({
    transports: [transport],
    aor: `sip:alice@${DEMO_DOMAIN}`,
    outboundProxy: `sip:${demo.sipServer.host}:${demo.sipServer.port}`,
    credentials: { username: 'alice', password: 'alice-demo' },
    resolver: (host) => Promise.resolve(host === DEMO_DOMAIN ? '127.0.0.1' : host),
  });
  rtp = createSocket('udp4');
  await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  rtp.close();
  await alice.close(200);
  await demo.stop();
});

function offer(): { body: string; contentType: string } {
  const port = rtp.address().port;
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    '',
  ].join('\r\n');
  return { body: sdp, contentType: 'application/sdp' };
}

function call(number: string): OutgoingCall {
  return alice.invite(`sip:${number}@${DEMO_DOMAIN}`, { offer: offer() });
}

function remoteMedia(body: Uint8Array): { address: string; port: number } {
  const text = new TextDecoder().decode(body);
  const port = Number(/m=audio (\d+)/.exec(text)?.[1]);
  const address = /c=IN IP4 (\S+)/.exec(text)?.[1] ?? '';
  return { address, port };
}

/** Collects decoded PCMU samples arriving on the RTP socket for `ms`. */
async function listen(
  ms: number,
): Promise<{ packets: number; rms: number; payloads: Uint8Array[] }> {
  const payloads: Uint8Array[] = [];
  const onMessage = (data: Uint8Array): void => {
    const packet = RtpPacket.tryParse(data);
    if (packet?.payloadType === 0) payloads.push(packet.payload.slice());
  };
  rtp.on('message', onMessage);
  await new Promise((r) => setTimeout(r, ms));
  rtp.off('message', onMessage);
  let sum = 0;
  let count = 0;
  for (const payload of payloads) {
    const pcm = new Int16Array(payload.length);
    decodeG711('mu', payload, pcm);
    for (const s of pcm) sum += s * s;
    count += pcm.length;
  }
  return { packets: payloads.length, rms: count ? Math.sqrt(sum / count) : 0, payloads };
}

describe('embedded demo', () => {
  it('serves the documented accounts and numbers', () => {
    expect(demo.domain).toBe('demo.callbridge.local');
    expect(demo.accounts.map((a) => a.login)).toEqual(['alice', 'bob']);
    expect(demo.numbers.map((n) => n.number)).toEqual(['100', '101', '102', '103', '104']);
  });

  it('100 answers and echoes the audio it receives', async () => {
    const outgoing = call('100');
    const session = await outgoing.answered;
    const target = remoteMedia(session.remoteBody);
    expect(target.port).toBeGreaterThan(0);
    // A 1 kHz tone at a known level goes out; the same samples must come back.
    const pcm = new Int16Array(160);
    const payload = new Uint8Array(160);
    const out = new Uint8Array(172);
    const received = listen(900);
    for (let i = 0; i < 25; i++) {
      for (let n = 0; n < 160; n++)
        pcm[n] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (i * 160 + n)) / 8000));
      encodeG711('mu', pcm, payload);
      const length = writeRtpPacket(
        { payloadType: 0, sequenceNumber: 100 + i, timestamp: i * 160, ssrc: 0x1234, payload },
        out,
      );
      rtp.send(out.subarray(0, length), target.port, target.address);
      await new Promise((r) => setTimeout(r, 20));
    }
    const echo = await received;
    expect(echo.packets).toBeGreaterThanOrEqual(20);
    expect(echo.rms).toBeGreaterThan(4000);
    await session.bye();
  });

  it('101 answers and plays a tone', async () => {
    const session = await call('101').answered;
    const tone = await listen(600);
    expect(tone.packets).toBeGreaterThanOrEqual(20);
    expect(tone.rms).toBeGreaterThan(2000);
    await session.bye();
    // Once the call is over the tone stops.
    await new Promise((r) => setTimeout(r, 100));
    expect((await listen(300)).packets).toBe(0);
  });

  it('102 is busy', async () => {
    const failed = new Promise<SipResponse>((resolve) => call('102').once('failed', resolve));
    expect((await failed).status).toBe(486);
  });

  it('103 rings and keeps ringing until the caller cancels', async () => {
    const outgoing = call('103');
    const ringing = new Promise<SipResponse>((resolve) =>
      outgoing.on('progress', (r) => r.status === 180 && resolve(r)),
    );
    expect((await ringing).status).toBe(180);
    const failed = new Promise<SipResponse>((resolve) => outgoing.once('failed', resolve));
    await new Promise((r) => setTimeout(r, 300));
    outgoing.cancel();
    expect((await failed).status).toBe(487);
  });

  it('104 plays early media with a 183, then answers', async () => {
    const outgoing = call('104');
    const early = new Promise<Uint8Array>((resolve) =>
      outgoing.once('early', (e) => resolve(e.body)),
    );
    const body = await early;
    expect(remoteMedia(body).port).toBeGreaterThan(0);
    const earlyTone = await listen(500);
    expect(earlyTone.rms).toBeGreaterThan(2000);
    const session = await outgoing.answered;
    await session.bye();
  }, 15_000);

  it('a number that does not exist fails with 480', async () => {
    const failed = new Promise<SipResponse>((resolve) => call('199').once('failed', resolve));
    expect((await failed).status).toBe(480);
  });
});
