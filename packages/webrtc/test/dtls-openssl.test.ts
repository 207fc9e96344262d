// Handshake interop with OpenSSL's DTLS 1.2 in both roles, over real UDP on 127.0.0.1.
import { X509Certificate } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOOPBACK,
  PEERS,
  freePort,
  needsPeers,
  startProcess,
  tempDir,
  type RunningProcess,
  type TempDir,
} from '@callbridge/testkit';
import {
  DtlsCertificate,
  DtlsConnection,
  certificateFingerprint,
  type DtlsConnectionOptions,
} from '@callbridge/webrtc';

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

const OPENSSL_PROFILE = {
  SRTP_AES128_CM_HMAC_SHA1_80: 'SRTP_AES128_CM_SHA1_80',
  SRTP_AEAD_AES_128_GCM: 'SRTP_AEAD_AES_128_GCM',
} as const;

/** Key material length for RFC 5764 §4.2: 2 × (key + salt). */
const MATERIAL_LENGTH = { SRTP_AES128_CM_HMAC_SHA1_80: 60, SRTP_AEAD_AES_128_GCM: 56 } as const;

async function udpEndpoint(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return socket;
}

function connect(
  socket: Socket,
  port: number,
  options: Omit<DtlsConnectionOptions, 'send'>,
): { connection: DtlsConnection; connected: Promise<void> } {
  const connection = new DtlsConnection({
    ...options,
    send: (d) => socket.send(d, port, LOOPBACK),
  });
  socket.on('message', (msg) => connection.handleDatagram(new Uint8Array(msg)));
  const connected = new Promise<void>((resolve, reject) => {
    connection.once('connected', () => resolve());
    connection.once('closed', (info) =>
      reject(info.error ?? new Error(`closed before connecting: ${info.reason}`)),
    );
  });
  return { connection, connected };
}

describe.skipIf(needsPeers(PEERS.openssl).skip)('DTLS interop with openssl', () => {
  let dir: TempDir;
  let opensslFingerprint: string;
  const ours = DtlsCertificate.generate({ commonName: 'callbridge-test' });
  const processes: RunningProcess[] = [];

  beforeAll(() => {
    dir = tempDir('dtls');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        dir.file('key.pem'),
        '-out',
        dir.file('cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=openssl',
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        dir.file('rsa-key.pem'),
        '-out',
        dir.file('rsa-cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=openssl-rsa',
      ],
      { stdio: 'ignore' },
    );
    opensslFingerprint = new X509Certificate(readFileSync(dir.file('cert.pem'))).fingerprint256;
    writeFileSync(dir.file('ours.pem'), new X509Certificate(ours.der).toString());
    writeFileSync(dir.file('ours.key'), ours.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  });

  afterAll(async () => {
    for (const p of processes) await p.stop();
    dir?.remove();
  });

  const clientCases = [
    {
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      key: 'ec',
      extra: [],
      cipher: /ECDHE-ECDSA-AES128-GCM-SHA256/,
    },
    // With -listen, s_server runs its stateless cookie exchange before accepting.
    {
      profile: 'SRTP_AEAD_AES_128_GCM',
      key: 'ec',
      extra: ['-listen'],
      cipher: /ECDHE-ECDSA-AES128-GCM-SHA256/,
    },
    {
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      key: 'ec',
      extra: ['-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384', '-groups', 'P-256'],
      cipher: /ECDHE-ECDSA-AES256-GCM-SHA384/,
    },
    {
      profile: 'SRTP_AEAD_AES_128_GCM',
      key: 'rsa',
      extra: [],
      cipher: /ECDHE-RSA-AES128-GCM-SHA256/,
    },
  ] as const;
  for (const { profile, key, extra, cipher } of clientCases) {
    it(`our client against s_server (${profile}, ${key} ${extra.join(' ')}), same exported keys`, async () => {
      const certFile = key === 'ec' ? 'cert.pem' : 'rsa-cert.pem';
      const expectedFingerprint = new X509Certificate(readFileSync(dir.file(certFile)))
        .fingerprint256;
      const port = await freePort();
      // s_server quits at end of stdin, so its stdin is a FIFO we hold open (O_RDWR never blocks).
      const fifo = dir.file(`stdin-${port}`);
      execFileSync('mkfifo', [fifo]);
      const stdinHolder = openSync(fifo, 'r+');
      const server = await startProcess(
        'sh',
        [
          '-c',
          'exec "$@" < "$0"',
          fifo,
          'openssl',
          's_server',
          '-dtls1_2',
          '-accept',
          `${LOOPBACK}:${port}`,
          '-cert',
          dir.file(certFile),
          '-key',
          dir.file(key === 'ec' ? 'key.pem' : 'rsa-key.pem'),
          '-use_srtp',
          OPENSSL_PROFILE[profile],
          '-verify',
          '1',
          ...extra,
          '-keymatexport',
          'EXTRACTOR-dtls_srtp',
          '-keymatexportlen',
          String(MATERIAL_LENGTH[profile]),
        ],
        { readyPattern: /ACCEPT/ },
      );
      processes.push(server);
      const socket = await udpEndpoint();
      const cookies: number[] = [];
      socket.on('message', () => {});
      const originalSend = socket.send.bind(socket);
      // Record the cookie length of every ClientHello we send (record 13 + handshake 12 +
      // version 2 + random 32 + empty session id 1 = offset 60).
      socket.send = ((msg: Uint8Array, ...rest: never[]) => {
        if (msg[0] === 22 && msg[13] === 1) cookies.push(msg[60]!);
        return originalSend(msg, ...rest);
      }) as typeof socket.send;
      const { connection, connected } = connect(socket, port, {
        role: 'client',
        certificate: ours,
        srtpProfiles: [profile],
        remoteFingerprints: [{ algorithm: 'sha-256', value: expectedFingerprint }],
        retransmitInitialMs: 200,
      });
      connection.start();
      await connected;
      const material = connection.exportKeyingMaterial(
        'EXTRACTOR-dtls_srtp',
        MATERIAL_LENGTH[profile],
      );
      await server.waitFor(/Keying material: ?[0-9A-F]+/);
      const printed = /Keying material: ?([0-9A-F]+)/.exec(server.output())![1];
      expect(printed).toBe(hex(material));
      expect(server.output()).toContain(
        `SRTP Extension negotiated, profile=${OPENSSL_PROFILE[profile]}`,
      );
      // s_server saw our certificate.
      expect(server.output()).toMatch(/subject=.*CN ?= ?callbridge-test/);
      expect(connection.srtpKeys().profile.name).toBe(profile);
      expect(server.output()).toMatch(new RegExp(`CIPHER is ${cipher.source}`));
      // OpenSSL always verifies a cookie: the first ClientHello has none, the second has one.
      expect(cookies[0]).toBe(0);
      expect(cookies.at(-1)).toBeGreaterThan(0);
      connection.close();
      socket.close();
      await server.stop();
      closeSync(stdinHolder);
    });
  }

  for (const key of ['ec', 'rsa'] as const) {
    it(`our server (${key} certificate) against s_client, with cookie exchange and close_notify`, async () => {
      // The RSA case loads openssl's RSA certificate and key as our own (DtlsCertificate.fromPem).
      const serverCertificate =
        key === 'ec'
          ? ours
          : DtlsCertificate.fromPem(
              readFileSync(dir.file('rsa-cert.pem'), 'utf8'),
              readFileSync(dir.file('rsa-key.pem'), 'utf8'),
            );
      const socket = await udpEndpoint();
      const port = socket.address().port;
      let clientPort = 0;
      const connection = new DtlsConnection({
        role: 'server',
        certificate: serverCertificate,
        srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
        remoteFingerprints: [{ algorithm: 'sha-256', value: opensslFingerprint }],
        send: (d) => socket.send(d, clientPort, LOOPBACK),
      });
      socket.on('message', (msg, rinfo) => {
        clientPort = rinfo.port;
        connection.handleDatagram(new Uint8Array(msg));
      });
      let material: Uint8Array = new Uint8Array(0);
      const closed = new Promise<string>((resolve) =>
        connection.on('closed', (i) => resolve(i.reason)),
      );
      const connected = new Promise<void>((resolve, reject) => {
        connection.once('connected', () => {
          material = connection.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 60);
          resolve();
        });
        connection.once('closed', (info) => reject(info.error ?? new Error(info.reason)));
      });
      const client = await startProcess('openssl', [
        's_client',
        '-dtls1_2',
        '-connect',
        `${LOOPBACK}:${port}`,
        '-cert',
        dir.file('cert.pem'),
        '-key',
        dir.file('key.pem'),
        '-use_srtp',
        'SRTP_AES128_CM_SHA1_80',
        '-keymatexport',
        'EXTRACTOR-dtls_srtp',
        '-keymatexportlen',
        '60',
      ]);
      processes.push(client);
      await connected;
      await client.waitFor(/Keying material: ?[0-9A-F]+/);
      const printed = /Keying material: ?([0-9A-F]+)/.exec(client.output())![1];
      expect(printed).toBe(hex(material));
      expect(client.output()).toContain('Extended master secret: yes');
      expect(client.output()).toMatch(
        key === 'ec'
          ? /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/
          : /Cipher is ECDHE-RSA-AES128-GCM-SHA256/,
      );
      // s_client verified nothing, but it received our certificate with the fingerprint we announce.
      expect(client.output()).toMatch(
        key === 'ec' ? /subject=.*CN ?= ?callbridge-test/ : /subject=.*CN ?= ?openssl-rsa/,
      );
      expect(certificateFingerprint(serverCertificate.der).value).toBe(
        new X509Certificate(serverCertificate.der).fingerprint256,
      );
      // stdin is closed, so s_client sends close_notify once connected.
      expect(await closed).toBe('peer-closed');
      socket.close();
      await client.stop();
    });
  }
});
