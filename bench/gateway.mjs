#!/usr/bin/env node
// `npm run bench -- gateway`: load through the gateway's SIP side. The gateway runs as its own
// process (the built CLI, no demo) with SIPp as the phone behind it (conformance/sipp/
// uas-echo.xml: answers with PCMU, echoes RTP with -rtp_echo); the browsers are emulated by this
// project's own WebRTC code (bench/lib/gateway-load.mjs: ICE/STUN, DTLS, SRTP from
// @callbridge/webrtc and @callbridge/srtp) over the WebSocket protocol, SESSIONS sessions.
//   1. Calls set up per second: call.create until ESTABLISHED and DTLS done, then hang up;
//      CALLS_CONCURRENCY calls at a time.
//   2. Concurrent calls with media: CALLS_MEDIA calls with PCMU both ways (20 ms packets, relayed
//      by the gateway, echoed by SIPp); the gateway's CPU time over MEDIA_SECONDS gives calls
//      with media per core, its resident memory before and during gives memory per call.
//   3. Transcoded media: CALLS_TRANSCODE calls to a second SIPp phone that answers G.729 only
//      (the emulated browsers send PCMU, so the gateway runs PCMU ⇄ G.729 both ways per call).
//   4. Calls into browser sessions: SIPp calls CALLS_INCOMING times at INCOMING_RATE per second
//      through this project's registrar (conformance/sipp/uac-echo.xml, media echoed, held 1 s)
//      to emulated browsers that registered and answer (DTLS client role).
//   5. Leaks: calls SIPp still holds and the gateway's resident memory after hanging up.
// Baseline in the same run: SIPp UAC→UAS calls per second on this machine (the gateway does
// twice the SIP work of one SIPp side plus ICE, DTLS and SRTP per call).
//
// Environment: CALLS_SETUP (default 300), CALLS_CONCURRENCY (default 20), CALLS_MEDIA
// (default 200), CALLS_TRANSCODE (default 30), MEDIA_SECONDS (default 10), SESSIONS (default 10),
// CALLS_INCOMING (default 300), INCOMING_RATE (default 100).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@callbridge/testkit';
import {
  answerIncomingCalls,
  establishMediaCalls,
  gatewayArgs,
  openSession,
  processCpuSeconds,
  processRssBytes,
  setupRate,
  startRegistrar,
  startSippCaller,
  startSippPhone,
} from './lib/gateway-load.mjs';

const LOOPBACK = '127.0.0.1';
const SETUP_CALLS = Number(process.env.CALLS_SETUP ?? 300);
const CONCURRENCY = Number(process.env.CALLS_CONCURRENCY ?? 20);
const MEDIA_CALLS = Number(process.env.CALLS_MEDIA ?? 200);
const TRANSCODE_CALLS = Number(process.env.CALLS_TRANSCODE ?? 30);
const MEDIA_SECONDS = Number(process.env.MEDIA_SECONDS ?? 10);
const SESSIONS = Number(process.env.SESSIONS ?? 10);
const INCOMING_CALLS = Number(process.env.CALLS_INCOMING ?? 300);
const INCOMING_RATE = Number(process.env.INCOMING_RATE ?? 100);
const INCOMING_HOLD_MS = 1000;
const cli = fileURLToPath(new URL('../packages/gateway/dist/cli.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startGatewayProcess(phone) {
  const port = await freePort('tcp');
  const child = spawn(
    process.execPath,
    [
      cli,
      ...gatewayArgs(phone, [
        '--listen-host',
        LOOPBACK,
        '--listen-port',
        String(port),
        '--log-level',
        'error',
        '--media-sip-codecs',
        'PCMU,PCMA,G722,opus,G729,telephone-event',
      ]),
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
  return { child, url: `ws://${LOOPBACK}:${port}/ws` };
}

function sippBaseline() {
  const uasPort = 15000 + Math.floor(Math.random() * 1000);
  const uas = spawn('sipp', ['-sn', 'uas', '-i', LOOPBACK, '-p', String(uasPort), '-nostdin'], {
    stdio: 'ignore',
  });
  const calls = 2000;
  const start = performance.now();
  const uac = spawnSync(
    'sipp',
    [
      ...['-sn', 'uac', `${LOOPBACK}:${uasPort}`, '-i', LOOPBACK, '-p', String(uasPort + 1)],
      ...['-m', String(calls), '-r', '1000', '-l', '200', '-d', '0', '-timeout', '30', '-nostdin'],
    ],
    { stdio: 'ignore' },
  );
  const seconds = (performance.now() - start) / 1000;
  uas.kill('SIGKILL');
  // Exit status 1: some calls failed (retransmission timeouts when the machine is busy); the
  // rate of calls handled still stands.
  return uac.status === 0 || uac.status === 1 ? calls / seconds : undefined;
}

/**
 * `calls` concurrent calls with media from `sessions`: the gateway's CPU share over
 * MEDIA_SECONDS, its resident memory before and during, packets back per call, then hang-up.
 */
async function mediaLoad(sessions, calls, prefix) {
  const rssIdle = processRssBytes(pid);
  const media = await establishMediaCalls({
    sessions,
    callee: 'phone',
    calls,
    verifyEvery: 25,
    prefix,
  });
  await sleep(1000);
  const before = media.totals();
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  await sleep(MEDIA_SECONDS * 1000);
  const cpu = processCpuSeconds(pid) - cpu0;
  const seconds = (performance.now() - t0) / 1000;
  const after = media.totals();
  const rssWithCalls = processRssBytes(pid);
  await media.hangupAll();
  return {
    calls,
    load: cpu / seconds,
    rssIdle,
    rssWithCalls,
    sentPerCallSecond: (after.sent - before.sent) / seconds / calls,
    receivedPerCallSecond: (after.received - before.received) / seconds / calls,
    callsWithEcho: after.callsWithEcho,
  };
}

const INCOMING_SESSIONS = 5;

/** SIPp calls registered browser sessions through this project's registrar. */
async function incomingLoad() {
  const registrar = await startRegistrar();
  const callees = Array.from({ length: INCOMING_SESSIONS }, (_, i) => `in${i}`);
  const browsers = [];
  for (const login of callees) {
    browsers.push(
      await openSession(gateway.url, login, { outboundProxy: registrar.address, register: true }),
    );
  }
  const answering = answerIncomingCalls(browsers, { verifyEvery: 25 });
  const caller = await startSippCaller({
    registrar,
    callees,
    calls: INCOMING_CALLS,
    rate: INCOMING_RATE,
    holdMs: INCOMING_HOLD_MS,
  });
  // From SIPp being up (its first calls may already be on their way).
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  const result = await caller.finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = processCpuSeconds(pid) - cpu0;
  answering.stop();
  await caller.stop();
  for (const browser of browsers) await browser.close();
  await registrar.close();
  return {
    ...result,
    answered: answering.tally.answered,
    // Calls completed per second of the run, less the time the last calls were held.
    rate: result.successful / Math.max(0.001, seconds - INCOMING_HOLD_MS / 1000),
    cpuMsPerCall: (cpu / Math.max(1, result.successful)) * 1000,
  };
}

if (spawnSync('sh', ['-c', 'command -v sipp']).status !== 0) {
  console.log('SIPp is not installed (apt-get install sip-tester): gateway suite skipped');
  process.exit(0);
}

const phone = await startSippPhone({ codec: 'PCMU' });
const g729Phone = await startSippPhone({ codec: 'G729' });
const gateway = await startGatewayProcess(phone);
const pid = gateway.child.pid;
try {
  const sessions = [];
  for (let i = 0; i < SESSIONS; i++) sessions.push(await openSession(gateway.url, `load${i}`));
  const g729Sessions = [];
  for (let i = 0; i < 2; i++) {
    g729Sessions.push(
      await openSession(gateway.url, `g729-${i}`, { outboundProxy: g729Phone.address }),
    );
  }
  // Warm-up (JIT, codec and DTLS code paths), not measured.
  await setupRate({ sessions, callee: 'phone', calls: 20, concurrency: 5, prefix: 'w' });

  const cpuBeforeSetup = processCpuSeconds(pid);
  const rate = await setupRate({
    sessions,
    callee: 'phone',
    calls: SETUP_CALLS,
    concurrency: CONCURRENCY,
  });
  const setupCpu = processCpuSeconds(pid) - cpuBeforeSetup;

  await sleep(1000);
  const relay = await mediaLoad(sessions, MEDIA_CALLS, 'm');
  await sleep(1000);
  const transcode = await mediaLoad(g729Sessions, TRANSCODE_CALLS, 't');
  await sleep(1000);
  const incoming = await incomingLoad();
  await sleep(1500);
  const sippOpenCalls = phone.openCalls() + g729Phone.openCalls();
  const rssAfter = processRssBytes(pid);
  const metrics = await (
    await fetch(gateway.url.replace('ws:', 'http:').replace('/ws', '/metrics'))
  ).text();
  const failedCalls = [
    ...metrics.matchAll(/^callbridge_calls_ended_total\{status="FAILED"[^}]*\} (\d+)/gm),
  ].reduce((sum, m) => sum + Number(m[1]), 0);
  for (const session of [...sessions, ...g729Sessions]) await session.close();

  const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
  // The gateway's media work follows the packets: when a busy machine slows the emulated
  // browsers below 50 packets a second, count the calls as the fraction of full calls they are.
  const perCore = (m) => (m.calls * Math.min(1, m.sentPerCallSecond / 50)) / m.load;
  const kib = (m) => ((m.rssWithCalls - m.rssIdle) / m.calls / 1024).toFixed(0);
  const sipp = sippBaseline();

  console.log(
    `Gateway process (built CLI) ↔ SIPp phones (PCMU or G.729-only answer, RTP echo); ` +
      `${SESSIONS} WebSocket sessions of emulated browsers (own ICE/DTLS/SRTP), PCMU from the ` +
      'browser side. 2 cores shared with other work: absolute figures are noisy.',
  );
  console.log('');
  console.log('| measure | value | baseline | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(
    `| calls set up per second (${CONCURRENCY} at a time; WebSocket + ICE + DTLS + SIP INVITE/200/ACK, then BYE) | ${rate.toFixed(1)} | ${sipp ? `SIPp uac→uas ${sipp.toFixed(0)}/s (SIP only, 1000/s offered)` : 'SIPp baseline failed'} | ${sipp ? (rate / sipp).toFixed(3) : '–'} |`,
  );
  console.log(
    `| gateway CPU per call set up and torn down | ${((setupCpu / SETUP_CALLS) * 1000).toFixed(2)} ms | | |`,
  );
  for (const [name, m, echo] of [
    ['relayed PCMU (SRTP⇄RTP)', relay, true],
    ['transcoded PCMU⇄G.729', transcode, false],
  ]) {
    console.log(
      `| gateway CPU with ${m.calls} calls, ${name} both ways | ${(m.load * 100).toFixed(1)} % of a core | | |`,
    );
    console.log(
      `| concurrent calls with media per core, ${name} (at 50 packets/s each way) | ${perCore(m).toFixed(0)} | relayed: ${perCore(relay).toFixed(0)} | ${(perCore(m) / perCore(relay)).toFixed(2)} |`,
    );
    console.log(
      `| gateway resident memory per call, ${name} | ${kib(m)} KiB | idle ${mb(m.rssIdle)} MiB | with calls ${mb(m.rssWithCalls)} MiB |`,
    );
    console.log(
      `| packets back at the browser per call per second, ${name} | ${m.receivedPerCallSecond.toFixed(1)} | ${m.sentPerCallSecond.toFixed(1)} sent | ${(m.receivedPerCallSecond / m.sentPerCallSecond).toFixed(2)} |`,
    );
    if (echo) {
      console.log(
        `| calls whose sampled packets decrypted to our own echoed PCMU | ${m.callsWithEcho} | ${m.calls} | ${(m.callsWithEcho / m.calls).toFixed(2)} |`,
      );
    }
  }
  console.log(
    `| calls into browser sessions per second (SIPp → registrar → gateway → ${INCOMING_SESSIONS} registered browsers answering; ${INCOMING_RATE}/s offered, held ${INCOMING_HOLD_MS} ms) | ${incoming.rate.toFixed(1)} | ${incoming.successful} of ${INCOMING_CALLS} succeeded, ${incoming.answered} answered | ${(incoming.successful / INCOMING_CALLS).toFixed(2)} |`,
  );
  console.log(
    `| gateway CPU per incoming call (INVITE in, browser answer, ICE + DTLS, media, BYE) | ${incoming.cpuMsPerCall.toFixed(2)} ms | outgoing: ${((setupCpu / SETUP_CALLS) * 1000).toFixed(2)} ms without media | |`,
  );
  console.log(
    `| after hang-up: calls SIPp still holds; calls that failed (gateway /metrics); gateway resident memory | ${sippOpenCalls}; ${failedCalls}; ${mb(rssAfter)} MiB | 0; 0; ${mb(relay.rssIdle)} MiB before media | |`,
  );
} finally {
  gateway.child.kill('SIGTERM');
  await phone.stop();
  await g729Phone.stop();
}
