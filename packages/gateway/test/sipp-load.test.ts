// Smoke test of the load harness behind `npm run bench -- gateway` (bench/lib/gateway-load.mjs):
// a few emulated browsers (this project's ICE, DTLS and SRTP) call a SIPp phone through the
// gateway's SIP side, media is echoed by SIPp and checked at the browser end, and afterwards
// neither the gateway nor SIPp holds a call, and no UDP socket is left open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEERS, needsPeers } from '@callbridge/testkit';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import {
  answerIncomingCalls,
  establishMediaCalls,
  gatewayArgs,
  openSession,
  setupRate,
  startRegistrar,
  startSippCaller,
  startSippPhone,
  type LoadSession,
  type SippPhone,
} from '../../../bench/lib/gateway-load.mjs';
import { startB2bua, type B2buaHarness } from './support/b2bua-harness.js';

const peers = needsPeers(PEERS.sipp);

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The jitter histogram's observation count, those of at most 5 ms, and their sum. */
function jitterHistogram(metrics: string): { count: number; atMost5: number; sum: number } {
  const value = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1] ?? NaN);
  return {
    count: value(/^callbridge_jitter_ms_count (\S+)$/m),
    atMost5: value(/^callbridge_jitter_ms_bucket\{le="5"\} (\S+)$/m),
    sum: value(/^callbridge_jitter_ms_sum (\S+)$/m),
  };
}

const udpSockets = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'UDPSocketWrap' || r === 'UDPWrap').length;

describe.skipIf(peers.skip)('load harness: emulated browsers through the gateway to SIPp', () => {
  let phone: SippPhone;
  let harness: B2buaHarness | undefined;
  let backend: B2buaBackend;
  let gatewayUrl: string;
  let sessions: LoadSession[] = [];

  beforeAll(async () => {
    phone = await startSippPhone({ codec: 'PCMU' });
    harness = await startB2bua({
      argv: gatewayArgs(phone),
      sipOptions: {
        login: 'idle',
        password: 'unused',
        domain: '127.0.0.1',
        registerRequired: false,
      },
    });
    backend = harness.backend;
    gatewayUrl = harness.gateway.url;
    const url = harness.gateway.websocketUrl;
    sessions = await Promise.all(['load0', 'load1'].map((l) => openSession(url, l)));
  }, 30_000);

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await harness?.stop();
    await phone?.stop();
  });

  it('sets calls up and tears them down, with no call or socket left', async () => {
    const sockets = udpSockets();
    const rate = await setupRate({ sessions, callee: 'phone', calls: 6, concurrency: 3 });
    expect(rate).toBeGreaterThan(0);
    await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    await until(() => phone.successfulCalls() === 6, 'SIPp to count six completed calls');
    expect(phone.failedCalls()).toBe(0);
    expect(udpSockets()).toBe(sockets);
  }, 30_000);

  it('carries media both ways on concurrent calls: our SRTP comes back echoed', async () => {
    const sockets = udpSockets();
    const completedBefore = phone.successfulCalls();
    const media = await establishMediaCalls({
      sessions,
      callee: 'phone',
      calls: 4,
      verifyEvery: 1,
    });
    expect(backend.activeCalls).toBe(4);
    await until(() => media.totals().callsWithEcho === 4, 'echoed media on every call');
    await new Promise((r) => setTimeout(r, 500));
    const totals = media.totals();
    // Echoed packets are the ones that decrypted to our own ramp payload.
    expect(totals.echoed).toBeGreaterThan(0);
    expect(totals.echoed).toBeLessThanOrEqual(totals.received);
    expect(totals.received).toBeLessThanOrEqual(totals.sent);
    await media.hangupAll();
    await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    // SIPp writes its statistics once a second: wait for the line that counts these calls.
    await until(() => phone.successfulCalls() === completedBefore + 4, 'SIPp to count them');
    await until(() => phone.openCalls() === 0, 'SIPp to hold no call');
    expect(phone.failedCalls()).toBe(0);
    expect(udpSockets()).toBe(sockets);
    const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text();
    expect(metrics).toMatch(/^callbridge_media_sessions_total\{mode="relay"\} 10$/m);
  }, 30_000);

  it("feeds the jitter histogram from each leg's RTP reception (RFC 3550 A.8)", async () => {
    const before = jitterHistogram(await (await fetch(`${gatewayUrl}/metrics`)).text());
    // Every other RTP timestamp 10 ms late: the transit time swings by 10 ms each packet, on
    // the browser leg and, relayed and echoed by SIPp, on the SIP leg too.
    const media = await establishMediaCalls({
      sessions,
      callee: 'phone',
      calls: 2,
      verifyEvery: 1,
      timestampSkewMs: 10,
      prefix: 'j',
    });
    await until(() => media.totals().callsWithEcho === 2, 'echoed media on both calls');
    await new Promise((r) => setTimeout(r, 1000));
    await media.hangupAll();
    await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    const after = jitterHistogram(await (await fetch(`${gatewayUrl}/metrics`)).text());
    // One observation per leg per call, each above the 5 ms bucket: network noise on loopback
    // only adds to the 10 ms the timestamps swing by.
    expect(after.count - before.count).toBe(4);
    expect(after.atMost5 - before.atMost5).toBe(0);
    expect(after.sum - before.sum).toBeGreaterThan(4 * 5);
  }, 30_000);

  it('answers calls SIPp places to registered browser sessions, media echoed both ways', async () => {
    const sockets = udpSockets();
    const registrar = await startRegistrar();
    const callees = ['in0', 'in1'];
    const browsers = await Promise.all(
      callees.map((login) =>
        openSession(harness!.gateway.websocketUrl, login, {
          outboundProxy: registrar.address,
          register: true,
        }),
      ),
    );
    const answering = answerIncomingCalls(browsers);
    const caller = await startSippCaller({ registrar, callees, calls: 4, rate: 4, holdMs: 1500 });
    try {
      // SIPp exits 0 only when every call got its 200, was ACKed, held and ended by its BYE.
      expect(await caller.finished).toEqual({ code: 0, successful: 4, failed: 0 });
      await until(() => answering.tally.finished === 4, 'four calls to finish at the browser');
      expect(answering.tally).toMatchObject({ answered: 4, connected: 4, failed: 0 });
      // Our SRTP went to SIPp as RTP and came back: the browser side decrypted its own ramp.
      expect(answering.tally.echoed).toBeGreaterThan(0);
      await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      answering.stop();
      await caller.stop();
      await Promise.all(browsers.map((b) => b.close()));
      await registrar.close();
    }
    // The accounts' SIP transports close once they have unregistered.
    await until(() => udpSockets() === sockets, 'the sockets of the two accounts to close');
  }, 40_000);
});
