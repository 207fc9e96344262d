#!/usr/bin/env node
// The Opus ⇄ PCMU (or PCMA ⇄ PCMU) transcoding of bench/media.mjs in a form for valgrind, to
// compare designs by counts that do not depend on the machine's load: `warm` then `count`
// packets each way on each of `calls` calls, through MediaSession (`pipeline`) or through the
// same codec calls alone (`codecs`). Two runs that differ only in `count` give the cost per
// packet pair: cg_diff of the two outputs, divided by calls × the difference in count.
//
//   npx tsc -b
//   for n in 100 300; do
//     valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes --D1=32768,8,64 \
//       --I1=32768,8,64 --LL=1048576,16,64 --smc-check=all-non-file --cachegrind-out-file=cg.$n \
//       node --single-threaded --no-liftoff --expose-gc bench/lib/media-cachegrind.mjs pipeline opus 10 400 $n
//   done
//   cg_diff cg.100 cg.300 > cg.diff && cg_annotate cg.diff   # 2,000 packet pairs
//
// A warm-up of 400 packets: V8 optimises the path's functions up to about packet 350 (with
// --trace-opt); compiling during the counted packets of one run and not the other's blurs the
// difference. JIT and WebAssembly code shows as ???; V8's compiler and garbage collector show by
// name (count the rest).
// MEDIA_CACHEGRIND_PAYLOADS=<file> keeps the Opus payloads there between runs (their encoding
// at 48 kHz is slow under valgrind).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ManualClock } from '@callbridge/media';
import {
  OPUS,
  PCMA,
  codecPairs,
  deliver,
  g711Payloads,
  opusPayloads,
  packets,
  transcodingSessions,
} from './media-fixtures.mjs';

const [what, kind, callsArg, warmArg, countArg] = process.argv.slice(2);
if (!['pipeline', 'codecs'].includes(what) || !['opus', 'pcma'].includes(kind)) {
  console.error('usage: media-cachegrind.mjs pipeline|codecs opus|pcma calls warm count');
  process.exit(2);
}
const calls = Number(callsArg);
const warm = Number(warmArg);
const total = warm + Number(countArg);
/**
 * A full collection between the warm-up and the counted packets (with --expose-gc): the counted
 * packets then start from the same heap in both runs and allocate too little for a collection,
 * which otherwise fell in one run's counted packets and not the other's (a major one moved the
 * difference by thousands of instructions and a hundred cache misses per packet pair).
 */
const collectGarbage = globalThis.gc ?? (() => {});
/** Payloads prepared (and reused in turn), the same for every `count`. */
const PREPARED = 500;

/** Opus payloads, kept in MEDIA_CACHEGRIND_PAYLOADS when set. */
async function preparedOpusPayloads() {
  const file = process.env.MEDIA_CACHEGRIND_PAYLOADS;
  if (file && existsSync(file)) {
    const bytes = readFileSync(file);
    const payloads = [];
    for (let at = 0; at < bytes.length; at += 1 + bytes[at]) {
      payloads.push(new Uint8Array(bytes.subarray(at + 1, at + 1 + bytes[at])));
    }
    return payloads;
  }
  const payloads = await opusPayloads(PREPARED);
  if (file) writeFileSync(file, Buffer.concat(payloads.flatMap((p) => [Buffer.of(p.length), p])));
  return payloads;
}

const formatA = kind === 'opus' ? OPUS : PCMA;
const payloadsA = kind === 'opus' ? await preparedOpusPayloads() : g711Payloads('a', 2, PREPARED);
const fromA = packets(
  formatA.payloadType,
  0xa2d6_1f83,
  payloadsA,
  kind === 'opus' ? 960 : 160,
  total,
);
const fromB = packets(0, 0xb2e8_4c19, g711Payloads('mu', 1, PREPARED), 160, total);

// Each packet's work is a function, as in bench/media.mjs, so V8 optimises it like the rest of
// the path: as top-level module code the loop stayed in the baseline tier, whose inline-cache
// builtins were counted as the pipeline's (and a loop function is optimised on stack only late).
/** Packet `p` of both directions through each session, then the clock moved on 20 ms. */
function pipelineStep(sessions, clock, p) {
  const a = fromA[p];
  const b = fromB[p];
  for (let s = 0; s < sessions.length; s++) {
    deliver(sessions[s], 'a', a);
    deliver(sessions[s], 'b', b);
  }
  clock.advance(20);
}

/** The same codec calls alone for packet `i`, one codec pair per call. */
function codecsStep(codecsA, codecsB, payloadsB, i) {
  for (let c = 0; c < calls; c++) {
    codecsB[c].encode(codecsA[c].decode(payloadsA[i % PREPARED]));
    codecsA[c].encode(codecsB[c].decode(payloadsB[i]));
  }
}

if (what === 'pipeline') {
  const clock = new ManualClock(0);
  const sessions = await transcodingSessions(formatA, calls, clock);
  for (let p = 0; p < warm; p++) pipelineStep(sessions, clock, p);
  collectGarbage();
  for (let p = warm; p < total; p++) pipelineStep(sessions, clock, p);
} else {
  // The baseline of bench/media.mjs: codecs created as the session creates them.
  const { codecsA, codecsB } = await codecPairs(formatA, calls);
  const payloadsB = fromB.map((p) => p.subarray(12));
  for (let i = 0; i < warm; i++) codecsStep(codecsA, codecsB, payloadsB, i);
  collectGarbage();
  for (let i = warm; i < total; i++) codecsStep(codecsA, codecsB, payloadsB, i);
}
process.exit(0);
