// Concurrent re-INVITEs through the B2BUA (RFC 3261 §14.1 glare): the browser puts the call on
// hold while the phone re-INVITEs at the same moment; 491 and the random back-off sort it out
// and both offers complete, with the hold state consistent on both legs.
import nodeDataChannel from 'node-datachannel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registerer, UdpTransport, UserAgent, type InviteSession } from '@callbridge/sip';
import type { RunningGateway } from '../src/index.js';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { DEMO_DOMAIN } from '../src/demo/index.js';
import { REST_API_ARGV, phoneSdp, startB2buaGateway } from './support/b2bua-harness.js';
import { TestSocket } from './support/ws-client.js';

const { PeerConnection, Audio } = nodeDataChannel;

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let gateway: RunningGateway;
let backend: B2buaBackend | undefined;
let bob: UserAgent;
let registerer: Registerer;
let bobSession: InviteSession | undefined;

beforeAll(async () => {
  ({ gateway, backend } = await startB2buaGateway(REST_API_ARGV, { demo: true }));
  const server = gateway.demo!.sipServer;
  bob = new UserAgent({
    transports: [await UdpTransport.create()],
    aor: `sip:bob@${DEMO_DOMAIN}`,
    outboundProxy: `sip:${server.host}:${server.port}`,
    credentials: { username: 'bob', password: 'bob-demo' },
    resolver: (host) => Promise.resolve(host === DEMO_DOMAIN ? '127.0.0.1' : host),
  });
  bob.on('invite', (call) => {
    bobSession = call.accept(phoneSdp(40000));
  });
  registerer = new Registerer(bob, {});
  expect((await registerer.register()).status).toBe(200);
}, 30_000);

afterAll(async () => {
  await registerer?.unregister().catch(() => undefined);
  registerer?.stop();
  await bob?.close(200);
  await gateway?.stop();
});

describe('re-INVITE glare through the B2BUA', () => {
  it('a browser hold and a phone re-INVITE at the same time both complete', async () => {
    const socket = await TestSocket.open(gateway.websocketUrl);
    const pc = new PeerConnection('glare', { iceServers: [], bindAddress: '127.0.0.1' });
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
      pc.addTrack(audio);
      pc.setLocalDescription();
      await until(() => pc.gatheringState() === 'complete', 'ICE gathering');
      await socket.request({
        type: 'call.create',
        callId: 'g1',
        callee: 'bob',
        audio: true,
        video: false,
        sdp: { type: 'offer', sdp: pc.localDescription()!.sdp },
      });
      const established = await socket.waitFor(
        { type: 'call.status', callId: 'g1', status: 'ESTABLISHED' },
        10_000,
      );
      pc.setRemoteDescription((established['sdp'] as { sdp: string }).sdp, 'answer');
      await until(() => bobSession?.state === 'confirmed', 'bob confirmed');

      // §14.1 back-off can take up to 4 s per round: wait longer than request()'s default.
      socket.send({ type: 'call.hold', callId: 'g1', requestId: 'hold' });
      const [hold, reinvite] = await Promise.all([
        socket.waitFor({ requestId: 'hold' }, 20_000),
        bobSession!.reinvite(phoneSdp(40000, { version: 2 })),
      ]);
      expect(hold['type']).toBe('response');
      expect(reinvite.status).toBe(200);
      await socket.waitFor({ type: 'call.status', callId: 'g1', status: 'HOLD' }, 5000);
      // Whichever went last, bob's view of the gateway's SDP is the held one.
      await until(
        () => /a=(sendonly|inactive)/.test(new TextDecoder().decode(bobSession!.remoteBody)),
        'bob sees the hold',
      );
      await socket.request({ type: 'call.hangup', callId: 'g1' });
      await socket.waitFor({ type: 'call.status', callId: 'g1', status: 'FINISH' });
      await until(() => backend?.activeCalls === 0, 'no call left');
    } finally {
      pc.close();
      await socket.close();
    }
  }, 60_000);
});
