// The B2BUA end to end against the embedded demo, with libdatachannel (node-datachannel) as the
// browser over the WebSocket protocol: register as alice, call 100 (echo), audio both ways with
// energy measured at the browser end, DTMF there and back, hold/unhold, hangup, and nothing left
// behind (calls, RTP ports, sockets, timers).
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../src/index.js';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { REST_API_ARGV, startB2buaGateway } from './support/b2bua-harness.js';
import { WebRtcPeer } from './support/webrtc-peer.js';
import { TestSocket } from './support/ws-client.js';

const RTP_PORTS = { min: 43100, max: 43119 };

let gateway: RunningGateway;
let backend: B2buaBackend | undefined;

beforeAll(async () => {
  ({ gateway, backend } = await startB2buaGateway(
    [...REST_API_ARGV, '--media-rtp-ports', `${RTP_PORTS.min}-${RTP_PORTS.max}`],
    { demo: true },
  ));
});

afterAll(async () => {
  await gateway?.stop();
});

/** Every port of the range binds again: no RTP/RTCP socket of the call is left open. */
async function rtpPortsFree(): Promise<boolean> {
  for (let port = RTP_PORTS.min; port <= RTP_PORTS.max; port++) {
    const socket = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (!ok) return false;
  }
  return true;
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

async function connect(login: string): Promise<TestSocket> {
  const socket = await TestSocket.open(gateway.websocketUrl);
  const response = await socket.request({
    type: 'session.connect',
    protocolVersion: 1,
    sipOptions: { login, password: `${login}-demo`, domain: 'demo.callbridge.local' },
  });
  expect(response['type']).toBe('response');
  await socket.waitFor({ type: 'session.status', status: 'REGISTERED' }, 5000);
  return socket;
}

async function settle(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

describe('B2BUA with a node-datachannel browser against the embedded demo', () => {
  it('calls the echo number: audio both ways, DTMF, hold/unhold, hangup, nothing leaked', async () => {
    const socket = await connect('alice');
    const peer = await WebRtcPeer.create('alice', ['opus']);
    try {
      const before = resources();
      const offer = await peer.offer();
      const created = await socket.request({
        type: 'call.create',
        callId: 'echo-1',
        callee: '100',
        audio: true,
        video: false,
        sdp: { type: 'offer', sdp: offer },
      });
      expect(created['type']).toBe('response');
      const established = await socket.waitFor(
        { type: 'call.status', callId: 'echo-1', status: 'ESTABLISHED' },
        10_000,
      );
      const answer = (established['sdp'] ?? socket.messages.find((m) => m['sdp'])?.['sdp']) as
        { sdp: string } | undefined;
      expect(answer?.sdp).toMatch(/a=rtpmap:111 opus\/48000/);
      peer.setAnswer(answer!.sdp);
      await peer.connected();
      expect(backend?.activeCalls).toBe(1);

      // Silence first: what comes back is quiet. Then a tone: its echo comes back loud.
      peer.startTone(440, 0);
      const quiet = await peer.listen(600);
      peer.startTone(440, 8000);
      await new Promise((r) => setTimeout(r, 300));
      const loud = await peer.receive(40);
      expect(loud.rms).toBeGreaterThan(1000);
      expect(loud.rms).toBeGreaterThan(10 * Math.max(quiet.rms, 10));

      // DTMF goes to the echo phone as RFC 4733 events; their echo comes back as call.dtmf.
      const dtmf = await socket.request({
        type: 'call.dtmf',
        callId: 'echo-1',
        digits: '5#',
        dtmfType: 'RFC2833',
      });
      expect(dtmf['type']).toBe('response');
      const first = await socket.waitFor(
        { type: 'call.dtmf', callId: 'echo-1', digits: '5' },
        5000,
      );
      expect(first['dtmfType']).toBe('RFC2833');
      await socket.waitFor({ type: 'call.dtmf', callId: 'echo-1', digits: '#' }, 5000);

      // Hold: the phone gets sendonly, so the echo stops; unhold brings it back.
      expect((await socket.request({ type: 'call.hold', callId: 'echo-1' }))['type']).toBe(
        'response',
      );
      await socket.waitFor({ type: 'call.status', callId: 'echo-1', status: 'HOLD' });
      await new Promise((r) => setTimeout(r, 300));
      const held = await peer.listen(800);
      expect(held.rms).toBeLessThan(loud.rms / 10);
      expect((await socket.request({ type: 'call.unhold', callId: 'echo-1' }))['type']).toBe(
        'response',
      );
      await socket.waitFor(
        (m) =>
          m['type'] === 'call.status' &&
          m['status'] === 'ESTABLISHED' &&
          socket.messages.indexOf(m) > socket.messages.findIndex((x) => x['status'] === 'HOLD'),
      );
      await new Promise((r) => setTimeout(r, 300));
      const resumed = await peer.listen(800);
      expect(resumed.rms).toBeGreaterThan(1000);

      expect((await socket.request({ type: 'call.hangup', callId: 'echo-1' }))['type']).toBe(
        'response',
      );
      await socket.waitFor({ type: 'call.status', callId: 'echo-1', status: 'FINISH' });
      peer.stopTone();

      expect(await settle(() => backend?.activeCalls === 0)).toBe(true);
      // The call's packets are in /metrics: both legs, both directions.
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      for (const leg of ['browser', 'sip']) {
        for (const direction of ['in', 'out']) {
          const match = new RegExp(
            `^callbridge_rtp_packets_total\\{leg="${leg}",direction="${direction}"\\} (\\d+)`,
            'm',
          ).exec(metrics);
          expect(Number(match?.[1])).toBeGreaterThan(50);
        }
      }
      expect(await settle(rtpPortsFree)).toBe(true);
      // No socket or timer of the call stays behind.
      const udpBefore = before['UDPWrap'] ?? 0;
      expect(await settle(() => (resources()['UDPWrap'] ?? 0) <= udpBefore)).toBe(true);
      const timersBefore = before['Timeout'] ?? 0;
      expect(await settle(() => (resources()['Timeout'] ?? 0) <= timersBefore + 1, 8000)).toBe(
        true,
      );
    } finally {
      peer.close();
      await socket.close();
    }
  }, 40_000);

  it('takes a browser re-offer after set-up: re-INVITE to the SIP side, answer back, media keeps flowing', async () => {
    const socket = await connect('alice');
    const peer = await WebRtcPeer.create('renegotiate', ['opus']);
    try {
      const offer = await peer.offer();
      await socket.request({
        type: 'call.create',
        callId: 'reneg-1',
        callee: '100',
        audio: true,
        video: false,
        sdp: { type: 'offer', sdp: offer },
      });
      const established = await socket.waitFor(
        { type: 'call.status', callId: 'reneg-1', status: 'ESTABLISHED' },
        10_000,
      );
      peer.setAnswer((established['sdp'] as { sdp: string }).sdp);
      await peer.connected();
      peer.startTone(440, 8000);
      const answers = (): Record<string, unknown>[] =>
        socket.messages.filter(
          (m) => m['callId'] === 'reneg-1' && (m['sdp'] as { type?: string } | undefined)?.type,
        );
      const before = answers().length;
      // The same offer again with a new session version: a renegotiation with nothing changed.
      const again = offer.replace(
        /^(o=\S+ \S+ )(\d+)/m,
        (_, head: string, v: string) => `${head}${Number(v) + 1}`,
      );
      const response = await socket.request({
        type: 'call.sdp',
        callId: 'reneg-1',
        sdp: { type: 'offer', sdp: again },
      });
      expect(response['type']).toBe('response');
      expect(await settle(() => answers().length > before)).toBe(true);
      const answer = answers().at(-1)?.['sdp'] as { type: string; sdp: string };
      expect(answer.type).toBe('answer');
      expect(answer.sdp).toMatch(/a=rtpmap:111 opus/);
      await new Promise((r) => setTimeout(r, 300));
      expect((await peer.receive(30)).rms).toBeGreaterThan(1000);
      await socket.request({ type: 'call.hangup', callId: 'reneg-1' });
      await socket.waitFor({ type: 'call.status', callId: 'reneg-1', status: 'FINISH' });
      expect(await settle(() => backend?.activeCalls === 0)).toBe(true);
    } finally {
      peer.close();
      await socket.close();
    }
  }, 30_000);
});
