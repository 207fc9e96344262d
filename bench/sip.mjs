#!/usr/bin/env node
// SIP parsing throughput: callbridge against the parsers of jssip, sip.js and the `sip` package,
// on the same corpus, in the same run. One message at a time, single thread. The corpus and the
// reads (the same for every parser) are in lib/sip-fixtures.mjs; lib/sip-callgrind.mjs counts
// instructions per message instead, which does not depend on the machine's load.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkHeaders, parseMessage } from '@callbridge/sip';
import {
  bytes,
  callbridge,
  corpus,
  jssipRead,
  sipPkgRead,
  sipjsRead,
} from './lib/sip-fixtures.mjs';

// Two more callbridge rows for context, not used in the ratios: the parse alone (header values
// left for later), and every known header parsed and checked (what validateRequest does).
const parsers = [
  { name: 'callbridge', input: 'bytes', run: callbridge },
  { name: 'sip 0.0.6', input: 'string', peer: true, run: sipPkgRead },
  { name: 'jssip 3.13', input: 'string', peer: true, run: jssipRead },
  { name: 'sip.js 0.21', input: 'string', peer: true, run: sipjsRead },
  { name: 'callbridge, parse only', input: 'bytes', run: (b) => parseMessage(b) },
  {
    name: 'callbridge, all headers',
    input: 'bytes',
    run: (b) => checkHeaders(parseMessage(b)) === undefined,
  },
];
const peers = parsers.filter((p) => p.peer);

// Sanity: every parser accepts every message.
for (const p of parsers) {
  for (const [name, text] of Object.entries(corpus)) {
    const out = p.run(p.input === 'bytes' ? bytes[name] : text);
    if (out === undefined || out === null || Number.isNaN(out))
      throw new Error(`${p.name} failed to parse ${name}`);
  }
}

// CPU time of this process (user + system), in ms: the machine is shared, and time spent
// descheduled would otherwise count against whichever parser happened to be running.
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measure(run, input, ms) {
  let sink = 0;
  let n = 0;
  let batch = 1;
  const start = cpuMs();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) sink ^= run(input) ? 1 : 0;
    n += batch;
    now = cpuMs();
    if (batch < 4096 && now - start < ms / 20) batch *= 2;
  }
  if (sink === 42) console.log('');
  return (n * 1000) / (now - start);
}

const quick = process.argv.includes('--quick');
const rounds = quick ? 2 : 5;
const ms = quick ? 150 : 250;
const results = {};
for (const p of parsers) {
  results[p.name] = {};
  // Warm-up: let the JIT settle on every input before timing anything.
  for (const [name, text] of Object.entries(corpus))
    measure(p.run, p.input === 'bytes' ? bytes[name] : text, ms / 2);
}
// Interleaved rounds, best of each: noise from other processes only ever slows a round down.
for (let r = 0; r < rounds; r++) {
  for (const p of parsers) {
    for (const [name, text] of Object.entries(corpus)) {
      const rate = measure(p.run, p.input === 'bytes' ? bytes[name] : text, ms);
      results[p.name][name] = Math.max(results[p.name][name] ?? 0, rate);
      if (process.env.BENCH_DEBUG) console.log(r, p.name, name, Math.round(rate));
    }
  }
}

const names = Object.keys(corpus);
const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(
  `SIP parse throughput, messages per CPU-second, best of ${rounds} rounds, one thread (Node ${process.version}); sizes: ${names
    .map((n) => `${n} ${bytes[n].length} B`)
    .join(', ')}`,
);
console.log(
  'Measured per message: parse, then read the top Via branch, From tag, To tag, Call-ID, CSeq number\n' +
    'and method, and the Request-URI or status from the parsed object (what a SIP stack always needs).\n' +
    'callbridge parses bytes (parseMessage(Uint8Array)): one pass records header offsets (a\n' +
    'WebAssembly SIMD scanner finds lines and recognises names, and checks the usual shapes of the\n' +
    'Request-URI, top Via, From, To, Call-ID and CSeq, recording where their parts are and naming\n' +
    'common methods; TypeScript handles the start line, any other shape and every error); typed\n' +
    'values are built on first access from those records, so these reads make it do that work\n' +
    '(strings and parameter lists are made when read); peers parse a ready-made string (no\n' +
    'decoding cost for them).\n' +
    '"parse only" skips the reads; "all headers" parses and checks every known header and URI.\n',
);
console.log(`| parser | ${names.join(' | ')} | geomean |`);
console.log(`|---|${names.map(() => '---:').join('|')}|---:|`);
for (const p of parsers) {
  const row = names.map((n) => results[p.name][n]);
  console.log(`| ${p.name} | ${row.map(fmt).join(' | ')} | ${fmt(geomean(row))} |`);
}
console.log('\nRatio callbridge / peer (geomean over the corpus, and INVITE):');
const cb = results.callbridge;
for (const p of peers) {
  const r = geomean(names.map((n) => cb[n] / results[p.name][n]));
  console.log(
    `  vs ${p.name}: ${r.toFixed(1)}x (INVITE ${(cb.INVITE / results[p.name].INVITE).toFixed(1)}x)`,
  );
}
const fastestPeer = peers
  .map((p) => geomean(names.map((n) => results[p.name][n])))
  .reduce((a, b) => Math.max(a, b));
const ratio = geomean(names.map((n) => cb[n])) / fastestPeer;
console.log(
  `\nGoal: >= 5x the fastest peer (${ratio.toFixed(1)}x) and >= 300,000 INVITE/s (${fmt(cb.INVITE)}): ${
    ratio >= 5 && cb.INVITE >= 300000 ? 'met' : 'NOT met'
  }`,
);

// The transaction layer's throughput is part of the SIP suite too (issue: SIP part 2).
console.log('\n### Non-INVITE transactions through the transaction layer (loopback UDP)\n');
const transactions = spawnSync(
  process.execPath,
  [fileURLToPath(new URL('./sip-transactions.mjs', import.meta.url))],
  { stdio: 'inherit' },
);
if (transactions.status !== 0) process.exitCode = 1;
