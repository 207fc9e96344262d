// The gateway against real peers on 127.0.0.1: Kamailio as registrar and Record-Routing proxy with
// digest authentication (401 on REGISTER, 407 on INVITE), baresip as the phone, and libdatachannel
// (node-datachannel) as the browser over the WebSocket protocol.
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
import {
  REST_API_ARGV,
  sipSideArgv,
  startB2bua,
  startB2buaGateway,
  type B2buaHarness,
} from './support/b2bua-harness.js';
import { WebRtcPeer } from './support/webrtc-peer.js';
import { TestSocket } from './support/ws-client.js';

const peers = needsPeers(PEERS.kamailio, PEERS.baresip, PEERS.sox);

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(peers.skip)('gateway with Kamailio (digest auth) and baresip', () => {
  let kamailio: Kamailio;
  let baresip: Baresip;
  let gateway: RunningGateway;
  let backend: B2buaBackend | undefined;
  let socket: TestSocket;
  let domain: string;
  let proxy: string;

  beforeAll(async () => {
    kamailio = await startKamailio();
    domain = '127.0.0.1';
    proxy = `127.0.0.1:${kamailio.port}`;
    baresip = await startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU,PCMA' });
    ({ gateway, backend } = await startB2buaGateway([
      ...REST_API_ARGV,
      ...sipSideArgv(kamailio.port),
    ]));
    socket = await TestSocket.open(gateway.websocketUrl);
    const connected = await socket.request({
      type: 'session.connect',
      protocolVersion: 1,
      sipOptions: { login: 'gateway', password: 'gateway-secret', domain, outboundProxy: proxy },
    });
    expect(connected['type']).toBe('response');
    await socket.waitFor({ type: 'session.status', status: 'REGISTERED' }, 10_000);
  }, 40_000);

  afterAll(async () => {
    await socket?.close();
    await gateway?.stop();
    await baresip?.stop();
    await kamailio?.stop();
  });

  /** Places a call from the browser to baresip and waits until media flows. */
  async function callPhone(callId: string): Promise<WebRtcPeer> {
    const peer = await WebRtcPeer.create(callId, ['opus', 'PCMU']);
    const response = await socket.request({
      type: 'call.create',
      callId,
      callee: 'phone',
      audio: true,
      video: false,
      sdp: { type: 'offer', sdp: await peer.offer() },
    });
    expect(response['type']).toBe('response');
    const established = await socket.waitFor(
      { type: 'call.status', callId, status: 'ESTABLISHED' },
      15_000,
    );
    const answer = (established['sdp'] ??
      socket.messages.find((m) => m['callId'] === callId && m['sdp'])?.['sdp']) as {
      sdp: string;
    };
    peer.setAnswer(answer.sdp);
    await peer.connected();
    return peer;
  }

  it('registers with digest auth, calls baresip through the 407 and Record-Route: audio both ways, DTMF, hold/unhold, hangup from the browser', async () => {
    expect(kamailio.process.output()).toMatch(/CHALLENGE 401 REGISTER to=gateway\n/);
    const peer = await callPhone('k1');
    try {
      // baresip plays a 1 kHz tone: the browser hears it.
      await new Promise((r) => setTimeout(r, 500));
      expect((await peer.receive(40)).rms).toBeGreaterThan(1000);
      // The browser sends a tone: baresip records it.
      const before = baresip.recording().samples;
      peer.startTone(440, 8000);
      await new Promise((r) => setTimeout(r, 1500));
      // DTMF as RFC 4733 events reaches baresip.
      const dtmf = await socket.request({
        type: 'call.dtmf',
        callId: 'k1',
        digits: '7',
        dtmfType: 'RFC2833',
      });
      expect(dtmf['type']).toBe('response');
      await baresip.process.waitFor(/received event: '7' \(end=1\)/, 5000);

      // Hold: our re-INVITE says sendonly, baresip answers recvonly; unhold back to sendrecv.
      expect((await socket.request({ type: 'call.hold', callId: 'k1' }))['type']).toBe('response');
      await socket.waitFor({ type: 'call.status', callId: 'k1', status: 'HOLD' });
      const held = kamailio.sdps();
      expect(held.some((s) => s.kind === 'REQUEST' && /a=sendonly/.test(s.body))).toBe(true);
      expect(held.some((s) => s.kind === 'REPLY' && /a=recvonly/.test(s.body))).toBe(true);
      expect((await socket.request({ type: 'call.unhold', callId: 'k1' }))['type']).toBe(
        'response',
      );
      await until(
        () =>
          socket.messages.filter((m) => m['callId'] === 'k1' && m['status'] === 'ESTABLISHED')
            .length >= 2,
        'ESTABLISHED after unhold',
      );
      const last = kamailio.sdps().at(-1);
      expect(last?.kind).toBe('REPLY');
      expect(last?.body).toMatch(/a=sendrecv|^(?![\s\S]*a=(sendonly|recvonly|inactive))/);

      expect((await socket.request({ type: 'call.hangup', callId: 'k1' }))['type']).toBe(
        'response',
      );
      await socket.waitFor({ type: 'call.status', callId: 'k1', status: 'FINISH' });
      await baresip.process.waitFor(/terminated|closed/i, 5000);
      peer.stopTone();
      const recorded = baresip.recording();
      expect(recorded.samples - before).toBeGreaterThan(8000);
      expect(recorded.rms).toBeGreaterThan(300);
      await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      peer.close();
    }
  }, 60_000);

  it('baresip hangs up: the browser sees FINISH', async () => {
    const peer = await callPhone('k2');
    try {
      await baresip.command('/hangup');
      await socket.waitFor({ type: 'call.status', callId: 'k2', status: 'FINISH' }, 10_000);
      await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      peer.close();
    }
  }, 30_000);

  it('an incoming call from baresip reaches the browser session and is answered', async () => {
    const peer = await WebRtcPeer.create('incoming', ['opus', 'PCMU']);
    try {
      await baresip.command(`/dial sip:gateway@${proxy}`);
      const incoming = await socket.waitFor({ type: 'call.incoming' }, 15_000);
      const callId = incoming['callId'] as string;
      expect(incoming['caller']).toBe('phone');
      const offer = incoming['sdp'] as { sdp: string };
      const answer = await peer.answer(offer.sdp);
      const answered = await socket.request({
        type: 'call.answer',
        callId,
        sdp: { type: 'answer', sdp: answer },
      });
      expect(answered['type']).toBe('response');
      await socket.waitFor({ type: 'call.status', callId, status: 'ESTABLISHED' }, 10_000);
      await peer.connected();
      await new Promise((r) => setTimeout(r, 500));
      expect((await peer.receive(40)).rms).toBeGreaterThan(1000);
      await baresip.command('/hangup');
      await socket.waitFor({ type: 'call.status', callId, status: 'FINISH' }, 10_000);
      await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      peer.close();
    }
  }, 40_000);
});

describe.skipIf(peers.skip)('gateway over SIP/TCP with Kamailio and baresip', () => {
  let kamailio: Kamailio;
  let baresip: Baresip;
  let b2bua: B2buaHarness | undefined;
  let socket: TestSocket;

  beforeAll(async () => {
    kamailio = await startKamailio();
    baresip = await startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU' });
    ({ socket } = b2bua = await startB2bua({
      argv: [...REST_API_ARGV, ...sipSideArgv(kamailio.port, 'TCP')],
      sipOptions: { login: 'gateway', password: 'gateway-secret', domain: '127.0.0.1' },
      ready: 'REGISTERED',
    }));
  }, 40_000);

  afterAll(async () => {
    await b2bua?.stop();
    await baresip?.stop();
    await kamailio?.stop();
  });

  it('registers and calls baresip over TCP: audio arrives, hangup', async () => {
    expect(kamailio.process.output()).toMatch(/REQUEST REGISTER [^\n]*from=gateway[^\n]*proto=tcp/);
    const peer = await WebRtcPeer.create('tcp', ['PCMU']);
    try {
      await socket.request({
        type: 'call.create',
        callId: 'tcp1',
        callee: 'phone',
        audio: true,
        video: false,
        sdp: { type: 'offer', sdp: await peer.offer() },
      });
      const established = await socket.waitFor(
        { type: 'call.status', callId: 'tcp1', status: 'ESTABLISHED' },
        15_000,
      );
      peer.setAnswer((established['sdp'] as { sdp: string }).sdp);
      await peer.connected();
      await new Promise((r) => setTimeout(r, 500));
      expect((await peer.receive(40)).rms).toBeGreaterThan(1000);
      await socket.request({ type: 'call.hangup', callId: 'tcp1' });
      await socket.waitFor({ type: 'call.status', callId: 'tcp1', status: 'FINISH' });
      await baresip.process.waitFor(/terminated/, 5000);
    } finally {
      peer.close();
    }
  }, 40_000);
});

// phone is the transferor of the first test (REFER from baresip) and the transferee of the
// second (attended transfer from the browser); phone2 is the transfer target of both.
describe.skipIf(peers.skip)('transfers with two baresip phones', () => {
  let kamailio: Kamailio;
  let transferor: Baresip;
  let target: Baresip;
  let b2bua: B2buaHarness | undefined;
  let backend: B2buaBackend | undefined;
  let socket: TestSocket;

  beforeAll(async () => {
    kamailio = await startKamailio();
    [transferor, target] = await Promise.all([
      startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU', user: 'phone' }),
      startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU', user: 'phone2' }),
    ]);
    ({ backend, socket } = b2bua = await startB2bua({
      argv: [...REST_API_ARGV, ...sipSideArgv(kamailio.port)],
      sipOptions: { login: 'gateway', password: 'gateway-secret', domain: '127.0.0.1' },
      ready: 'REGISTERED',
    }));
  }, 40_000);

  afterAll(async () => {
    await b2bua?.stop();
    await transferor?.stop();
    await target?.stop();
    await kamailio?.stop();
  });

  it('follows the REFER: calls the target with the same browser leg, NOTIFYs 200, audio flows', async () => {
    const peer = await WebRtcPeer.create('refer', ['PCMU']);
    try {
      await socket.request({
        type: 'call.create',
        callId: 'r1',
        callee: 'phone',
        audio: true,
        video: false,
        sdp: { type: 'offer', sdp: await peer.offer() },
      });
      const established = await socket.waitFor(
        { type: 'call.status', callId: 'r1', status: 'ESTABLISHED' },
        15_000,
      );
      peer.setAnswer((established['sdp'] as { sdp: string }).sdp);
      await peer.connected();
      peer.startTone(440, 8000);
      await transferor.command(`/transfer sip:phone2@127.0.0.1`);
      await target.process.waitFor(/Call established/, 15_000);
      // Kamailio saw our NOTIFYs (100 then 200) and the transferor's BYE (RFC 5589 §6.1).
      await kamailio.process.waitFor(/REQUEST REFER [^\n]*from=phone to=gateway/, 5000);
      await kamailio.process.waitFor(/REQUEST BYE [^\n]*from=phone to=gateway/, 10_000);
      expect(
        kamailio.process.output().match(/REQUEST NOTIFY [^\n]*from=gateway to=phone /g)?.length,
      ).toBe(2);
      await new Promise((r) => setTimeout(r, 1000));
      // The browser hears the target's tone and the target records the browser's.
      expect((await peer.receive(40)).rms).toBeGreaterThan(1000);
      expect(backend?.activeCalls).toBe(1);
      await socket.request({ type: 'call.hangup', callId: 'r1' });
      await socket.waitFor({ type: 'call.status', callId: 'r1', status: 'FINISH' });
      await target.process.waitFor(/terminated/, 5000);
      expect(target.recording().rms).toBeGreaterThan(300);
    } finally {
      peer.close();
    }
  }, 60_000);

  async function browserCalls(callId: string, callee: string): Promise<WebRtcPeer> {
    const peer = await WebRtcPeer.create(callId, ['PCMU']);
    await socket.request({
      type: 'call.create',
      callId,
      callee,
      audio: true,
      video: false,
      sdp: { type: 'offer', sdp: await peer.offer() },
    });
    const established = await socket.waitFor(
      { type: 'call.status', callId, status: 'ESTABLISHED' },
      15_000,
    );
    peer.setAnswer((established['sdp'] as { sdp: string }).sdp);
    await peer.connected();
    return peer;
  }

  it('REFERs phone to phone2 with Replaces naming the browser’s dialog with phone2; both browser calls end', async () => {
    const first = await browserCalls('t1', 'phone');
    const second = await browserCalls('t2', 'phone2');
    try {
      await socket.request({ type: 'call.hold', callId: 't1' });
      await socket.waitFor({ type: 'call.status', callId: 't1', status: 'HOLD' });
      const response = await socket.request({
        type: 'call.transfer',
        callId: 't1',
        replacesCallId: 't2',
      });
      expect(response['type']).toBe('response');
      // The REFER went to phone, its Refer-To naming phone2 and the Call-ID of the t2 dialog.
      const referred = /transferring call [^\n]*Replaces=[^\n]*/;
      await transferor.process.waitFor(referred, 10_000);
      const refer = referred.exec(transferor.process.output())?.[0];
      expect(refer).toMatch(/sip:phone2@127\.0\.0\.1\?Replaces=/);
      // The Call-ID of the browser's latest INVITE to phone2 (the one for t2).
      const t2 = [
        ...kamailio.process
          .output()
          .matchAll(/SDP-REQUEST INVITE from=gateway to=phone2 ci=(\S+)/g),
      ].at(-1)?.[1];
      expect(t2).toBeDefined();
      expect(refer).toContain(`Replaces=${t2}`);
      // phone calls phone2. baresip 1.0 has no RFC 3891: it puts the Refer-To's header part,
      // mangled, into the Request-URI instead of a Replaces header, and phone2 takes the INVITE
      // as a new call; the t2 dialog is then ended by the gateway after its grace period.
      await kamailio.process.waitFor(/REQUEST INVITE [^\n]*from=phone to=phone2/, 10_000);
      const done = await socket.waitFor(
        (m) => m['type'] === 'call.transfer_status' && m['callId'] === 't1' && m['final'] === true,
        15_000,
      );
      expect(done['sipStatus']).toBe(200);
      await socket.waitFor({ type: 'call.status', callId: 't1', status: 'FINISH' }, 5000);
      await socket.waitFor({ type: 'call.status', callId: 't2', status: 'FINISH' }, 10_000);
      await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
      // phone and phone2 now talk to each other: phone2 records phone's tone.
      const before = target.recording().samples;
      await new Promise((r) => setTimeout(r, 1500));
      const after = target.recording();
      expect(after.samples).toBeGreaterThan(before);
      expect(after.rms).toBeGreaterThan(300);
    } finally {
      first.close();
      second.close();
      await transferor.command('/hangup');
    }
  }, 60_000);
});
