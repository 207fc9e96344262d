// Load through the gateway's SIP side: SIPp as the phone (conformance/sipp/uas-echo.xml, media
// echoed by -rtp_echo) and many emulated browsers built from this project's own WebRTC code
// (@callbridge/webrtc ICE/STUN and DTLS, @callbridge/srtp) speaking the gateway's WebSocket
// protocol. Used by `npm run bench -- gateway` against the built CLI and by a vitest smoke test
// against the gateway in-process, so the harness the numbers come from is itself tested.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, WEBSOCKET_SUBPROTOCOL } from '@callbridge/client';
import { SipServer, UdpTransport } from '@callbridge/sip';
import { freePort, startProcess, tempDir } from '@callbridge/testkit';
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
const scenario = (name) =>
  fileURLToPath(new URL(`../../conformance/sipp/${name}`, import.meta.url));
const UAS_SCENARIO = scenario('uas-echo.xml');
const UAC_SCENARIO = scenario('uac-echo.xml');

/** The codecs the SIPp phone can answer with: exactly one each. */
const PHONE_CODECS = {
  PCMU: { pt: '0', rtpmap: 'PCMU/8000', fmtp: 'vad=no' },
  G729: { pt: '18', rtpmap: 'G729/8000', fmtp: 'annexb=no' },
};

/** SIPp's statistics: every second as CSV (its screen goes to a pipe only when it exits). */
const SIPP_STATISTICS = (file) => ['-trace_stat', '-stf', file, '-fd', '1'];

/** A column of the latest line of a SIPp statistics file. */
function sippStatistic(file, name) {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const column = lines[0].split(';').indexOf(name);
  return Number(lines.at(-1).split(';')[column]);
}

/** Whether a UDP port on 127.0.0.1 can be bound right now. */
function udpPortFree(port) {
  return new Promise((resolve) => {
    const probe = createSocket('udp4');
    probe.once('error', () => resolve(false));
    probe.bind(port, LOOPBACK, () => probe.close(() => resolve(true)));
  });
}

/** A free port P with P + 2 free too: SIPp's -rtp_echo binds both (audio and video echo). */
async function echoPortPair() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (port < 65534 && (await udpPortFree(port + 2))) return port;
  }
  throw new Error('no free UDP port pair for the SIPp RTP echo');
}

/**
 * SIPp as a phone that answers every call with one codec and echoes its RTP. Its messages are
 * traced to a file, so tests can read the SDP it was offered and answered.
 */
export async function startSippPhone({ codec = 'PCMU' } = {}) {
  const chosen = PHONE_CODECS[codec];
  if (!chosen) throw new RangeError(`no SIPp phone for ${codec}`);
  const dir = tempDir('sipp');
  const sipPort = await freePort();
  const rtpPort = await echoPortPair();
  const process = await startProcess(
    'sipp',
    [
      '-sf',
      UAS_SCENARIO,
      '-i',
      LOOPBACK,
      '-p',
      String(sipPort),
      '-mi',
      LOOPBACK,
      '-mp',
      String(rtpPort),
      '-rtp_echo',
      '-key',
      'pt',
      chosen.pt,
      '-key',
      'rtpmap',
      chosen.rtpmap,
      '-key',
      'fmtp',
      chosen.fmtp,
      // Enough for the bench: the default limit (3 × the call rate) would cap open calls.
      '-l',
      '100000',
      '-trace_msg',
      '-message_file',
      dir.file('messages.log'),
      ...SIPP_STATISTICS(dir.file('stats.csv')),
      '-nostdin',
    ],
    { cwd: dir.path, readyCheck: async () => existsSync(dir.file('stats.csv')) },
  );
  const statistic = (name) => sippStatistic(dir.file('stats.csv'), name);
  return {
    codec,
    sipPort,
    rtpPort,
    address: `${LOOPBACK}:${sipPort}`,
    process,
    /** Calls SIPp holds open (its statistics, refreshed every second). */
    openCalls: () => statistic('CurrentCall'),
    /** Calls that ran the scenario to its end (BYE received and answered). */
    successfulCalls: () => statistic('SuccessfulCall(C)'),
    /** Calls that failed in SIPp (unexpected message, timeout, …). */
    failedCalls: () => statistic('FailedCall(C)'),
    /** The SIP messages SIPp sent and received so far. */
    messages() {
      try {
        return readFileSync(dir.file('messages.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      await process.stop();
      dir.remove();
    },
  };
}

/** Gateway settings (CLI flags) for a SIP side that is the SIPp phone, with no demo. */
export function gatewayArgs(phone, extra = []) {
  return [
    '--sip-domain',
    LOOPBACK,
    '--sip-outbound-proxy',
    phone.address,
    '--demo-enabled',
    'false',
    // One source opens every session and call: lift the per-source limits meant for abuse.
    '--limits-ws-connects-per-minute',
    '1000000',
    '--limits-logins-per-minute',
    '1000000',
    '--limits-call-attempts-per-minute',
    '1000000',
    ...extra,
  ];
}

/**
 * This project's registrar and record-routing proxy (@callbridge/sip SipServer) on 127.0.0.1, for
 * calls into browser sessions: their accounts register there, and SIPp calls them through it.
 */
export async function startRegistrar() {
  const server = new SipServer({
    transports: [await UdpTransport.create({ address: LOOPBACK })],
    domains: [LOOPBACK],
  });
  return {
    address: `${LOOPBACK}:${server.transports.transport('udp').local.port}`,
    close: () => server.close(),
  };
}

/**
 * SIPp calling browser sessions through `registrar` (conformance/sipp/uac-echo.xml): `calls`
 * calls at `rate` per second spread over `callees` (account names), each held `holdMs` with its
 * media echoed. `finished` resolves with SIPp's exit code and its successful and failed calls.
 */
export async function startSippCaller({ registrar, callees, calls, rate, holdMs }) {
  const dir = tempDir('sipp-caller');
  writeFileSync(dir.file('callees.csv'), ['SEQUENTIAL', ...callees.map((c) => `${c};`)].join('\n'));
  const sipPort = await freePort();
  const rtpPort = await echoPortPair();
  const stats = dir.file('stats.csv');
  const process = await startProcess(
    'sipp',
    [
      ...['-sf', UAC_SCENARIO, '-inf', dir.file('callees.csv')],
      ...['-i', LOOPBACK, '-p', String(sipPort), '-mi', LOOPBACK, '-mp', String(rtpPort)],
      '-rtp_echo',
      ...['-d', String(holdMs), '-m', String(calls), '-r', String(rate), '-l', '100000'],
      ...['-timeout', '120', ...SIPP_STATISTICS(stats), '-nostdin', registrar.address],
    ],
    { cwd: dir.path, readyCheck: async () => existsSync(stats) },
  );
  const finished = new Promise((resolve) => {
    const done = (code) =>
      resolve({
        code,
        successful: sippStatistic(stats, 'SuccessfulCall(C)'),
        failed: sippStatistic(stats, 'FailedCall(C)'),
      });
    if (process.child.exitCode !== null) done(process.child.exitCode);
    else process.child.once('exit', done);
  });
  return {
    process,
    finished,
    async stop() {
      await process.stop();
      dir.remove();
    },
  };
}

/**
 * One browser tab: a WebSocket session bound to an account; its calls go to `outboundProxy` when
 * given, else to the gateway's configured one. With `register` it registers there (to be called).
 */
export async function openSession(url, login, { outboundProxy, register = false } = {}) {
  const ws = new WebSocket(url, WEBSOCKET_SUBPROTOCOL);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const waiters = new Map();
  let next = 0;
  /** Resolves with the message for `key`; rejects after `timeoutMs` so a lost event fails loudly. */
  const wait = (key, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(key);
        reject(new Error(`no ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.set(key, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    let key = message.requestId;
    if (message.type === 'call.status') key = `${message.callId}:${message.status}`;
    if (message.type === 'session.status') key = `session:${message.status}`;
    const waiter = key !== undefined && waiters.get(key);
    if (waiter) {
      waiters.delete(key);
      waiter(message);
    }
    // A call that ends otherwise never establishes, or never finishes: wake whoever waits.
    if (message.type === 'call.status' && ['FAILED', 'BUSY', 'FINISH'].includes(message.status)) {
      for (const status of ['ESTABLISHED', 'FINISH']) {
        const waiter = waiters.get(`${message.callId}:${status}`);
        if (waiter) {
          waiters.delete(`${message.callId}:${status}`);
          waiter(message);
        }
      }
    }
  });
  const request = (message) => {
    const requestId = `q${next++}`;
    const answer = wait(requestId);
    ws.send(JSON.stringify({ ...message, requestId }));
    return answer;
  };
  const ready = wait(register ? 'session:REGISTERED' : 'session:ESTABLISHED');
  const connected = await request({
    type: 'session.connect',
    protocolVersion: PROTOCOL_VERSION,
    sipOptions: {
      login,
      password: `${login}-secret`,
      domain: LOOPBACK,
      registerRequired: register,
      ...(outboundProxy ? { outboundProxy } : {}),
    },
  });
  if (connected.type === 'error') throw new Error(`session.connect: ${JSON.stringify(connected)}`);
  await ready;
  return {
    request,
    wait,
    /** Calls `listener` with every message the gateway sends (after the waiters). */
    onMessage: (listener) => ws.on('message', (data) => listener(JSON.parse(data.toString()))),
    /** Ends the session (its calls hung up, its account unregistered); the gateway closes. */
    close: () =>
      new Promise((resolve) => {
        const fallback = setTimeout(() => ws.close(), 5000);
        ws.once('close', () => {
          clearTimeout(fallback);
          resolve();
        });
        ws.send(JSON.stringify({ type: 'session.disconnect', requestId: 'bye' }));
      }),
  };
}

let sharedCertificate;
function certificate() {
  sharedCertificate ??= DtlsCertificate.generate();
  return sharedCertificate;
}

const PAYLOAD_BYTES = 160; // 20 ms of PCMU
const RTP_HEADER = 12;

/**
 * The browser side of one call, as a browser does it: an actpass offer with one host candidate,
 * ICE connectivity check as the controlling agent (USE-CANDIDATE), DTLS in the role the answer
 * leaves us, then SRTP. Received SRTP is counted, and every `verifyEvery`-th packet is decrypted
 * and checked to be our own PCMU coming back (the payload is a ramp that survives the relay).
 * `timestampSkewMs` shifts the RTP timestamp of every other packet, for jitter measurements.
 */
export class EmulatedBrowserCall {
  constructor(verifyEvery = 1, timestampSkewMs = 0) {
    this.verifyEvery = verifyEvery;
    this.timestampSkew = timestampSkewMs * 8;
    this.ufrag = randomBytes(4).toString('hex');
    this.pwd = randomBytes(12).toString('hex');
    this.ssrc = randomBytes(4).readUInt32BE(0);
    this.tieBreaker = randomBytes(8).readBigUInt64BE(0);
    this.socket = createSocket('udp4');
    this.received = 0;
    this.echoed = 0;
    this.sent = 0;
    this.sequence = 0;
    this.rtp = new Uint8Array(RTP_HEADER + PAYLOAD_BYTES);
    this.srtp = new Uint8Array(RTP_HEADER + PAYLOAD_BYTES + 64);
    this.plain = new Uint8Array(RTP_HEADER + PAYLOAD_BYTES + 64);
  }

  async open() {
    await new Promise((resolve) => this.socket.bind(0, LOOPBACK, resolve));
    this.port = this.socket.address().port;
    return this;
  }

  /** Our offer, as a browser makes it: PCMU, setup:actpass, our one host candidate. */
  offer() {
    return this.#description('actpass', '0');
  }

  /** Our answer to the gateway's offer: PCMU, DTLS client (setup:active, RFC 5763 §5). */
  answerTo(offer) {
    return this.#description('active', /^a=mid:(\S+)/m.exec(offer)?.[1] ?? '0');
  }

  #description(setup, mid) {
    const fp = certificate().fingerprint();
    return [
      'v=0',
      `o=- ${Date.now()} 1 IN IP4 ${LOOPBACK}`,
      's=-',
      't=0 0',
      `a=group:BUNDLE ${mid}`,
      `m=audio ${this.port} UDP/TLS/RTP/SAVPF 0`,
      `c=IN IP4 ${LOOPBACK}`,
      'a=rtpmap:0 PCMU/8000',
      `a=mid:${mid}`,
      'a=sendrecv',
      'a=rtcp-mux',
      `a=ice-ufrag:${this.ufrag}`,
      `a=ice-pwd:${this.pwd}`,
      `a=fingerprint:${fp.algorithm} ${fp.value}`,
      `a=setup:${setup}`,
      `a=candidate:1 1 udp 2130706431 ${LOOPBACK} ${this.port} typ host`,
      'a=end-of-candidates',
      `a=ssrc:${this.ssrc} cname:load`,
      '',
    ].join('\r\n');
  }

  /**
   * Applies the gateway's description (its answer, or the offer we answered): connectivity
   * check, then DTLS; resolves when SRTP is keyed.
   */
  connect(answer) {
    const ufrag = /a=ice-ufrag:(\S+)/.exec(answer)[1];
    const pwd = /a=ice-pwd:(\S+)/.exec(answer)[1];
    const port = Number(/a=candidate:\S+ 1 udp \d+ \S+ (\d+)/.exec(answer)[1]);
    const setup = /a=setup:(\S+)/.exec(answer)[1];
    this.remotePort = port;
    this.dtls = new DtlsConnection({
      // RFC 5763 §5: an active peer makes us the server; passive, or actpass in the offer we
      // answered with active, makes us the client.
      role: setup === 'active' ? 'server' : 'client',
      certificate: certificate(),
      send: (d) => this.socket.send(d, port, LOOPBACK),
    });
    this.socket.on('message', (m) => this.#onDatagram(m));
    // RFC 8445 §7.2.4 connectivity check as the controlling agent, nominating at once.
    const check = () =>
      new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
        .addText(StunAttr.Username, `${ufrag}:${this.ufrag}`)
        .addUint32(StunAttr.Priority, 1853824767)
        .addUint64(StunAttr.IceControlling, this.tieBreaker)
        .addFlag(StunAttr.UseCandidate)
        .addMessageIntegrity(shortTermKey(pwd))
        .addFingerprint()
        .finish()
        .slice();
    const connected = new Promise((resolve, reject) => {
      this.dtls.once('connected', resolve);
      this.dtls.once('failed', reject);
    });
    this.socket.send(check(), port, LOOPBACK);
    // RFC 7675: consent checks every 5 s keep the gateway sending (it stops after 30 s without).
    this.consentTimer = setInterval(() => this.socket.send(check(), port, LOOPBACK), 5000);
    this.dtls.start();
    return connected.then(() => this.#keySrtp());
  }

  #keySrtp() {
    const keys = this.dtls.srtpKeys();
    const profile = srtpProfileByDtlsId(keys.profile.id);
    this.sendContext = new SrtpContext({
      profile,
      masterKey: keys.localMasterKey,
      masterSalt: keys.localMasterSalt,
    });
    this.receiveContext = new SrtpContext({
      profile,
      masterKey: keys.remoteMasterKey,
      masterSalt: keys.remoteMasterSalt,
    });
    const view = new DataView(this.rtp.buffer);
    this.rtp[0] = 0x80;
    view.setUint32(8, this.ssrc);
  }

  #onDatagram(m) {
    const first = m[0];
    if (first >= 20 && first <= 63) {
      this.dtls.handleDatagram(new Uint8Array(m));
      return;
    }
    // RFC 5761 §4: RTCP packet types 200–204 share the port (rtcp-mux); count RTP only.
    if (first < 128 || first > 191 || (m[1] >= 200 && m[1] <= 204)) return;
    this.received++;
    if (!this.receiveContext || this.received % this.verifyEvery !== 0) return;
    try {
      const length = this.receiveContext.unprotectRtpInto(m, this.plain, 0);
      if (length === RTP_HEADER + PAYLOAD_BYTES && isRamp(this.plain, RTP_HEADER, length)) {
        this.echoed++;
      }
    } catch {
      // Not ours or not authentic: it is simply not counted as echoed.
    }
  }

  /** Sends one 20 ms SRTP packet (payload: a ramp starting at the sequence number). */
  sendPacket() {
    if (!this.sendContext) return;
    const view = new DataView(this.rtp.buffer);
    const seq = this.sequence++;
    view.setUint16(2, seq & 0xffff);
    // With a skew, every other packet's timestamp is late by it: jitter the receiver can measure.
    const skew = seq % 2 === 1 ? this.timestampSkew : 0;
    view.setUint32(4, (seq * PAYLOAD_BYTES + skew) >>> 0);
    for (let i = 0; i < PAYLOAD_BYTES; i++) this.rtp[RTP_HEADER + i] = (seq + i) & 0x7f;
    const length = this.sendContext.protectRtpInto(this.rtp, this.srtp, 0);
    this.socket.send(this.srtp.subarray(0, length), this.remotePort, LOOPBACK);
    this.sent++;
  }

  close() {
    clearInterval(this.consentTimer);
    this.dtls?.close();
    return new Promise((resolve) => this.socket.close(resolve));
  }
}

/** Whether each payload byte is one more than the previous (mod 128): our ramp, echoed. */
function isRamp(bytes, start, end) {
  for (let i = start + 1; i < end; i++) {
    if (((bytes[i] - bytes[i - 1]) & 0x7f) !== 1) return false;
  }
  return true;
}

/**
 * Answers every incoming call of `sessions` as a browser does (RFC 5763 §5: the answerer takes
 * the DTLS client role, setup:active), connects ICE and DTLS, and sends media until the call
 * ends. The returned tally counts answered, connected and finished calls and media totals.
 */
export function answerIncomingCalls(sessions, { verifyEvery = 1 } = {}) {
  const live = new Map();
  const tally = { answered: 0, connected: 0, finished: 0, failed: 0, sent: 0, echoed: 0 };
  const timer = setInterval(() => {
    for (const call of live.values()) call.sendPacket();
  }, 20);
  const end = async (callId) => {
    const call = live.get(callId);
    if (!call) return;
    live.delete(callId);
    tally.sent += call.sent;
    tally.echoed += call.echoed;
    await call.close();
  };
  for (const session of sessions) {
    session.onMessage(async (message) => {
      if (message.type === 'call.status' && ['FINISH', 'FAILED'].includes(message.status)) {
        if (message.status === 'FINISH') tally.finished++;
        else tally.failed++;
        await end(message.callId);
        return;
      }
      if (message.type !== 'call.incoming') return;
      const call = await new EmulatedBrowserCall(verifyEvery).open();
      live.set(message.callId, call);
      const offer = message.sdp.sdp;
      const answered = await session.request({
        type: 'call.answer',
        callId: message.callId,
        sdp: { type: 'answer', sdp: call.answerTo(offer) },
      });
      if (answered.type === 'error') return;
      tally.answered++;
      try {
        await call.connect(offer);
        tally.connected++;
      } catch {
        // The call ended before DTLS finished: counted by its final status.
      }
    });
  }
  return {
    tally,
    /** Calls still up, on the browser side. */
    get live() {
      return live.size;
    },
    stop: () => clearInterval(timer),
  };
}

/** Sends 20 ms packets on every call from one timer (cheaper for the load client than many). */
export function startMedia(calls) {
  const timer = setInterval(() => {
    for (const call of calls) call.sendPacket();
  }, 20);
  return () => clearInterval(timer);
}

/** Places one call to `callee` from a session; resolves once SRTP is keyed both ways. */
export async function placeCall(session, callId, callee, verifyEvery = 1, timestampSkewMs = 0) {
  const call = await new EmulatedBrowserCall(verifyEvery, timestampSkewMs).open();
  const established = session.wait(`${callId}:ESTABLISHED`);
  const created = await session.request({
    type: 'call.create',
    callId,
    callee,
    audio: true,
    video: false,
    sdp: { type: 'offer', sdp: call.offer() },
  });
  const status = created.type === 'error' ? created : await established;
  if (status.status !== 'ESTABLISHED') {
    await call.close();
    throw new Error(`call ${callId}: ${JSON.stringify(status)}`);
  }
  await call.connect(status.sdp.sdp);
  return call;
}

/** Hangs up from the browser side and waits for FINISH. */
export async function hangup(session, callId, call) {
  const finished = session.wait(`${callId}:FINISH`);
  await session.request({ type: 'call.hangup', callId });
  await finished;
  await call.close();
}

/**
 * Calls set up and torn down as fast as `concurrency` workers spread over the sessions can:
 * each call is ESTABLISHED with DTLS done, then hung up. Returns calls per second.
 */
export async function setupRate({ sessions, callee, calls, concurrency, prefix = 's' }) {
  let next = 0;
  const start = performance.now();
  const worker = async (w) => {
    const session = sessions[w % sessions.length];
    while (next < calls) {
      const callId = `${prefix}${next++}`;
      const call = await placeCall(session, callId, callee, 1);
      await hangup(session, callId, call);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return calls / ((performance.now() - start) / 1000);
}

/**
 * `calls` concurrent calls with PCMU both ways (relayed by the gateway, echoed by SIPp): sets
 * them up, starts media, and hands back what the caller needs to measure and to end them.
 */
export async function establishMediaCalls({
  sessions,
  callee,
  calls,
  verifyEvery,
  timestampSkewMs = 0,
  prefix = 'm',
}) {
  const established = [];
  const batch = 10;
  for (let i = 0; i < calls; i += batch) {
    const ids = Array.from({ length: Math.min(batch, calls - i) }, (_, k) => i + k);
    established.push(
      ...(await Promise.all(
        ids.map(async (n) => {
          const session = sessions[n % sessions.length];
          const callId = `${prefix}${n}`;
          const call = await placeCall(session, callId, callee, verifyEvery, timestampSkewMs);
          return { session, callId, call };
        }),
      )),
    );
  }
  const stopMedia = startMedia(established.map((e) => e.call));
  const totals = () => ({
    sent: established.reduce((s, e) => s + e.call.sent, 0),
    received: established.reduce((s, e) => s + e.call.received, 0),
    echoed: established.reduce((s, e) => s + e.call.echoed, 0),
    callsWithEcho: established.filter((e) => e.call.echoed > 0).length,
  });
  return {
    calls: established,
    totals,
    async hangupAll() {
      stopMedia();
      await Promise.all(established.map((e) => hangup(e.session, e.callId, e.call)));
    },
  };
}

/** CPU seconds (user + system) a process has used, from /proc (USER_HZ = 100 on Linux). */
export function processCpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process in bytes, from /proc. */
export function processRssBytes(pid) {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}
