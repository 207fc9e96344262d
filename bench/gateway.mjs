#!/usr/bin/env node
// `npm run bench -- gateway`: the gateway (built CLI, its own process, embedded demo) with this
// project's own WebRTC code as the browser side: a small client from @callbridge/webrtc and
// @callbridge/srtp that offers like a browser (ICE controlling with USE-CANDIDATE, DTLS, SRTP),
// over the WebSocket protocol.
//   1. Calls set up per second: call.create to the echo number 100 until ESTABLISHED and DTLS
//      connected, then hang up; CALLS_CONCURRENCY calls at a time.
//   2. Concurrent calls with media: CALLS_MEDIA calls to 100 with PCMU both ways (20 ms
//      packets, relayed, echoed by the demo phone); the gateway's CPU time over the window
//      gives calls with media per core.
// Baseline in the same run: SIPp UAC→UAS calls per second on this machine, when sipp exists
// (the gateway does twice the SIP work of one SIPp side plus ICE, DTLS and SRTP per call).
//
// Environment: CALLS_SETUP (default 200), CALLS_CONCURRENCY (default 10), CALLS_MEDIA
// (default 50), MEDIA_SECONDS (default 5).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import {
  DtlsCertificate,
  DtlsConnection,
  StunAttr,
  StunMethod,
  StunWriter,
  shortTermKey,
  stunMessageType,
} from '@callbridge/webrtc';
import { SrtpContext, srtpProfileByDtlsId } from '@callbridge/srtp';

const LOOPBACK = '127.0.0.1';
const SETUP_CALLS = Number(process.env.CALLS_SETUP ?? 200);
const CONCURRENCY = Number(process.env.CALLS_CONCURRENCY ?? 10);
const MEDIA_CALLS = Number(process.env.CALLS_MEDIA ?? 50);
const MEDIA_SECONDS = Number(process.env.MEDIA_SECONDS ?? 5);
const CLOCK_TICKS = 100; // USER_HZ on Linux
const cli = fileURLToPath(new URL('../packages/gateway/dist/cli.js', import.meta.url));
const certificate = DtlsCertificate.generate();

function freeTcpPort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function startGatewayProcess() {
  const port = await freeTcpPort();
  const child = spawn(
    process.execPath,
    [
      cli,
      '--listen-host',
      LOOPBACK,
      '--listen-port',
      String(port),
      '--log-level',
      'error',
      // The bench is one client: lift the per-source limits meant for abuse.
      '--limits-call-attempts-per-minute',
      '1000000',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      output += chunk;
      if (output.includes('open http')) resolve();
    });
    child.once('exit', () => reject(new Error(`gateway exited: ${output}`)));
  });
  return { child, url: `ws://${LOOPBACK}:${port}/ws`, port };
}

/** One WebSocket session of alice with request/response and event waiters. */
async function openSession(url) {
  const ws = new WebSocket(url, 'callbridge.v1');
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const waiters = new Map();
  let next = 0;
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    const key =
      message.requestId ??
      (message.type === 'call.status' ? `${message.callId}:${message.status}` : undefined);
    const waiter = key && waiters.get(key);
    if (waiter) {
      waiters.delete(key);
      waiter(message);
    }
    if (
      message.type === 'call.status' &&
      (message.status === 'FAILED' || message.status === 'BUSY')
    ) {
      const established = waiters.get(`${message.callId}:ESTABLISHED`);
      if (established) established(message);
    }
  });
  const wait = (key) => new Promise((resolve) => waiters.set(key, resolve));
  const request = (message) => {
    const requestId = `q${next++}`;
    const answer = wait(requestId);
    ws.send(JSON.stringify({ ...message, requestId }));
    return answer;
  };
  const registered = wait('session:REGISTERED');
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.type === 'session.status' && message.status === 'REGISTERED') {
      waiters.get('session:REGISTERED')?.(message);
    }
  });
  await request({
    type: 'session.connect',
    protocolVersion: 1,
    sipOptions: { login: 'alice', password: 'alice-demo', domain: 'demo.callbridge.local' },
  });
  await registered;
  return { ws, request, wait };
}

/** The browser side of one call: a UDP socket, ICE controlling checks, DTLS server, SRTP. */
class BrowserLeg {
  constructor() {
    this.ufrag = randomBytes(4).toString('hex');
    this.pwd = randomBytes(12).toString('hex');
    this.socket = createSocket('udp4');
    this.received = 0;
  }

  async open() {
    await new Promise((resolve) => this.socket.bind(0, LOOPBACK, resolve));
    this.port = this.socket.address().port;
    return this;
  }

  offer() {
    const fp = certificate.fingerprint();
    return [
      'v=0',
      `o=- ${Date.now()} 1 IN IP4 ${LOOPBACK}`,
      's=-',
      't=0 0',
      'a=group:BUNDLE 0',
      `m=audio ${this.port} UDP/TLS/RTP/SAVPF 0`,
      `c=IN IP4 ${LOOPBACK}`,
      'a=rtpmap:0 PCMU/8000',
      'a=mid:0',
      'a=sendrecv',
      'a=rtcp-mux',
      `a=ice-ufrag:${this.ufrag}`,
      `a=ice-pwd:${this.pwd}`,
      `a=fingerprint:${fp.algorithm} ${fp.value}`,
      'a=setup:actpass',
      `a=candidate:1 1 udp 2130706431 ${LOOPBACK} ${this.port} typ host`,
      'a=end-of-candidates',
      'a=ssrc:1234 cname:bench',
      '',
    ].join('\r\n');
  }

  /** Applies the gateway's answer: checks, then DTLS (we are the server: it answered active). */
  connect(answer) {
    const ufrag = /a=ice-ufrag:(\S+)/.exec(answer)[1];
    const pwd = /a=ice-pwd:(\S+)/.exec(answer)[1];
    const port = Number(/a=candidate:\S+ 1 udp \d+ \S+ (\d+)/.exec(answer)[1]);
    const setup = /a=setup:(\S+)/.exec(answer)[1];
    this.remotePort = port;
    this.dtls = new DtlsConnection({
      role: setup === 'active' ? 'server' : 'client',
      certificate,
      send: (d) => this.socket.send(d, port, LOOPBACK),
    });
    this.socket.on('message', (m) => {
      if (m[0] >= 20 && m[0] <= 63) this.dtls.handleDatagram(new Uint8Array(m));
      else if (m[0] >= 128 && m[0] <= 191) this.received++;
    });
    const check = new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
      .addText(StunAttr.Username, `${ufrag}:${this.ufrag}`)
      .addUint32(StunAttr.Priority, 1853824767)
      .addUint64(StunAttr.IceControlling, BigInt(Date.now()))
      .addFlag(StunAttr.UseCandidate)
      .addMessageIntegrity(shortTermKey(pwd))
      .addFingerprint()
      .finish()
      .slice();
    const connected = new Promise((resolve, reject) => {
      this.dtls.once('connected', resolve);
      this.dtls.once('failed', reject);
    });
    this.socket.send(check, port, LOOPBACK);
    this.dtls.start();
    return connected;
  }

  /** Sends 20 ms PCMU packets (silence-free noise) until stopped. */
  startMedia() {
    const keys = this.dtls.srtpKeys();
    const srtp = new SrtpContext({
      profile: srtpProfileByDtlsId(keys.profile.id),
      masterKey: keys.localMasterKey,
      masterSalt: keys.localMasterSalt,
    });
    const rtp = new Uint8Array(172);
    const view = new DataView(rtp.buffer);
    rtp[0] = 0x80;
    view.setUint32(8, 1234);
    let seq = 0;
    const out = new Uint8Array(200);
    this.timer = setInterval(() => {
      view.setUint16(2, seq & 0xffff);
      view.setUint32(4, seq * 160);
      for (let i = 12; i < 172; i++) rtp[i] = (seq + i) & 0x7f;
      seq++;
      const length = srtp.protectRtpInto(rtp, out, 0);
      this.socket.send(out.subarray(0, length), this.remotePort, LOOPBACK);
    }, 20);
  }

  close() {
    clearInterval(this.timer);
    this.dtls?.close();
    this.socket.close();
  }
}

async function placeCall(session, callId) {
  const leg = await new BrowserLeg().open();
  const established = session.wait(`${callId}:ESTABLISHED`);
  await session.request({
    type: 'call.create',
    callId,
    callee: '100',
    audio: true,
    video: false,
    sdp: { type: 'offer', sdp: leg.offer() },
  });
  const t0 = performance.now();
  const status = await established;
  if (process.env.BENCH_TRACE) console.error('established', (performance.now() - t0).toFixed(0));
  if (status.status !== 'ESTABLISHED') {
    leg.close();
    throw new Error(`call ${callId}: ${status.status} ${JSON.stringify(status.failure)}`);
  }
  const t1 = performance.now();
  await leg.connect(status.sdp.sdp);
  if (process.env.BENCH_TRACE) console.error('dtls', (performance.now() - t1).toFixed(0));
  return leg;
}

async function hangup(session, callId, leg) {
  const finished = session.wait(`${callId}:FINISH`);
  const t0 = performance.now();
  await session.request({ type: 'call.hangup', callId });
  await finished;
  if (process.env.BENCH_TRACE) console.error('hangup', (performance.now() - t0).toFixed(0));
  leg.close();
}

async function setupRate(session) {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < SETUP_CALLS) {
      const callId = `s${next++}`;
      const leg = await placeCall(session, callId);
      await hangup(session, callId, leg);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return SETUP_CALLS / ((performance.now() - start) / 1000);
}

async function mediaLoad(session, pid) {
  const legs = [];
  for (let i = 0; i < MEDIA_CALLS; i++) legs.push(await placeCall(session, `m${i}`));
  for (const leg of legs) leg.startMedia();
  await new Promise((r) => setTimeout(r, 1000));
  const received0 = legs.reduce((s, l) => s + l.received, 0);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MEDIA_SECONDS * 1000));
  const cpu = cpuSeconds(pid) - cpu0;
  const seconds = (performance.now() - t0) / 1000;
  const received = legs.reduce((s, l) => s + l.received, 0) - received0;
  for (let i = 0; i < legs.length; i++) await hangup(session, `m${i}`, legs[i]);
  const load = cpu / seconds;
  return {
    load,
    perCore: MEDIA_CALLS / load,
    echoedPerCallPerSecond: received / seconds / MEDIA_CALLS,
  };
}

function sippBaseline() {
  if (spawnSync('sh', ['-c', 'command -v sipp']).status !== 0) return undefined;
  const uasPort = 15000 + Math.floor(Math.random() * 1000);
  const uas = spawn('sipp', ['-sn', 'uas', '-i', LOOPBACK, '-p', String(uasPort), '-nostdin'], {
    stdio: 'ignore',
  });
  const calls = 2000;
  const start = performance.now();
  const uac = spawnSync(
    'sipp',
    [
      '-sn',
      'uac',
      `${LOOPBACK}:${uasPort}`,
      '-i',
      LOOPBACK,
      '-p',
      String(uasPort + 1),
      '-m',
      String(calls),
      '-r',
      '1000',
      '-l',
      '200',
      '-d',
      '0',
      '-timeout',
      '30',
      '-nostdin',
    ],
    { stdio: 'ignore' },
  );
  const seconds = (performance.now() - start) / 1000;
  uas.kill('SIGKILL');
  return uac.status === 0 ? calls / seconds : undefined;
}

const gateway = await startGatewayProcess();
try {
  const session = await openSession(gateway.url);
  const rate = await setupRate(session);
  const media = await mediaLoad(session, gateway.child.pid);
  const sipp = sippBaseline();
  console.log('| measure | value | baseline | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(
    `| calls set up per second (browser↔demo phone, ${CONCURRENCY} at a time, ICE+DTLS+SIP) | ${rate.toFixed(1)} | ${sipp ? `SIPp uac→uas ${sipp.toFixed(0)}/s (SIP only, at 1000/s offered)` : 'SIPp not installed'} | ${sipp ? (rate / sipp).toFixed(3) : '–'} |`,
  );
  console.log(
    `| gateway CPU with ${MEDIA_CALLS} calls, PCMU relay both ways (the demo echo phone runs in the same process) | ${(media.load * 100).toFixed(1)} % of a core | | |`,
  );
  console.log(`| concurrent calls with media per core | ${media.perCore.toFixed(0)} | | |`);
  console.log(
    `| echoed packets per call per second at the browser side | ${media.echoedPerCallPerSecond.toFixed(1)} | 50 sent | ${(media.echoedPerCallPerSecond / 50).toFixed(2)} |`,
  );
  session.ws.close();
} finally {
  gateway.child.kill('SIGTERM');
}
