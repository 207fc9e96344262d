// The REST API driving calls against real peers on 127.0.0.1: Kamailio with digest authentication
// as the SIP server, two baresip phones. Click-to-call with a server-side tone: the phone records
// it; DTMF, hold/unhold, find/find_all, a blind transfer the phone follows, and hangups from
// either side, all controlled and observed over HTTP only.
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
import { REST_API_ARGV, sipSideArgv, startB2buaGateway } from './support/b2bua-harness.js';
import { restClient, type RestPost } from './support/gateway-harness.js';
import { until } from './support/webrtc-peer.js';

const peers = needsPeers(PEERS.kamailio, PEERS.baresip, PEERS.sox);

interface CallInfo {
  readonly id: string;
  readonly status: string;
  readonly callee: string;
}

describe.skipIf(peers.skip)('REST API with Kamailio (digest auth) and baresip phones', () => {
  let kamailio: Kamailio;
  let phone: Baresip;
  let phone2: Baresip;
  let gateway: RunningGateway;
  let backend: B2buaBackend | undefined;
  let proxy: string;
  let post: RestPost;

  beforeAll(async () => {
    kamailio = await startKamailio();
    proxy = `127.0.0.1:${kamailio.port}`;
    [phone, phone2] = await Promise.all([
      startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU', user: 'phone' }),
      startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU', user: 'phone2' }),
    ]);
    ({ gateway, backend } = await startB2buaGateway([
      ...REST_API_ARGV,
      ...sipSideArgv(kamailio.port),
    ]));
    post = restClient(gateway.url);
  }, 40_000);

  afterAll(async () => {
    await gateway?.stop();
    await phone?.stop();
    await phone2?.stop();
    await kamailio?.stop();
  });

  async function find(query: Record<string, string>): Promise<CallInfo[]> {
    const found = await post('/call/find', query);
    expect(found.status).toBe(200);
    return found.json['calls'] as CallInfo[];
  }

  /** Polls /call/find until the call reaches `status`. */
  async function reaches(callId: string, status: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [call] = await find({ id: callId });
      if (call?.status === status) return;
      if (Date.now() > deadline) {
        throw new Error(`call ${callId} is ${call?.status ?? 'gone'}, not ${status}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Click-to-call to the phone with server-side media (a 440 Hz tone unless told). */
  async function startServerCall(
    callId: string,
    mediaSource: Record<string, unknown> = { kind: 'tone', frequencyHz: 440 },
  ): Promise<void> {
    const started = await post('/call/startup', {
      callId,
      callee: 'phone',
      sipOptions: {
        login: 'gateway',
        password: 'gateway-secret',
        domain: '127.0.0.1',
        outboundProxy: proxy,
        registerRequired: false,
      },
      mediaSource,
    });
    expect(started.status).toBe(200);
    expect((started.json['call'] as CallInfo).id).toBe(callId);
    await reaches(callId, 'ESTABLISHED');
  }

  it('click-to-call: tone heard by the phone, DTMF, hold/unhold, find, hangup over REST', async () => {
    await startServerCall('rest-k1');
    // The INVITE went through Kamailio's 407 challenge with the account's credentials.
    expect(kamailio.process.output()).toMatch(/CHALLENGE 407 INVITE from=gateway\n/);

    const mark = phone.recordingMark();
    await until(() => phone.recordingSince(mark).samples > 8000, 'a second of audio at the phone');
    expect(phone.recordingSince(mark).rms).toBeGreaterThan(300);

    expect((await post('/call/send_dtmf', { callId: 'rest-k1', digits: '5' })).status).toBe(200);
    await phone.process.waitFor(/received event: '5' \(end=1\)/, 5000);
    expect(
      (await post('/call/send_dtmf', { callId: 'rest-k1', digits: '8', dtmfType: 'INFO' })).status,
    ).toBe(200);
    await kamailio.process.waitFor(/REQUEST INFO [^\n]*to=phone/, 5000);

    const sdpsBefore = kamailio.sdps().length;
    expect((await post('/call/hold', { callId: 'rest-k1' })).status).toBe(200);
    await reaches('rest-k1', 'HOLD');
    const held = kamailio.sdps().slice(sdpsBefore);
    expect(held.some((s) => s.kind === 'REQUEST' && /a=sendonly/.test(s.body))).toBe(true);
    expect(held.some((s) => s.kind === 'REPLY' && /a=recvonly/.test(s.body))).toBe(true);
    expect((await post('/call/unhold', { callId: 'rest-k1' })).status).toBe(200);
    await reaches('rest-k1', 'ESTABLISHED');
    expect(kamailio.sdps().at(-1)?.body).not.toMatch(/a=(sendonly|recvonly|inactive)/);

    expect((await find({ callee: 'phone', status: 'ESTABLISHED' })).map((c) => c.id)).toContain(
      'rest-k1',
    );
    const all = await post('/call/find_all', {});
    expect((all.json['calls'] as CallInfo[]).map((c) => c.id)).toContain('rest-k1');
    // A second call with the same id is refused while the first is alive.
    const duplicate = await post('/call/startup', {
      callId: 'rest-k1',
      callee: 'phone',
      sipOptions: { login: 'gateway', password: 'gateway-secret', domain: '127.0.0.1' },
      mediaSource: { kind: 'echo' },
    });
    expect(duplicate.status).toBe(409);

    expect((await post('/call/terminate', { callId: 'rest-k1' })).status).toBe(200);
    await phone.process.waitFor(/terminated|closed/i, 5000);
    await reaches('rest-k1', 'FINISH');
    await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
  }, 60_000);

  it('an echo call refuses RFC 4733 DTMF (it has no stream of its own) and sends INFO', async () => {
    await startServerCall('rest-echo', { kind: 'echo' });
    const refused = await post('/call/send_dtmf', { callId: 'rest-echo', digits: '4' });
    expect(refused.status).toBe(502);
    expect(refused.json['error']).toMatchObject({
      code: 'BACKEND_ERROR',
      details: { backendCode: 'DTMF_REFUSED' },
    });
    // The call is unharmed: INFO still goes through, and it ends normally.
    expect(
      (await post('/call/send_dtmf', { callId: 'rest-echo', digits: '4', dtmfType: 'INFO' }))
        .status,
    ).toBe(200);
    await reaches('rest-echo', 'ESTABLISHED');
    expect((await post('/call/terminate', { callId: 'rest-echo' })).status).toBe(200);
    await reaches('rest-echo', 'FINISH');
    await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
  }, 30_000);

  it('the phone hangs up: /call/find reports FINISH', async () => {
    await startServerCall('rest-k2');
    await phone.command('/hangup');
    await reaches('rest-k2', 'FINISH', 10_000);
    await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
  }, 30_000);

  it('blind transfer: the phone follows the REFER and calls phone2; the gateway’s call ends', async () => {
    await startServerCall('rest-k3');
    const transferred = await post('/call/transfer', {
      callId: 'rest-k3',
      target: 'sip:phone2@127.0.0.1',
    });
    expect(transferred.status).toBe(200);
    await kamailio.process.waitFor(/REQUEST REFER [^\n]*from=gateway to=phone/, 5000);
    await phone2.process.waitFor(/Call established/, 15_000);
    // The transferee reported success (NOTIFY sipfrag 200): the gateway ended its call.
    await reaches('rest-k3', 'FINISH', 15_000);
    await until(() => backend?.activeCalls === 0, 'no call left in the B2BUA');
    await phone2.command('/hangup');
  }, 60_000);
});
