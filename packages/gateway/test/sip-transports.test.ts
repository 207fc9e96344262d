// The gateway's SIP side over TLS, WebSocket and TCP against this project's SipServer (registrar
// + proxy with digest) listening on all of them, with a self-signed certificate made by openssl
// (wss and mutual TLS included; kamailio-tls-ws.test.ts has TLS and WS against Kamailio). For
// each transport a gateway is configured for it; a browser session (the WebSocket protocol client
// and a node-datachannel peer) registers through it, calls a UDP phone that answers, hears from
// it, and hangs up; then the phone calls the browser, which answers.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Registerer,
  SipServer,
  StreamTransport,
  UdpTransport,
  UserAgent,
  WebSocketTransport,
  type Binding,
  type InviteSession,
} from '@callbridge/sip';
import {
  PEERS,
  needsPeers,
  selfSignedCertificate,
  tempDir,
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
  phoneSdp,
} from './support/b2bua-harness.js';
import { WebRtcPeer, until } from './support/webrtc-peer.js';

const USERS: Record<string, string> = { gateway: 'gateway-secret', phone: 'phone-secret' };

let certs: TempDir;
let pem: { cert: string; key: string };
let server: SipServer;
const listening = { UDP: 0, TCP: 0, TLS: 0, WS: 0, WSS: 0 };
const bindings: Binding[] = [];
let phone: UserAgent;
let registerer: Registerer;
let rtp: Socket;
let rtpPackets = 0;
let phoneSessions: InviteSession[] = [];

beforeAll(async () => {
  certs = tempDir('sip-tls');
  pem = selfSignedCertificate(certs);
  const cert = readFileSync(pem.cert, 'utf8');
  const key = readFileSync(pem.key, 'utf8');
  const udp = await UdpTransport.create({ address: '127.0.0.1' });
  const tcp = await StreamTransport.tcp({ address: '127.0.0.1', listen: true });
  const tls = await StreamTransport.tls({
    address: '127.0.0.1',
    listen: true,
    server: { cert, key },
  });
  const ws = await WebSocketTransport.create({ address: '127.0.0.1', listen: true });
  const wss = await WebSocketTransport.create({
    address: '127.0.0.1',
    listen: true,
    secure: { cert, key },
  });
  listening.UDP = udp.local.port;
  listening.TCP = tcp.local.port;
  listening.TLS = tls.local.port;
  listening.WS = ws.local.port;
  listening.WSS = wss.local.port;
  server = new SipServer({
    transports: [udp, tcp, tls, ws, wss],
    domains: ['127.0.0.1'],
    users: (user) => (USERS[user] === undefined ? undefined : { password: USERS[user] }),
  });
  server.on('registered', (binding) => bindings.push(binding));

  rtp = createSocket('udp4');
  await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
  rtp.on('message', () => rtpPackets++);
  phone = new UserAgent({
    transports: [await UdpTransport.create({ address: '127.0.0.1' })],
    aor: 'sip:phone@127.0.0.1',
    outboundProxy: `sip:127.0.0.1:${listening.UDP};lr`,
    credentials: { username: 'phone', password: USERS['phone']! },
  });
  phone.on('invite', (call) => phoneSessions.push(call.accept(phoneSdp(rtp.address().port))));
  registerer = new Registerer(phone, {});
  expect((await registerer.register()).status).toBe(200);
}, 30_000);

afterAll(async () => {
  await registerer?.unregister().catch(() => undefined);
  registerer?.stop();
  await phone?.close(200);
  rtp?.close();
  await server?.close();
  certs?.remove();
});

describe.skipIf(needsPeers(PEERS.openssl).skip)('the gateway SIP side over each transport', () => {
  for (const transport of ['TLS', 'WSS', 'WS', 'TCP'] as const) {
    describe(transport, () => {
      let b2bua: B2buaHarness;
      let registered: Binding | undefined;

      beforeAll(async () => {
        const before = bindings.length;
        b2bua = await startB2bua({
          argv: [
            ...sipSideArgv(listening[transport], transport === 'WSS' ? 'WS' : transport),
            '--sip-listen-host',
            '127.0.0.1',
            // With a CA, WS is WebSocket over TLS (wss).
            ...(transport === 'TLS' || transport === 'WSS' ? ['--sip-tls-ca', pem.cert] : []),
          ],
          sipOptions: { login: 'gateway', password: USERS['gateway'], domain: '127.0.0.1' },
          ready: 'REGISTERED',
        });
        registered = bindings.slice(before).find((b) => b.aor.startsWith('sip:gateway@'));
      }, 20_000);

      afterAll(async () => {
        await b2bua?.stop();
      });

      it('registers over it', () => {
        expect(registered?.flow.protocol).toBe(transport.toLowerCase());
      });

      it('calls the phone: answered, media flows, hangup from the browser', async () => {
        const { socket, backend } = b2bua;
        const callId = `out-${transport}`;
        phoneSessions = [];
        const peer = await WebRtcPeer.create(callId, ['PCMU']);
        try {
          await placeCall(socket, peer, callId, 'phone');
          await establishWithTone(socket, peer, callId);
          const before = rtpPackets;
          await until(() => rtpPackets > before + 10, 'RTP from the browser at the phone');
          await socket.request({ type: 'call.hangup', callId });
          await socket.waitFor({ type: 'call.status', callId, status: 'FINISH' }, 10_000);
          await until(() => phoneSessions[0]?.state === 'terminated', 'the BYE at the phone');
          await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
        } finally {
          peer.close();
        }
      }, 40_000);

      it('takes a call from the phone over it, answered by the browser; the phone hangs up', async () => {
        const { socket, backend } = b2bua;
        const peer = await WebRtcPeer.create(`in-${transport}`, ['PCMU']);
        try {
          const call = phone.invite('sip:gateway@127.0.0.1', {
            offer: phoneSdp(rtp.address().port),
          });
          const callId = await answerIncoming(socket, peer);
          const session = await call.answered;
          expect((await session.bye())?.status).toBe(200);
          await socket.waitFor({ type: 'call.status', callId, status: 'FINISH' }, 10_000);
          await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
        } finally {
          peer.close();
        }
      }, 40_000);
    });
  }

  it('refuses a TLS server whose certificate it cannot verify: the session reports why', async () => {
    const b2bua = await startB2bua({
      argv: [...sipSideArgv(listening.TLS, 'TLS'), '--sip-listen-host', '127.0.0.1'],
      sipOptions: { login: 'gateway', password: USERS['gateway'], domain: '127.0.0.1' },
    });
    try {
      const failure = await registrationFailure(b2bua.socket);
      expect(failure).toMatchObject({ reason: 'SIP_SERVER_UNREACHABLE' });
      // The operator learns it is the certificate, not the network.
      expect(failure.message).toMatch(/certificate/i);
    } finally {
      await b2bua.stop();
    }
  }, 20_000);

  describe('mutual TLS (a SIP server that asks for a client certificate)', () => {
    let mutual: SipServer;
    let port = 0;

    beforeAll(async () => {
      const cert = readFileSync(pem.cert, 'utf8');
      const key = readFileSync(pem.key, 'utf8');
      const tls = await StreamTransport.tls({
        address: '127.0.0.1',
        listen: true,
        // The same self-signed certificate is the CA the server trusts for clients.
        server: { cert, key, ca: cert, requestCert: true },
      });
      port = tls.local.port;
      mutual = new SipServer({ transports: [tls], domains: ['127.0.0.1'] });
    });

    afterAll(async () => {
      await mutual?.close();
    });

    function argv(clientCertificate: boolean): string[] {
      return [
        ...sipSideArgv(port, 'TLS'),
        '--sip-listen-host',
        '127.0.0.1',
        '--sip-tls-ca',
        pem.cert,
        ...(clientCertificate ? ['--sip-tls-cert', pem.cert, '--sip-tls-key', pem.key] : []),
      ];
    }

    it('registers when the gateway presents its certificate (sip.tlsCert, sip.tlsKey)', async () => {
      const b2bua = await startB2bua({
        argv: argv(true),
        sipOptions: { login: 'gateway', domain: '127.0.0.1' },
        ready: 'REGISTERED',
      });
      await b2bua.stop();
    }, 20_000);

    it('is refused without one, and the session says so', async () => {
      const b2bua = await startB2bua({
        argv: argv(false),
        sipOptions: { login: 'gateway', domain: '127.0.0.1' },
      });
      try {
        const failure = await registrationFailure(b2bua.socket);
        expect(failure).toMatchObject({ reason: 'SIP_SERVER_UNREACHABLE' });
        // Told at once (the connection's failure ends the REGISTER, not Timer F) and why.
        expect(failure.message).toMatch(/certificate required/);
      } finally {
        await b2bua.stop();
      }
    }, 20_000);
  });
});
