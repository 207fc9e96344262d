import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DtlsCertificate,
  DtlsConnection,
  WebRtcError,
  certificateFingerprint,
  type DtlsConnectionOptions,
  type NamedCurve,
  type SrtpProtectionProfileName,
} from '@callbridge/webrtc';
import { ManualClock } from '@callbridge/testkit';

const serverCert = DtlsCertificate.generate({ commonName: 'server' });
const clientCert = DtlsCertificate.generate({ commonName: 'client' });

type Filter = (datagram: Uint8Array, index: number) => boolean;

/** Two connections wired through queues, so tests can drop and reorder datagrams. */
function pair(
  options: {
    client?: Partial<DtlsConnectionOptions>;
    server?: Partial<DtlsConnectionOptions>;
    toServer?: Filter;
    toClient?: Filter;
  } = {},
) {
  const clock = new ManualClock(1_000_000);
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  let sentToServer = 0;
  let sentToClient = 0;
  const client = new DtlsConnection({
    role: 'client',
    certificate: clientCert,
    clock,
    remoteFingerprints: [serverCert.fingerprint()],
    send: (d) => {
      if (options.toServer?.(d, sentToServer++) ?? true) toServer.push(d.slice());
    },
    ...options.client,
  });
  const server = new DtlsConnection({
    role: 'server',
    certificate: serverCert,
    clock,
    remoteFingerprints: [clientCert.fingerprint()],
    send: (d) => {
      if (options.toClient?.(d, sentToClient++) ?? true) toClient.push(d.slice());
    },
    ...options.server,
  });
  /** Delivers queued datagrams until both queues are empty. */
  const pump = (reorder = false): void => {
    for (let i = 0; i < 100 && (toServer.length > 0 || toClient.length > 0); i++) {
      const a = toServer.splice(0);
      const b = toClient.splice(0);
      if (reorder) {
        a.reverse();
        b.reverse();
      }
      for (const d of a) server.handleDatagram(d);
      for (const d of b) client.handleDatagram(d);
    }
  };
  return { clock, client, server, pump, toServer, toClient };
}

function expectSameKeys(p: ReturnType<typeof pair>): void {
  const c = p.client.srtpKeys();
  const s = p.server.srtpKeys();
  expect(c.profile).toEqual(s.profile);
  expect(c.localMasterKey).toEqual(s.remoteMasterKey);
  expect(c.localMasterSalt).toEqual(s.remoteMasterSalt);
  expect(c.remoteMasterKey).toEqual(s.localMasterKey);
  expect(c.remoteMasterSalt).toEqual(s.localMasterSalt);
  expect(c.localMasterKey).not.toEqual(c.remoteMasterKey);
  expect(c.localMasterKey.length).toBe(c.profile.keyLength);
  expect(c.localMasterSalt.length).toBe(c.profile.saltLength);
}

describe('self-signed certificate', () => {
  it('is valid X.509 signed by its own key, and the fingerprint matches Node', () => {
    const x509 = new X509Certificate(serverCert.der);
    expect(x509.subject).toBe('CN=server');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(serverCert.fingerprint().value).toBe(x509.fingerprint256);
    expect(certificateFingerprint(serverCert.der, 'sha-1').value).toBe(x509.fingerprint);
    expect(serverCert.keyType).toBe('ec');
  });

  it('rejects a key that does not belong to the certificate', () => {
    const pem = new X509Certificate(serverCert.der).toString();
    const otherKey = clientCert.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => DtlsCertificate.fromPem(pem, otherKey)).toThrow(WebRtcError);
    const ownKey = serverCert.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(DtlsCertificate.fromPem(pem, ownKey).fingerprint()).toEqual(serverCert.fingerprint());
  });
});

describe('DTLS handshake between two of our endpoints', () => {
  const suites = [
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  ];
  const curves: NamedCurve[] = ['x25519', 'P-256'];
  const profiles: SrtpProtectionProfileName[] = [
    'SRTP_AEAD_AES_128_GCM',
    'SRTP_AES128_CM_HMAC_SHA1_80',
  ];
  for (const suite of suites) {
    for (const curve of curves) {
      for (const profile of profiles) {
        it(`${suite} / ${curve} / ${profile}`, () => {
          const p = pair({
            client: { cipherSuites: [suite], curves: [curve], srtpProfiles: [profile] },
          });
          const connected: unknown[] = [];
          p.client.on('connected', (info) => connected.push(info));
          p.server.on('connected', (info) => connected.push(info));
          p.client.start();
          p.pump();
          expect(p.client.state).toBe('connected');
          expect(p.server.state).toBe('connected');
          expect(connected).toEqual([
            { cipherSuite: suite, curve, srtpProfile: profile, extendedMasterSecret: true },
            { cipherSuite: suite, curve, srtpProfile: profile, extendedMasterSecret: true },
          ]);
          expectSameKeys(p);
          expect(p.client.remoteCertificate).toEqual(serverCert.der);
          expect(p.server.remoteCertificate).toEqual(clientCert.der);
        });
      }
    }
  }

  it('exchanges application data and closes with close_notify', () => {
    const p = pair();
    p.client.start();
    p.pump();
    const received: string[] = [];
    p.server.on('data', (d) => received.push(new TextDecoder().decode(d)));
    p.client.sendData(new TextEncoder().encode('hello'));
    p.pump();
    expect(received).toEqual(['hello']);
    const closes: unknown[] = [];
    p.server.on('closed', (info) => closes.push(info));
    p.client.close();
    p.pump();
    expect(p.client.state).toBe('closed');
    expect(closes).toEqual([{ reason: 'peer-closed' }]);
    expect(p.server.state).toBe('closed');
  });

  it('fails with DTLS_FINGERPRINT_MISMATCH and tells the peer', () => {
    const p = pair({
      client: {
        remoteFingerprints: [{ algorithm: 'sha-256', value: clientCert.fingerprint().value }],
      },
    });
    p.client.start();
    p.pump();
    expect(p.client.state).toBe('failed');
    expect(p.client.error?.code).toBe('DTLS_FINGERPRINT_MISMATCH');
    expect(p.client.error?.message).toMatch(/a=fingerprint/);
    expect(p.server.state).toBe('failed');
    expect(p.server.error?.code).toBe('DTLS_ALERT_RECEIVED');
    expect(p.server.error?.message).toMatch(/BadCertificate/);
  });

  it('the server checks the client fingerprint too', () => {
    const p = pair({ server: { remoteFingerprints: [serverCert.fingerprint()] } });
    p.client.start();
    p.pump();
    expect(p.server.error?.code).toBe('DTLS_FINGERPRINT_MISMATCH');
    expect(p.client.state).toBe('failed');
  });

  it('fails cleanly when there is no common SRTP profile', () => {
    const p = pair({
      client: { srtpProfiles: ['SRTP_AEAD_AES_128_GCM'] },
      server: { srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'] },
    });
    p.client.start();
    p.pump();
    expect(p.server.error?.code).toBe('DTLS_NO_SHARED_PARAMETERS');
    expect(p.client.error?.code).toBe('DTLS_ALERT_RECEIVED');
  });

  it('fragments and reassembles with a small MTU, delivered in reverse order', () => {
    const p = pair({ client: { mtu: 300 }, server: { mtu: 300 } });
    const sizes: number[] = [];
    p.client.start();
    p.toServer.forEach((d) => sizes.push(d.length));
    p.pump(true);
    expect(p.client.state).toBe('connected');
    expect(p.server.state).toBe('connected');
    expectSameKeys(p);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(300);
  });

  it('completes without a cookie exchange too', () => {
    const p = pair({ server: { cookieExchange: false } });
    let datagrams = 0;
    const original = p.toServer;
    p.client.start();
    datagrams += original.length;
    p.pump();
    expect(datagrams).toBe(1);
    expect(p.server.state).toBe('connected');
    expectSameKeys(p);
  });
});

describe('DTLS retransmission (RFC 6347 §4.2.4)', () => {
  // Every flight of the handshake, dropped once in each direction, still completes.
  for (let drop = 0; drop < 4; drop++) {
    it(`recovers when datagram ${drop} to the server is lost`, () => {
      const p = pair({ toServer: (_d, i) => i !== drop });
      p.client.start();
      for (let i = 0; i < 6 && p.server.state !== 'connected'; i++) {
        p.pump();
        p.clock.advance(1000 * 2 ** i);
      }
      p.pump();
      expect(p.client.state).toBe('connected');
      expect(p.server.state).toBe('connected');
      expectSameKeys(p);
    });
    it(`recovers when datagram ${drop} to the client is lost`, () => {
      const p = pair({ toClient: (_d, i) => i !== drop });
      p.client.start();
      for (let i = 0; i < 6 && p.client.state !== 'connected'; i++) {
        p.pump();
        p.clock.advance(1000 * 2 ** i);
      }
      p.pump();
      expect(p.client.state).toBe('connected');
      expect(p.server.state).toBe('connected');
      expectSameKeys(p);
    });
  }

  it('the final server flight is resent when the client retransmits its finished flight', () => {
    let lastFlightDropped = false;
    const p = pair({
      toClient: (d) => {
        // Drop the first datagram carrying ChangeCipherSpec (content type 20) from the server.
        if (!lastFlightDropped && d[0] === 20) {
          lastFlightDropped = true;
          return false;
        }
        return true;
      },
    });
    p.client.start();
    p.pump();
    expect(p.server.state).toBe('connected');
    expect(p.client.state).toBe('connecting');
    p.clock.advance(1000);
    p.pump();
    expect(p.client.state).toBe('connected');
    expect(p.server.counters.retransmissions).toBe(1);
    expectSameKeys(p);
  });

  it('backs off exponentially and fails with DTLS_TIMEOUT', () => {
    const clock = new ManualClock(1_000_000);
    const sendTimes: number[] = [];
    const client = new DtlsConnection({
      role: 'client',
      certificate: clientCert,
      clock,
      maxRetransmissions: 4,
      send: () => sendTimes.push(clock.now()),
    });
    const closes: unknown[] = [];
    client.on('closed', (info) => closes.push(info.error?.code));
    client.start();
    clock.advance(100_000);
    const gaps = sendTimes.slice(1).map((t, i) => t - sendTimes[i]!);
    expect(gaps).toEqual([1000, 2000, 4000, 8000]);
    expect(client.state).toBe('failed');
    expect(closes).toEqual(['DTLS_TIMEOUT']);
    expect(clock.pending).toBe(0);
  });
});

describe('DTLS state machine', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return e instanceof WebRtcError ? e.code : 'not a WebRtcError';
    }
    return undefined;
  };

  it('refuses misuse with INVALID_STATE_TRANSITION and reports every state change', () => {
    const p = pair();
    const states: string[] = [];
    p.client.on('statechange', (s) => states.push(s));
    expect(code(() => p.client.sendData(new Uint8Array(1)))).toBe('INVALID_STATE_TRANSITION');
    expect(code(() => p.client.srtpKeys())).toBe('INVALID_STATE_TRANSITION');
    expect(code(() => p.client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 60))).toBe(
      'INVALID_STATE_TRANSITION',
    );
    p.client.start();
    expect(code(() => p.client.start())).toBe('INVALID_STATE_TRANSITION');
    p.pump();
    p.client.close();
    p.client.close();
    expect(states).toEqual(['connecting', 'connected', 'closed']);
    expect(code(() => p.client.sendData(new Uint8Array(1)))).toBe('INVALID_STATE_TRANSITION');
  });

  it('RFC 5705 exporter: context changes the output, both sides agree', () => {
    const p = pair();
    p.client.start();
    p.pump();
    const context = Uint8Array.of(1, 2, 3);
    const withContext = p.client.exportKeyingMaterial('EXPORTER-test', 32, context);
    expect(p.server.exportKeyingMaterial('EXPORTER-test', 32, context)).toEqual(withContext);
    expect(p.client.exportKeyingMaterial('EXPORTER-test', 32)).not.toEqual(withContext);
  });

  it('rejects certificates and options that cannot work', () => {
    expect(
      code(
        () =>
          new DtlsConnection({ role: 'client', certificate: clientCert, send: () => {}, mtu: 100 }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      code(
        () =>
          new DtlsConnection({
            role: 'server',
            certificate: serverCert,
            send: () => {},
            cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
          }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => DtlsCertificate.fromPem('not a pem', 'nor this'))).toBe(
      'CERTIFICATE_INVALID',
    );
  });
});

describe('DTLS robustness', () => {
  it('drops garbage and tampered records without failing', () => {
    const p = pair();
    p.client.start();
    p.pump();
    const before = p.server.counters.recordsDropped;
    p.server.handleDatagram(new Uint8Array([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 30, 1, 2]));
    p.server.handleDatagram(new Uint8Array([22, 0xfe]));
    const record = new Uint8Array(13 + 40);
    record.set([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 50, 0, 40]);
    p.server.handleDatagram(record);
    expect(p.server.state).toBe('connected');
    expect(p.server.counters.recordsDropped).toBeGreaterThan(before);
  });

  it('a malformed ClientHello fails the server with DTLS_MALFORMED, never throws', () => {
    const server = new DtlsConnection({ role: 'server', certificate: serverCert, send: () => {} });
    // Handshake record, ClientHello claiming 10 bytes, containing 10 bytes of nonsense.
    const body = new Uint8Array(10).fill(0xff);
    const d = new Uint8Array(13 + 12 + 10);
    d.set([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 22]);
    d.set([1, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 10], 13);
    d.set(body, 25);
    expect(() => server.handleDatagram(d)).not.toThrow();
    expect(server.state).toBe('failed');
    expect(server.error?.code).toBe('DTLS_MALFORMED');
  });
});
