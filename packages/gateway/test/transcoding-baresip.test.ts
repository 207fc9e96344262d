// Codec negotiation through the gateway with real phones: a browser that offers only Opus calling
// a G.722-only baresip forces transcoding (and audio still arrives both ways); a PCMU phone called
// by a browser that also offers PCMU stays on relay. Kamailio with digest auth in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../src/index.js';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import {
  PEERS,
  needsPeers,
  startBaresip,
  startKamailio,
  type Baresip,
  type Kamailio,
} from '@callbridge/testkit';
import { WebRtcPeer, type PeerCodec } from './support/webrtc-peer.js';
import { TestSocket } from './support/ws-client.js';
import {
  REST_API_ARGV,
  establishWithTone,
  placeCall,
  sipSideArgv,
  startB2buaGateway,
} from './support/b2bua-harness.js';

const peers = needsPeers(PEERS.kamailio, PEERS.baresip, PEERS.sox);

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(peers.skip)('transcoding and relay with baresip phones', () => {
  let kamailio: Kamailio;
  let g722Phone: Baresip;
  let pcmuPhone: Baresip;
  let gateway: RunningGateway;
  let backend: B2buaBackend | undefined;
  let socket: TestSocket;

  beforeAll(async () => {
    kamailio = await startKamailio();
    [g722Phone, pcmuPhone] = await Promise.all([
      startBaresip({ kamailioPort: kamailio.port, codecs: 'G722', user: 'phone' }),
      startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU', user: 'phone2' }),
    ]);
    const proxy = `127.0.0.1:${kamailio.port}`;
    ({ gateway, backend } = await startB2buaGateway([
      ...REST_API_ARGV,
      ...sipSideArgv(kamailio.port),
    ]));
    socket = await TestSocket.open(gateway.websocketUrl);
    await socket.request({
      type: 'session.connect',
      protocolVersion: 1,
      sipOptions: {
        login: 'gateway',
        password: 'gateway-secret',
        domain: '127.0.0.1',
        outboundProxy: proxy,
        registerRequired: false,
      },
    });
    await socket.waitFor({ type: 'session.status', status: 'ESTABLISHED' }, 10_000);
  }, 40_000);

  afterAll(async () => {
    await socket?.close();
    await gateway?.stop();
    await g722Phone?.stop();
    await pcmuPhone?.stop();
    await kamailio?.stop();
  });

  async function mediaSessions(mode: 'relay' | 'transcode'): Promise<number> {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const match = new RegExp(
      `^callbridge_media_sessions_total\\{mode="${mode}"\\} (\\d+)`,
      'm',
    ).exec(text);
    return Number(match?.[1] ?? 0);
  }

  async function call(
    callId: string,
    callee: string,
    codecs: PeerCodec[],
    phone: Baresip,
  ): Promise<{ heardRms: number; recordedRms: number; sent: number }> {
    const peer = await WebRtcPeer.create(callId, codecs);
    try {
      await placeCall(socket, peer, callId, callee);
      await establishWithTone(socket, peer, callId);
      await new Promise((r) => setTimeout(r, 500));
      const heard = await peer.receive(60);
      await socket.request({ type: 'call.hangup', callId });
      await socket.waitFor({ type: 'call.status', callId, status: 'FINISH' });
      await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
      await phone.process.waitFor(/terminated/, 5000);
      return {
        heardRms: heard.rms,
        recordedRms: phone.recording().rms,
        sent: peer.sendPayloadType,
      };
    } finally {
      peer.close();
    }
  }

  it('an Opus-only browser and a G.722-only phone: transcoded, audio both ways', async () => {
    const before = await mediaSessions('transcode');
    const result = await call('t1', 'phone', ['opus'], g722Phone);
    expect(result.sent).toBe(111);
    expect(await mediaSessions('transcode')).toBe(before + 1);
    expect(result.heardRms).toBeGreaterThan(1000);
    expect(result.recordedRms).toBeGreaterThan(300);
    expect(g722Phone.process.output()).toMatch(/Set audio decoder: G722/);
  }, 40_000);

  it('a browser offering PCMU and a PCMU phone: relayed', async () => {
    const before = await mediaSessions('relay');
    const transcodedBefore = await mediaSessions('transcode');
    const result = await call('t2', 'phone2', ['opus', 'PCMU'], pcmuPhone);
    expect(result.sent).toBe(0);
    expect(await mediaSessions('relay')).toBe(before + 1);
    expect(await mediaSessions('transcode')).toBe(transcodedBefore);
    expect(result.heardRms).toBeGreaterThan(1000);
    expect(result.recordedRms).toBeGreaterThan(300);
  }, 40_000);
});
