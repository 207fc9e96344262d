// The gateway's SIP side over TLS and over WebSocket (RFC 7118), plain (ws) and secure (wss, on
// Kamailio's TLS listener), against Kamailio (tls and websocket modules) with digest
// authentication, baresip on UDP behind it. For each transport a browser session's account
// registers through Kamailio, calls baresip (Kamailio Record-Routes with two addresses, one per
// transport), audio flows both ways, and the browser hangs up; then baresip calls the browser,
// which reaches the gateway over its own connection (Kamailio's connection alias), and hangs up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PEERS,
  needsPeers,
  selfSignedCertificate,
  startBaresip,
  startKamailio,
  tempDir,
  type Baresip,
  type Kamailio,
  type TempDir,
} from '@callbridge/testkit';
import {
  answerIncoming,
  establishWithTone,
  placeCall,
  registrationFailure,
  sipSideArgv,
  startB2bua,
  type B2buaHarness,
} from './support/b2bua-harness.js';
import { WebRtcPeer, until } from './support/webrtc-peer.js';

const peers = needsPeers(
  PEERS.kamailio,
  PEERS.kamailioTls,
  PEERS.kamailioWebSocket,
  PEERS.baresip,
  PEERS.sox,
  PEERS.openssl,
);

describe.skipIf(peers.skip)('the gateway over SIP TLS and WebSocket with Kamailio', () => {
  let certs: TempDir;
  let pem: { cert: string; key: string };
  let kamailio: Kamailio;
  let baresip: Baresip;

  beforeAll(async () => {
    certs = tempDir('kamailio-tls');
    pem = selfSignedCertificate(certs);
    kamailio = await startKamailio({ tls: pem, ws: true });
    baresip = await startBaresip({ kamailioPort: kamailio.port, codecs: 'PCMU' });
  }, 30_000);

  afterAll(async () => {
    await baresip?.stop();
    await kamailio?.stop();
    certs?.remove();
  });

  it("refuses Kamailio's self-signed certificate without sip.tlsCa: the session says why", async () => {
    const b2bua = await startB2bua({
      argv: sipSideArgv(kamailio.tlsPort ?? 0, 'TLS'),
      sipOptions: { login: 'gateway', password: 'gateway-secret', domain: '127.0.0.1' },
    });
    try {
      const failure = await registrationFailure(b2bua.socket);
      expect(failure).toMatchObject({ reason: 'SIP_SERVER_UNREACHABLE' });
      expect(failure.message).toMatch(/certificate/i);
    } finally {
      await b2bua.stop();
    }
  }, 20_000);

  // WSS is WebSocket on Kamailio's TLS listener: the gateway's WS transport with a CA (wss://).
  for (const transport of ['TLS', 'WS', 'WSS'] as const) {
    describe(transport, () => {
      const proto = transport.toLowerCase();
      const secure = transport !== 'WS';
      const routeTransport = transport === 'TLS' ? 'tls' : 'ws';
      let b2bua: B2buaHarness;

      beforeAll(async () => {
        const port = secure ? kamailio.tlsPort : kamailio.wsPort;
        b2bua = await startB2bua({
          argv: [
            ...sipSideArgv(port ?? 0, transport === 'WSS' ? 'WS' : transport),
            // Kamailio's certificate is self-signed: the gateway trusts it as its CA.
            ...(secure ? ['--sip-tls-ca', pem.cert] : []),
          ],
          sipOptions: { login: 'gateway', password: 'gateway-secret', domain: '127.0.0.1' },
          ready: 'REGISTERED',
        });
      }, 20_000);

      afterAll(async () => {
        await b2bua?.stop();
      });

      it('registers over it with digest authentication', () => {
        const log = kamailio.process.output();
        expect(log).toMatch(
          new RegExp(`REQUEST REGISTER [^\\n]*from=gateway[^\\n]*proto=${proto}\\n`),
        );
        expect(log).toMatch(/CHALLENGE 401 REGISTER to=gateway\n/);
        expect(log).toMatch(/AUTHORIZED REGISTER to=gateway as=gateway\n/);
      });

      it('calls baresip: audio both ways, hangup from the browser through both Record-Routes', async () => {
        const { socket, backend } = b2bua;
        const callId = `out-${transport}`;
        const peer = await WebRtcPeer.create(callId, ['PCMU']);
        try {
          const mark = baresip.recordingMark();
          await placeCall(socket, peer, callId, 'phone');
          await establishWithTone(socket, peer, callId);
          // baresip's 1 kHz tone reaches the browser...
          expect((await peer.receive(40)).rms).toBeGreaterThan(1000);
          // ...and the browser's 440 Hz tone reaches baresip (a second of it).
          await until(
            () => baresip.recordingSince(mark).samples > 8000,
            'a second of audio recorded by baresip',
            15_000,
          );
          expect(baresip.recordingSince(mark).rms).toBeGreaterThan(300);

          await socket.request({ type: 'call.hangup', callId });
          await socket.waitFor({ type: 'call.status', callId, status: 'FINISH' }, 10_000);
          await baresip.process.waitFor(/terminated/, 5000);
          // The BYE came over this transport with the route set of the INVITE's 200: Kamailio's
          // address on this transport first, then its UDP address towards baresip. A wss
          // listener is Record-Routed with transport=ws (RFC 7118 §5.2 has no "wss" there).
          const bye = new RegExp(
            `REQUEST BYE [^\\n]*from=gateway to=phone [^\\n]*route=<sip:127\\.0\\.0\\.1:\\d+;transport=${routeTransport};r2=on;lr[^>]*>, ?<sip:127\\.0\\.0\\.1:${kamailio.port};r2=on;lr[^>]*> [^\\n]*proto=${proto}\\n`,
          );
          await kamailio.process.waitFor(bye, 5000);
          await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
        } finally {
          peer.close();
        }
      }, 60_000);

      it('takes a call from baresip over its connection, answered by the browser; baresip hangs up', async () => {
        const { socket, backend } = b2bua;
        const peer = await WebRtcPeer.create(`in-${transport}`, ['PCMU']);
        try {
          await baresip.command(`/dial sip:gateway@127.0.0.1:${kamailio.port}`);
          const callId = await answerIncoming(socket, peer);
          expect(socket.messages.find((m) => m['callId'] === callId)?.['caller']).toBe('phone');
          await peer.connected();
          expect((await peer.receive(40)).rms).toBeGreaterThan(1000);
          // baresip's BYE reaches the gateway: routed to its Contact over the same connection.
          await baresip.command('/hangup');
          await socket.waitFor({ type: 'call.status', callId, status: 'FINISH' }, 10_000);
          await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
        } finally {
          peer.close();
        }
      }, 60_000);
    });
  }
});
