// Click-to-call over the REST API against the embedded demo: POST /call/startup with a server
// media source (tone, WAV file, echo) calls bob, who is a plain SIP user agent of this test with
// its own RTP socket; what the gateway plays arrives there, and the echo source returns it.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeG711, encodeG711 } from '@callbridge/codecs';
import { RtpPacket, writeRtpPacket } from '@callbridge/rtp';
import { Registerer, UdpTransport, UserAgent, type InviteSession } from '@callbridge/sip';
import type { RunningGateway } from '../src/index.js';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { parseWav } from '../src/b2bua/server-call.js';
import { DEMO_DOMAIN } from '../src/demo/index.js';
import { REST_API_ARGV, phoneSdp, startB2buaGateway } from './support/b2bua-harness.js';
import { API_TOKEN, restClient, type RestPost } from './support/gateway-harness.js';

let gateway: RunningGateway;
let backend: B2buaBackend | undefined;
let bob: UserAgent;
let registerer: Registerer;
let rtp: Socket;
let files: string;
let answered: InviteSession[] = [];
let gatewayRtp: { address: string; port: number } | undefined;

function wav(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const put = (offset: number, text: string): void => {
    for (let i = 0; i < 4; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 8000, true);
  view.setUint32(28, 16000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  samples.forEach((s, i) => view.setInt16(44 + 2 * i, s, true));
  return bytes;
}

beforeAll(async () => {
  files = mkdtempSync(join(tmpdir(), 'callbridge-media-'));
  const tone = new Int16Array(8000 * 3).map((_, i) =>
    Math.round(7000 * Math.sin((2 * Math.PI * 700 * i) / 8000)),
  );
  writeFileSync(join(files, 'welcome.wav'), wav(tone));
  ({ gateway, backend } = await startB2buaGateway([...REST_API_ARGV, '--media-files-dir', files], {
    demo: true,
  }));
  const server = gateway.demo!.sipServer;
  rtp = createSocket('udp4');
  await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
  bob = new UserAgent({
    transports: [await UdpTransport.create()],
    aor: `sip:bob@${DEMO_DOMAIN}`,
    outboundProxy: `sip:${server.host}:${server.port}`,
    credentials: { username: 'bob', password: 'bob-demo' },
    resolver: (host) => Promise.resolve(host === DEMO_DOMAIN ? '127.0.0.1' : host),
  });
  bob.on('invite', (call) => {
    const offer = call.request.bodyText;
    gatewayRtp = {
      address: /c=IN IP4 (\S+)/.exec(offer)?.[1] ?? '',
      port: Number(/m=audio (\d+)/.exec(offer)?.[1]),
    };
    const session = call.accept(phoneSdp(rtp.address().port));
    answered.push(session);
  });
  registerer = new Registerer(bob, {});
  expect((await registerer.register()).status).toBe(200);
}, 30_000);

afterAll(async () => {
  await registerer?.unregister().catch(() => undefined);
  registerer?.stop();
  await bob?.close(200);
  rtp?.close();
  await gateway?.stop();
  rmSync(files, { recursive: true, force: true });
});

function post(path: string, body: unknown): ReturnType<RestPost> {
  return restClient(gateway.url)(path, body, API_TOKEN);
}

/** The next `packets` PCMU packets arriving at bob's RTP socket, decoded (up to `timeoutMs`). */
async function receive(packets: number, timeoutMs = 10_000): Promise<{ rms: number }> {
  let sum = 0;
  let count = 0;
  let received = 0;
  let onMessage: (data: Uint8Array) => void = () => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${received} of ${packets} RTP packets arrived`)),
        timeoutMs,
      );
      onMessage = (data) => {
        const packet = RtpPacket.tryParse(data);
        if (packet?.payloadType !== 0) return;
        const pcm = new Int16Array(packet.payload.length);
        decodeG711('mu', packet.payload, pcm);
        for (const s of pcm) sum += s * s;
        count += pcm.length;
        if (++received === packets) {
          clearTimeout(timer);
          resolve();
        }
      };
      rtp.on('message', onMessage);
    });
  } finally {
    rtp.off('message', onMessage);
  }
  return { rms: count ? Math.sqrt(sum / count) : 0 };
}

async function startCall(callId: string, mediaSource: unknown): Promise<void> {
  answered = [];
  const started = await post('/call/startup', {
    callId,
    callee: 'bob',
    sipOptions: { login: 'alice', password: 'alice-demo', domain: DEMO_DOMAIN },
    mediaSource,
  });
  expect(started.status).toBe(200);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await post('/call/find', { id: callId });
    const call =
      (found.json['calls'] as { status: string }[] | undefined)?.[0] ??
      (found.json['call'] as { status: string } | undefined);
    if (call?.status === 'ESTABLISHED') return;
    if (Date.now() > deadline) throw new Error(`call ${callId}: ${JSON.stringify(found.json)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function terminate(callId: string): Promise<void> {
  expect((await post('/call/terminate', { callId })).status).toBe(200);
  const deadline = Date.now() + 5000;
  while (backend?.activeCalls !== 0) {
    if (Date.now() > deadline) throw new Error('calls left in the B2BUA');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('REST click-to-call with a server media source', () => {
  it('plays a tone to the called party', async () => {
    await startCall('rest-tone', { kind: 'tone', frequencyHz: 440 });
    expect((await receive(25)).rms).toBeGreaterThan(2000);
    // bob's answer has no telephone-event: RFC 4733 DTMF is refused with the B2BUA's reason.
    const dtmf = await post('/call/send_dtmf', { callId: 'rest-tone', digits: '1' });
    expect(dtmf.status).toBe(502);
    expect(dtmf.json['error']).toMatchObject({
      code: 'BACKEND_ERROR',
      details: { backendCode: 'DTMF_REFUSED' },
    });
    await terminate('rest-tone');
    expect(answered[0]?.state).toBe('terminated');
  }, 20_000);

  it('plays a WAV file from media.filesDir', async () => {
    await startCall('rest-file', { kind: 'file', name: 'welcome.wav', loop: false });
    expect((await receive(25)).rms).toBeGreaterThan(2000);
    await terminate('rest-file');
  }, 20_000);

  it('echoes what the called party says', async () => {
    await startCall('rest-echo', { kind: 'echo' });
    const target = gatewayRtp!;
    const received = receive(25);
    const pcm = new Int16Array(160);
    const payload = new Uint8Array(160);
    const out = new Uint8Array(172);
    for (let i = 0; i < 30; i++) {
      for (let n = 0; n < 160; n++)
        pcm[n] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (i * 160 + n)) / 8000));
      encodeG711('mu', pcm, payload);
      const length = writeRtpPacket(
        { payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 0x4242, payload },
        out,
      );
      rtp.send(out.subarray(0, length), target.port, target.address);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await received).rms).toBeGreaterThan(4000);
    await terminate('rest-echo');
  }, 20_000);

  it('rejects WAV files it cannot play with a typed error', () => {
    expect(() => parseWav(new Uint8Array([1, 2, 3]))).toThrow(
      expect.objectContaining({ code: 'MEDIA_FILE_INVALID' }),
    );
    const stereo = wav(new Int16Array(10));
    new DataView(stereo.buffer).setUint16(22, 2, true);
    expect(() => parseWav(stereo)).toThrow(
      expect.objectContaining({ code: 'MEDIA_FILE_UNSUPPORTED' }),
    );
  });
});
