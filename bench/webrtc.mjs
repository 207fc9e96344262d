#!/usr/bin/env node
// `npm run bench -- webrtc`: the browser-leg transport.
//   1. DTLS 1.2 handshakes per second with our server against our client in this process
//      (ECDHE-ECDSA P-256 certificates, X25519, AES-128-GCM, use_srtp, cookie exchange), against
//      Node's native TLS 1.2 (OpenSSL) doing the same mutual-auth ECDHE-ECDSA handshake over
//      in-memory streams in the same run.
//   2. Time from the first STUN check to SRTP keys on loopback: our WebRtcTransport with
//      node-datachannel (libdatachannel) as the browser, against two node-datachannel peers.
//   3. Memory per connected peer on a shared UDP port.
//
// Environment: BENCH_SECONDS (per slice, default 1), BENCH_ROUNDS (default 3),
// WEBRTC_BENCH_PEERS (memory test, default 200), WEBRTC_BENCH_CONNECTS (default 15).
import {
  X509Certificate,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Duplex } from 'node:stream';
import { TLSSocket, connect as tlsConnect, createSecureContext } from 'node:tls';
import nodeDataChannel from 'node-datachannel';
import {
  DtlsCertificate,
  DtlsConnection,
  StunAttr,
  StunMethod,
  StunWriter,
  UdpMux,
  WebRtcTransport,
  formatCandidate,
  shortTermKey,
  stunMessageType,
} from '@callbridge/webrtc';
import { SrtpContext, srtpProfileByDtlsId } from '@callbridge/srtp';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PEERS = Number(process.env.WEBRTC_BENCH_PEERS ?? 200);
const CONNECTS = Number(process.env.WEBRTC_BENCH_CONNECTS ?? 15);
const LOOPBACK = '127.0.0.1';

const serverCert = DtlsCertificate.generate({ commonName: 'server' });
const clientCert = DtlsCertificate.generate({ commonName: 'client' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---- 1. DTLS handshakes per second ----

// The machine is shared: rates are per second of this process's CPU time, not wall time, so
// other processes taking the CPU do not count against any column.
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** One in-memory handshake; returns the CPU microseconds spent inside the server. */
function dtlsHandshake() {
  const toServer = [];
  const toClient = [];
  const client = new DtlsConnection({
    role: 'client',
    certificate: clientCert,
    remoteFingerprints: [serverCert.fingerprint()],
    send: (d) => toServer.push(d),
  });
  const server = new DtlsConnection({
    role: 'server',
    certificate: serverCert,
    remoteFingerprints: [clientCert.fingerprint()],
    send: (d) => toClient.push(d),
  });
  let serverMicros = 0;
  client.start();
  while (toServer.length > 0 || toClient.length > 0) {
    for (const d of toServer.splice(0)) {
      const t = process.cpuUsage();
      server.handleDatagram(d);
      const used = process.cpuUsage(t);
      serverMicros += used.user + used.system;
    }
    for (const d of toClient.splice(0)) client.handleDatagram(d);
  }
  if (client.state !== 'connected' || server.state !== 'connected') {
    throw new Error(
      `handshake did not complete: ${client.error?.message ?? server.error?.message}`,
    );
  }
  server.srtpKeys();
  client.srtpKeys();
  return serverMicros;
}

function measureOurs() {
  let count = 0;
  let serverMicros = 0;
  const startCpu = cpuSeconds();
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    serverMicros += dtlsHandshake();
    count++;
  }
  return {
    perSecond: count / (cpuSeconds() - startCpu),
    serverPerSecond: count / (serverMicros / 1e6),
  };
}

/** Two in-memory duplex streams wired back to back, so TLS runs without TCP in between. */
function duplexPair() {
  const a = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      b.push(chunk);
      callback();
    },
  });
  const b = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      a.push(chunk);
      callback();
    },
  });
  return [a, b];
}

async function measureNodeTls() {
  const pem = (c) => new X509Certificate(c.der).toString();
  const key = (c) => c.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const common = {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    // P-256 must be listed too: in TLS 1.2 supported_groups also governs the ECDSA certificate.
    ecdhCurve: 'X25519:P-256',
  };
  const serverContext = createSecureContext({
    ...common,
    cert: pem(serverCert),
    key: key(serverCert),
  });
  const clientContext = createSecureContext({
    ...common,
    cert: pem(clientCert),
    key: key(clientCert),
  });
  let count = 0;
  const startCpu = cpuSeconds();
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const [a, b] = duplexPair();
    const server = new TLSSocket(a, {
      isServer: true,
      secureContext: serverContext,
      requestCert: true,
      rejectUnauthorized: false,
    });
    const client = tlsConnect({
      socket: b,
      secureContext: clientContext,
      rejectUnauthorized: false,
    });
    await Promise.all([
      new Promise((resolve, reject) => {
        server.once('secure', resolve);
        server.once('error', reject);
      }),
      new Promise((resolve, reject) => {
        client.once('secureConnect', resolve);
        client.once('error', reject);
      }),
    ]);
    client.destroy();
    server.destroy();
    count++;
  }
  return count / (cpuSeconds() - startCpu);
}

/**
 * The public-key work one mutual-auth ECDHE-ECDSA handshake cannot avoid (both sides): two
 * X25519 key pairs and agreements, two ECDSA signatures and verifications, two certificate
 * parses. Handshakes per second if nothing else cost anything.
 */
function measureCryptoFloor() {
  const data = randomBytes(600);
  let count = 0;
  const startCpu = cpuSeconds();
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    for (let side = 0; side < 2; side++) {
      const mine = generateKeyPairSync('x25519');
      const theirs = generateKeyPairSync('x25519');
      diffieHellman({ privateKey: mine.privateKey, publicKey: theirs.publicKey });
      const cert = side === 0 ? serverCert : clientCert;
      const signature = sign('sha256', data, cert.privateKey);
      verify('sha256', data, new X509Certificate(cert.der).publicKey, signature);
    }
    count++;
  }
  return count / (cpuSeconds() - startCpu);
}

// ---- 2. first STUN check → SRTP keys ----

const { PeerConnection, Audio } = nodeDataChannel;

async function gatheredOffer(pc) {
  const audio = new Audio('audio', 'SendRecv');
  audio.addOpusCodec(111);
  audio.addSSRC(4242, 'bench');
  pc.addTrack(audio);
  let done = false;
  pc.onGatheringStateChange((s) => {
    if (s === 'complete') done = true;
  });
  pc.setLocalDescription();
  while (!done) await sleep(1);
  return pc.localDescription().sdp;
}

const attr = (sdp, name) => new RegExp(`^a=${name}:(.+?)\\r?$`, 'm').exec(sdp)[1].trim();

function answerSdp(local, mid) {
  const c = local.candidates[0];
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mid}`,
    `m=audio ${c.port} UDP/TLS/RTP/SAVPF 111`,
    `c=IN IP4 ${c.address}`,
    `a=mid:${mid}`,
    `a=ice-ufrag:${local.usernameFragment}`,
    `a=ice-pwd:${local.password}`,
    `a=fingerprint:sha-256 ${local.fingerprint.value}`,
    `a=setup:${local.setup}`,
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    `a=${formatCandidate(c)}`,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

/** ms from our first validated STUN check to SRTP keys, with libdatachannel as the browser. */
async function oursWithLibdatachannel(mux, dtlsRole) {
  const pc = new PeerConnection('bench', { iceServers: [], bindAddress: LOOPBACK });
  const offer = await gatheredOffer(pc);
  const [algorithm, value] = attr(offer, 'fingerprint').split(' ');
  const transport = await WebRtcTransport.create({
    certificate: serverCert,
    dtlsRole,
    mux,
    remote: {
      usernameFragment: attr(offer, 'ice-ufrag'),
      password: attr(offer, 'ice-pwd'),
      fingerprints: [{ algorithm: algorithm.toLowerCase(), value }],
    },
  });
  let firstCheck;
  transport.ice.once('validated', () => (firstCheck = performance.now()));
  const connected = new Promise((r) => transport.once('connected', () => r(performance.now())));
  pc.setRemoteDescription(answerSdp(transport.localParameters, attr(offer, 'mid')), 'answer');
  const at = await connected;
  transport.close();
  pc.close();
  return at - firstCheck;
}

/** ms from setRemoteDescription to both connected, two libdatachannel peers. */
async function libdatachannelPair() {
  const a = new PeerConnection('a', { iceServers: [], bindAddress: LOOPBACK });
  const b = new PeerConnection('b', { iceServers: [], bindAddress: LOOPBACK });
  const offer = await gatheredOffer(a);
  const audio = new Audio(attr(offer, 'mid'), 'SendRecv');
  audio.addOpusCodec(111);
  b.addTrack(audio);
  let bDone = false;
  b.onGatheringStateChange((s) => {
    if (s === 'complete') bDone = true;
  });
  b.setRemoteDescription(offer, 'offer');
  while (!bDone) await sleep(1);
  const answer = b.localDescription().sdp;
  const states = { a: '', b: '' };
  a.onStateChange((s) => (states.a = s));
  b.onStateChange((s) => (states.b = s));
  const start = performance.now();
  a.setRemoteDescription(answer, 'answer');
  while (states.a !== 'connected' || states.b !== 'connected') await sleep(0.2);
  const elapsed = performance.now() - start;
  a.close();
  b.close();
  return elapsed;
}

/** ms from the first STUN check to SRTP keys, our transport against our own DTLS client. */
async function oursWithOwnClient(mux) {
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, LOOPBACK, r));
  const ufrag = randomBytes(4).toString('hex');
  const transport = await WebRtcTransport.create({
    certificate: serverCert,
    dtlsRole: 'server',
    mux,
    remote: {
      usernameFragment: ufrag,
      password: 'p'.repeat(24),
      fingerprints: [clientCert.fingerprint()],
    },
  });
  const local = transport.localParameters;
  const port = local.candidates[0].port;
  const client = new DtlsConnection({
    role: 'client',
    certificate: clientCert,
    remoteFingerprints: [local.fingerprint],
    send: (d) => socket.send(d, port, LOOPBACK),
  });
  socket.on('message', (m) => {
    if (m[0] >= 20 && m[0] <= 63) client.handleDatagram(new Uint8Array(m));
  });
  const connected = new Promise((r) => transport.once('connected', () => r(performance.now())));
  const start = performance.now();
  const check = new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
    .addText(StunAttr.Username, `${local.usernameFragment}:${ufrag}`)
    .addUint32(StunAttr.Priority, 1853824767)
    .addUint64(StunAttr.IceControlling, 1n)
    .addFlag(StunAttr.UseCandidate)
    .addMessageIntegrity(shortTermKey(local.password))
    .addFingerprint()
    .finish()
    .slice();
  socket.send(check, port, LOOPBACK);
  client.start();
  const at = await connected;
  transport.close();
  client.close();
  socket.close();
  return at - start;
}

// ---- 3. memory per connected peer ----

function memory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function memoryPerPeer(srtpProfile) {
  const mux = await UdpMux.bind({ address: LOOPBACK });
  const sockets = [];
  for (let i = 0; i < PEERS; i++) {
    const s = createSocket('udp4');
    await new Promise((r) => s.bind(0, LOOPBACK, r));
    sockets.push(s);
  }
  const before = memory();
  const transports = [];
  for (let i = 0; i < PEERS; i++) {
    const socket = sockets[i];
    const ufrag = `b${i}`;
    const transport = await WebRtcTransport.create({
      certificate: serverCert,
      dtlsRole: 'server',
      mux,
      srtpProfiles: [srtpProfile],
      remote: {
        usernameFragment: ufrag,
        password: 'p'.repeat(24),
        fingerprints: [clientCert.fingerprint()],
      },
    });
    const local = transport.localParameters;
    const client = new DtlsConnection({
      role: 'client',
      certificate: clientCert,
      send: (d) => socket.send(d, mux.port, LOOPBACK),
    });
    const onMessage = (m) => {
      if (m[0] >= 20 && m[0] <= 63) client.handleDatagram(new Uint8Array(m));
    };
    socket.on('message', onMessage);
    const connected = Promise.all([
      new Promise((r) => transport.once('connected', r)),
      new Promise((r) => client.once('connected', r)),
    ]);
    socket.send(
      new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
        .addText(StunAttr.Username, `${local.usernameFragment}:${ufrag}`)
        .addUint64(StunAttr.IceControlling, 1n)
        .addFlag(StunAttr.UseCandidate)
        .addMessageIntegrity(shortTermKey(local.password))
        .addFingerprint()
        .finish()
        .slice(),
      mux.port,
      LOOPBACK,
    );
    client.start();
    await connected;
    // Forget the client side (it has no timers once connected) so only the gateway's state
    // stays reachable.
    socket.off('message', onMessage);
    transports.push(transport);
  }
  await sleep(50);
  const after = memory();
  for (const t of transports) t.close();
  for (const s of sockets) s.close();
  mux.close();
  return (after - before) / PEERS;
}

// ---- 4. the media receive path ----

/**
 * SRTP packets per second into a connected transport (RFC 7983 demux, unprotect into the reused
 * buffer, 'rtp' event), against the bare SrtpContext.unprotectRtpInto on the same packets.
 */
async function receivePath(srtpProfile) {
  const mux = await UdpMux.bind({ address: LOOPBACK });
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, LOOPBACK, r));
  const transport = await WebRtcTransport.create({
    certificate: serverCert,
    dtlsRole: 'server',
    mux,
    srtpProfiles: [srtpProfile],
    remote: {
      usernameFragment: 'rx',
      password: 'p'.repeat(24),
      fingerprints: [clientCert.fingerprint()],
    },
  });
  const local = transport.localParameters;
  const client = new DtlsConnection({
    role: 'client',
    certificate: clientCert,
    send: (d) => socket.send(d, mux.port, LOOPBACK),
  });
  socket.on('message', (m) => {
    if (m[0] >= 20 && m[0] <= 63) client.handleDatagram(new Uint8Array(m));
  });
  const connected = Promise.all([
    new Promise((r) => transport.once('connected', r)),
    new Promise((r) => client.once('connected', r)),
  ]);
  socket.send(
    new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
      .addText(StunAttr.Username, `${local.usernameFragment}:rx`)
      .addFlag(StunAttr.UseCandidate)
      .addMessageIntegrity(shortTermKey(local.password))
      .addFingerprint()
      .finish()
      .slice(),
    mux.port,
    LOOPBACK,
  );
  client.start();
  await connected;
  const keys = client.srtpKeys();
  const profile = srtpProfileByDtlsId(keys.profile.id);
  const sender = new SrtpContext({
    profile,
    masterKey: keys.localMasterKey,
    masterSalt: keys.localMasterSalt,
  });
  const bare = new SrtpContext({
    profile,
    masterKey: keys.localMasterKey,
    masterSalt: keys.localMasterSalt,
  });
  // The first half warms both paths up (JIT); the second half is timed.
  const count = 20_000;
  const packets = [];
  for (let i = 0; i < 2 * count; i++) {
    const rtp = new Uint8Array(172);
    rtp[0] = 0x80;
    rtp[1] = 111;
    rtp[2] = i >> 8;
    rtp[3] = i & 0xff;
    new DataView(rtp.buffer).setUint32(8, 0x1234);
    packets.push(sender.protectRtp(rtp));
  }
  const from = transport.ice.selectedAddress;
  let received = 0;
  transport.on('rtp', () => received++);
  const out = new Uint8Array(1600);
  const warm = packets.slice(0, count);
  const timed = packets.slice(count);
  for (const p of warm) transport.handlePacket(p, from);
  for (const p of warm) bare.unprotectRtpInto(p, out);
  let t = process.hrtime.bigint();
  for (const p of timed) transport.handlePacket(p, from);
  const viaTransport = count / (Number(process.hrtime.bigint() - t) / 1e9);
  t = process.hrtime.bigint();
  for (const p of timed) bare.unprotectRtpInto(p, out);
  const direct = count / (Number(process.hrtime.bigint() - t) / 1e9);
  if (received !== 2 * count) throw new Error(`transport delivered ${received} of ${2 * count}`);
  transport.close();
  client.close();
  socket.close();
  mux.close();
  return { viaTransport, direct };
}

// ---- run ----

// Memory first: the libdatachannel runs below leave native and JS garbage that settles slowly.
const perPeerGcm = await memoryPerPeer('SRTP_AEAD_AES_128_GCM');
const receiveGcm = [];
const receiveCm = [];
for (let round = 0; round < ROUNDS; round++) {
  receiveGcm.push(await receivePath('SRTP_AEAD_AES_128_GCM'));
  receiveCm.push(await receivePath('SRTP_AES128_CM_HMAC_SHA1_80'));
}
const perPeerCm = await memoryPerPeer('SRTP_AES128_CM_HMAC_SHA1_80');

const ours = [];
const native = [];
const floor = [];
for (let round = 0; round < ROUNDS; round++) {
  ours.push(measureOurs());
  native.push(await measureNodeTls());
  floor.push(measureCryptoFloor());
}
const best = (xs, f) => Math.max(...xs.map(f));
const oursBoth = best(ours, (x) => x.perSecond);
const oursServer = best(ours, (x) => x.serverPerSecond);
const nativeBest = Math.max(...native);
const floorBest = Math.max(...floor);

const mux = await UdpMux.bind({ address: LOOPBACK });
const ownTimes = [];
const ndcServer = [];
const ndcClient = [];
const pairTimes = [];
for (let i = 0; i < CONNECTS; i++) {
  ownTimes.push(await oursWithOwnClient(mux));
  ndcServer.push(await oursWithLibdatachannel(mux, 'server'));
  ndcClient.push(await oursWithLibdatachannel(mux, 'client'));
  pairTimes.push(await libdatachannelPair());
}
mux.close();

console.log(
  '| DTLS 1.2 handshake (ECDHE-ECDSA P-256, X25519, AES-128-GCM, mutual auth) | per CPU second | ratio |',
);
console.log('|---|---|---|');
console.log(
  `| callbridge server + client, both in this thread | ${fmt(oursBoth)} | ${(oursBoth / nativeBest).toFixed(2)}× |`,
);
console.log(
  `| callbridge server side only (CPU inside the server) | ${fmt(oursServer)} | ${(oursServer / nativeBest).toFixed(2)}× |`,
);
console.log(
  `| Node TLS 1.2 (OpenSSL), server + client over in-memory streams | ${fmt(nativeBest)} | 1.00× |`,
);
console.log(
  `| public-key work alone (2 X25519, 2 ECDSA sign + verify, 2 certificate parses) | ${fmt(floorBest)} | ${(floorBest / nativeBest).toFixed(2)}× |`,
);
console.log(
  `\nThe DTLS handshake reaches ${((oursBoth / floorBest) * 100).toFixed(0)}% of the rate its public-key work alone allows.`,
);
console.log('');
console.log(`| first STUN check → SRTP keys, loopback (median of ${CONNECTS}) | ms | ratio |`);
console.log('|---|---|---|');
const ndcPair = median(pairTimes);
console.log(
  `| callbridge ⇄ callbridge DTLS client (check sent → keys) | ${fmt(median(ownTimes), 2)} | ${(median(ownTimes) / ndcPair).toFixed(3)}× |`,
);
console.log(
  `| callbridge (DTLS server) ⇄ libdatachannel | ${fmt(median(ndcServer), 2)} | ${(median(ndcServer) / ndcPair).toFixed(3)}× |`,
);
console.log(
  `| callbridge (DTLS client) ⇄ libdatachannel | ${fmt(median(ndcClient), 2)} | ${(median(ndcClient) / ndcPair).toFixed(3)}× |`,
);
console.log(
  `| libdatachannel ⇄ libdatachannel (answer applied → both connected) | ${fmt(ndcPair, 2)} | 1.00× |`,
);
const stalls = pairTimes.filter((t) => t > 500).length;
console.log(
  `\nlibdatachannel between two of its own peers waited for its first DTLS retransmission (~1 s)\n` +
    `in ${stalls} of ${pairTimes.length} runs (its ClientHello reaches a peer whose ICE is not connected\n` +
    'yet); the median is taken over all runs.\n',
);
console.log(
  `| memory per connected peer (${PEERS} peers on one UDP port; JS heap + external) | KiB |`,
);
console.log('|---|---|');
console.log(
  `| WebRtcTransport, SRTP_AEAD_AES_128_GCM (ICE-lite + DTLS + 2 SRTP contexts) | ${fmt(perPeerGcm / 1024, 1)} |`,
);
console.log(`| WebRtcTransport, SRTP_AES128_CM_HMAC_SHA1_80 | ${fmt(perPeerCm / 1024, 1)} |`);
console.log('');
console.log('| SRTP receive path, 172-byte audio packets | packets/s | ratio |');
console.log('|---|---|---|');
for (const [name, runs] of [
  ['AEAD_AES_128_GCM', receiveGcm],
  ['AES_CM_128_HMAC_SHA1_80', receiveCm],
]) {
  const via = Math.max(...runs.map((r) => r.viaTransport));
  const direct = Math.max(...runs.map((r) => r.direct));
  console.log(
    `| WebRtcTransport (demux + unprotect + 'rtp' event), ${name} | ${fmt(via)} | ${(via / direct).toFixed(2)}× |`,
  );
  console.log(`| SrtpContext.unprotectRtpInto alone, ${name} | ${fmt(direct)} | 1.00× |`);
}
