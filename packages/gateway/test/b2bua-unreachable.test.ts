// An account whose SIP server is down: the session reports SIP_SERVER_UNREACHABLE, a call fails
// with that reason at once (not after a timeout), and registration is retried until Kamailio
// comes up on that address, after which the session is REGISTERED without the browser doing
// anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEERS, freePort, needsPeers, startKamailio, type Kamailio } from '@callbridge/testkit';
import { sipSideArgv, startB2bua, type B2buaHarness } from './support/b2bua-harness.js';

describe.skipIf(needsPeers(PEERS.kamailio).skip)('SIP server unreachable', () => {
  let harness: B2buaHarness | undefined;
  let kamailio: Kamailio | undefined;
  let port: number;

  beforeAll(async () => {
    // Nothing listens here yet: TCP connections are refused, so every request fails at once.
    port = await freePort('tcp');
    harness = await startB2bua({
      argv: sipSideArgv(port, 'TCP'),
      sipOptions: { login: 'gateway', password: 'gateway-secret', domain: '127.0.0.1' },
    });
  }, 20_000);

  afterAll(async () => {
    await harness?.stop();
    await kamailio?.stop();
  });

  it('reports the server unreachable, fails calls with that reason, and registers once it is up', async () => {
    const { socket } = harness!;
    const unregistered = await socket.waitFor(
      { type: 'session.status', status: 'UNREGISTERED' },
      10_000,
    );
    expect(unregistered['failure']).toMatchObject({ reason: 'SIP_SERVER_UNREACHABLE' });

    await socket.request({
      type: 'call.create',
      callId: 'down',
      callee: 'phone',
      audio: true,
      video: false,
      sdp: {
        type: 'offer',
        // No browser needed: the INVITE never leaves, so the offer only has to be valid.
        sdp: [
          'v=0',
          'o=- 1 1 IN IP4 127.0.0.1',
          's=-',
          't=0 0',
          'a=group:BUNDLE 0',
          'm=audio 9 UDP/TLS/RTP/SAVPF 0',
          'c=IN IP4 127.0.0.1',
          'a=mid:0',
          'a=rtcp-mux',
          'a=ice-ufrag:abcd',
          'a=ice-pwd:abcdefghijklmnopqrstuvwx',
          'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'),
          'a=setup:actpass',
          'a=sendrecv',
          'a=rtpmap:0 PCMU/8000',
          'a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host',
          '',
        ].join('\r\n'),
      },
    });
    const failed = await socket.waitFor({ type: 'call.status', callId: 'down', status: 'FAILED' });
    expect(failed['failure']).toMatchObject({ reason: 'SIP_SERVER_UNREACHABLE', sipStatus: 503 });

    // The registrar comes up where the account points; the retry (5 s back-off) finds it.
    kamailio = await startKamailio({ port });
    await socket.waitFor({ type: 'session.status', status: 'REGISTERED' }, 20_000);
    expect(kamailio.process.output()).toMatch(/AUTHORIZED REGISTER to=gateway as=gateway\n/);
  }, 40_000);
});
