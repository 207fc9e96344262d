#!/usr/bin/env node
// Non-INVITE transactions per second through the transaction layer over loopback UDP: a client
// and a server stack in one process (one core does both sides), OPTIONS answered with 200, a
// window of requests in flight. Compared in the same run with the `sip` npm package (kirm/sip.js,
// the JavaScript stack people use for this) doing the same, and with a bare UDP ping-pong of the
// same message sizes (the ceiling: socket work with no SIP at all).
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import {
  TransactionLayer,
  TransportLayer,
  UdpTransport,
  createRequest,
  newCallId,
  newTag,
} from '@callbridge/sip';

const require = createRequire(import.meta.url);
const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);
const WINDOW = 64;

async function callbridge() {
  const serverUdp = await UdpTransport.create({ limits: { messagesPerSecond: Infinity } });
  const clientUdp = await UdpTransport.create({ limits: { messagesPerSecond: Infinity } });
  const server = new TransactionLayer(new TransportLayer([serverUdp]));
  const client = new TransactionLayer(new TransportLayer([clientUdp]));
  server.on('request', (tx) => tx.reply(200));
  const target = { protocol: 'udp', address: '127.0.0.1', port: serverUdp.local.port };
  const callId = newCallId();
  const fromTag = newTag();
  let cseq = 0;
  let done = 0;
  let stop = false;
  const send = () => {
    const request = createRequest({
      method: 'OPTIONS',
      uri: `sip:bench@127.0.0.1:${target.port}`,
      headers: [
        ['Max-Forwards', '70'],
        ['From', `<sip:client@127.0.0.1>;tag=${fromTag}`],
        ['To', '<sip:bench@127.0.0.1>'],
        ['Call-ID', callId],
        ['CSeq', `${++cseq} OPTIONS`],
      ],
    });
    client.sendRequest(request, target, {
      response: (r) => {
        if (r.status < 200) return;
        done++;
        if (!stop) send();
      },
    });
  };
  const result = await measure(
    () => done,
    () => {
      for (let i = 0; i < WINDOW; i++) send();
    },
    () => {
      stop = true;
    },
  );
  client.terminateAll();
  server.terminateAll();
  await serverUdp.close();
  await clientUdp.close();
  return result;
}

async function sipPackage() {
  const sip = require('sip');
  const port = await freeUdpPort();
  const server = sip.create(
    { port, address: '127.0.0.1', tcp: false, publicAddress: '127.0.0.1' },
    (rq) => {
      server.send(sip.makeResponse(rq, 200, 'OK'));
    },
  );
  const clientPort = await freeUdpPort();
  // A public address other than 127.0.0.1, or the package takes the target for one of its own flows.
  const client = sip.create(
    { port: clientPort, address: '127.0.0.1', tcp: false, publicAddress: 'client.invalid' },
    () => undefined,
  );
  let cseq = 0;
  let done = 0;
  let stop = false;
  const send = () => {
    client.send(
      {
        method: 'OPTIONS',
        uri: `sip:bench@127.0.0.1:${port}`,
        headers: {
          to: { uri: 'sip:bench@127.0.0.1' },
          from: { uri: 'sip:client@127.0.0.1', params: { tag: 'abc' } },
          'call-id': 'bench-call',
          cseq: { method: 'OPTIONS', seq: ++cseq },
          'max-forwards': 70,
        },
      },
      (rs) => {
        if (rs.status < 200) return;
        if (rs.status >= 300) throw new Error(`sip package: ${rs.status} ${rs.reason}`);
        done++;
        if (!stop) send();
      },
    );
  };
  const result = await measure(
    () => done,
    () => {
      for (let i = 0; i < WINDOW; i++) send();
    },
    () => {
      stop = true;
    },
  );
  // Not destroyed: the package's retransmission timers would then throw on the closed sockets.
  return result;
}

/** Bare UDP: a 300-byte "request" echoed with a 300-byte "response", same window. */
async function rawUdp() {
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  await Promise.all([
    new Promise((r) => a.bind(0, '127.0.0.1', r)),
    new Promise((r) => b.bind(0, '127.0.0.1', r)),
  ]);
  const payload = new Uint8Array(300).fill(65);
  const bPort = b.address().port;
  const aPort = a.address().port;
  b.on('message', (m) => b.send(m, aPort, '127.0.0.1'));
  let done = 0;
  let stop = false;
  a.on('message', () => {
    done++;
    if (!stop) a.send(payload, bPort, '127.0.0.1');
  });
  const result = await measure(
    () => done,
    () => {
      for (let i = 0; i < WINDOW; i++) a.send(payload, bPort, '127.0.0.1');
    },
    () => {
      stop = true;
    },
  );
  a.close();
  b.close();
  return result;
}

/** Transactions per second of wall time, and CPU µs per transaction (less sensitive to a busy machine). */
async function measure(count, start, finish) {
  start();
  // Warm up, then count over the measured interval.
  await sleep(500);
  const before = count();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(DURATION_MS);
  const n = count() - before;
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  finish();
  await sleep(200);
  return { perSecond: (n / elapsed) * 1000, cpuMicros: (cpu.user + cpu.system) / Math.max(1, n) };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ours = await callbridge();
const peer = await sipPackage();
const raw = await rawUdp();
const row = (name, r) =>
  `| ${name} | ${fmt(r.perSecond)} | ${(ours.perSecond / r.perSecond).toFixed(2)}× | ${r.cpuMicros.toFixed(1)} | ${(r.cpuMicros / ours.cpuMicros).toFixed(2)}× |`;
console.log('Non-INVITE transactions over loopback UDP (client and server in one process)');
console.log(`window ${WINDOW}, ${DURATION_MS} ms measured after a 500 ms warm-up\n`);
console.log(
  '| stack | transactions/s | callbridge speed-up | CPU µs per transaction | callbridge CPU advantage |',
);
console.log('|---|---|---|---|---|');
console.log(row('callbridge TransactionLayer', ours));
console.log(row('`sip` npm package 0.0.6', peer));
console.log(row('bare UDP ping-pong, no SIP (ceiling)', raw));
process.exit(0);
