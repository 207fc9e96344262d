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
//   3. Leaks: calls SIPp still holds and the gateway's resident memory after hanging up.
// Baseline in the same run: SIPp UAC→UAS calls per second on this machine (the gateway does
// twice the SIP work of one SIPp side plus ICE, DTLS and SRTP per call).
//
// Environment: CALLS_SETUP (default 300), CALLS_CONCURRENCY (default 20), CALLS_MEDIA
// (default 100), MEDIA_SECONDS (default 10), SESSIONS (default 10).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@callbridge/testkit';
import {
  establishMediaCalls,
  gatewayArgs,
  openSession,
  processCpuSeconds,
  processRssBytes,
  setupRate,
  startSippPhone,
} from './lib/gateway-load.mjs';

const LOOPBACK = '127.0.0.1';
const SETUP_CALLS = Number(process.env.CALLS_SETUP ?? 300);
const CONCURRENCY = Number(process.env.CALLS_CONCURRENCY ?? 20);
const MEDIA_CALLS = Number(process.env.CALLS_MEDIA ?? 100);
const MEDIA_SECONDS = Number(process.env.MEDIA_SECONDS ?? 10);
const SESSIONS = Number(process.env.SESSIONS ?? 10);
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
  return uac.status === 0 ? calls / seconds : undefined;
}

if (spawnSync('sh', ['-c', 'command -v sipp']).status !== 0) {
  console.log('SIPp is not installed (apt-get install sip-tester): gateway suite skipped');
  process.exit(0);
}

const phone = await startSippPhone({ codec: 'PCMU' });
const gateway = await startGatewayProcess(phone);
const pid = gateway.child.pid;
try {
  const sessions = [];
  for (let i = 0; i < SESSIONS; i++) sessions.push(await openSession(gateway.url, `load${i}`));
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
  const rssIdle = processRssBytes(pid);
  const media = await establishMediaCalls({
    sessions,
    callee: 'phone',
    calls: MEDIA_CALLS,
    verifyEvery: 25,
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
  await sleep(1500);
  const sippOpenCalls = phone.openCalls();
  const rssAfter = processRssBytes(pid);
  for (const session of sessions) await session.close();

  const load = cpu / seconds;
  const sentPerCallSecond = (after.sent - before.sent) / seconds / MEDIA_CALLS;
  const receivedPerCallSecond = (after.received - before.received) / seconds / MEDIA_CALLS;
  const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
  const sipp = sippBaseline();

  console.log(
    `Gateway process (built CLI) ↔ SIPp phone (PCMU answer, RTP echo); ${SESSIONS} WebSocket ` +
      'sessions of emulated browsers (own ICE/DTLS/SRTP). 2 cores shared with other work: noisy.',
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
  console.log(
    `| gateway CPU with ${MEDIA_CALLS} calls, PCMU relayed both ways (SRTP⇄RTP) | ${(load * 100).toFixed(1)} % of a core | | |`,
  );
  console.log(`| concurrent calls with media per core | ${(MEDIA_CALLS / load).toFixed(0)} | | |`);
  console.log(
    `| gateway resident memory per call with media | ${((rssWithCalls - rssIdle) / MEDIA_CALLS / 1024).toFixed(0)} KiB | idle ${mb(rssIdle)} MiB | with calls ${mb(rssWithCalls)} MiB |`,
  );
  console.log(
    `| packets back at the browser per call per second (echoed by SIPp) | ${receivedPerCallSecond.toFixed(1)} | ${sentPerCallSecond.toFixed(1)} sent | ${(receivedPerCallSecond / sentPerCallSecond).toFixed(2)} |`,
  );
  console.log(
    `| calls whose sampled packets decrypted to our own echoed PCMU | ${after.callsWithEcho} | ${MEDIA_CALLS} | ${(after.callsWithEcho / MEDIA_CALLS).toFixed(2)} |`,
  );
  console.log(
    `| after hang-up: calls SIPp still holds; gateway resident memory | ${sippOpenCalls}; ${mb(rssAfter)} MiB | 0; ${mb(rssIdle)} MiB | |`,
  );
} finally {
  gateway.child.kill('SIGTERM');
  await phone.stop();
}
