#!/usr/bin/env node
// `npm run bench -- media`: CPU and memory per call of the media pipelines, against the work
// that cannot be avoided measured in the same run (SRTP alone for relaying, the codecs alone
// for transcoding), and the jitter buffer's cost per packet.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import {
  AdaptiveJitterBuffer,
  L16Decoder,
  ManualClock,
  MediaSession,
  simulateNetwork,
  speechLikeSignal,
} from '@callbridge/media';
import { SrtpContext } from '@callbridge/srtp';
import { codecRegistry } from '@callbridge/codecs';
import {
  OPUS,
  PACKETS_PER_SECOND,
  PCMA,
  PCMU,
  codecPairs,
  deliver,
  g711Payloads,
  nullTransport,
  opusPayloads,
  packets,
  transcodingSessions,
} from './lib/media-fixtures.mjs';
const gc = globalThis.gc ?? (() => {});

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({
  entryTypes: ['gc'],
});

/** CPU milliseconds (user + system) spent in `fn`. */
function cpuMs(fn) {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function srtpKeys(seed) {
  return {
    profile: 'AES_CM_128_HMAC_SHA1_80',
    masterKey: Uint8Array.from({ length: 16 }, (_, i) => (i * 7 + seed) & 0xff),
    masterSalt: Uint8Array.from({ length: 14 }, (_, i) => (i * 13 + seed * 3) & 0xff),
  };
}

const pcmuPayloads = (count) => g711Payloads('mu', 1, count);

/**
 * Feeds `calls` sessions with `count` packets each way. Packets the session rewrites in place
 * are first copied into a receive buffer, as a socket read would.
 */
function drive(sessions, clock, fromA, fromB, count, protectedA) {
  for (let p = 0; p < count; p++) {
    const a = fromA[p % fromA.length];
    const b = fromB[p % fromB.length];
    for (const session of sessions) {
      if (protectedA) session.receiveRtp('a', a);
      else deliver(session, 'a', a);
      deliver(session, 'b', b);
    }
    clock.advance(1000 / PACKETS_PER_SECOND);
  }
}

async function relayBench() {
  const calls = 200;
  const count = 1500; // 30 s of media each way per call
  const clock = new ManualClock(0);
  const peer = new SrtpContext(srtpKeys(1));
  const fromA = packets(0, 0xa1c3_5e27, pcmuPayloads(count), 160).map((p) => peer.protectRtp(p));
  const fromB = packets(0, 0xb1f2_9d4b, pcmuPayloads(count), 160);
  const sessions = await Promise.all(
    Array.from({ length: calls }, (_, i) =>
      MediaSession.create({
        a: {
          transport: nullTransport,
          audio: { formats: [PCMU] },
          srtp: { send: srtpKeys(2), receive: srtpKeys(1) },
        },
        b: { transport: nullTransport, audio: { formats: [PCMU] } },
        clock,
        seed: i + 1,
        inactivityTimeoutMs: 0,
      }),
    ),
  );
  drive(sessions, clock, fromA, fromB, 100, true); // warm-up
  gc();
  const gcBefore = gcCount;
  const warm = 100;
  // The machine is shared and noisy: three rounds, keep the fastest.
  const rounds = 3;
  const span = Math.floor((count - warm) / rounds);
  let ms = Infinity;
  for (let r = 0; r < rounds; r++) {
    const from = warm + r * span;
    const a = fromA.slice(from, from + span);
    const b = fromB.slice(from, from + span);
    ms = Math.min(
      ms,
      cpuMs(() => drive(sessions, clock, a, b, span, true)),
    );
  }
  const gcs = gcCount - gcBefore;
  const packetPairs = calls * span * rounds;
  const usPerPair = (ms * 1000) / (calls * span);
  for (const s of sessions) s.close();

  // Baseline in the same run: SRTP alone, unprotect one way and protect the other, on buffers
  // reused like the pipeline does.
  const tx = new SrtpContext(srtpKeys(2));
  const out = new Uint8Array(2048);
  let srtpMs = Infinity;
  for (let r = 0; r < rounds; r++) {
    const ms = cpuMs(() => {
      for (let round = 0; round < 20; round++) {
        const receive = new SrtpContext(srtpKeys(1));
        for (let p = warm; p < count; p++) {
          receive.unprotectRtpInto(fromA[p], out, 0);
          tx.protectRtpInto(fromB[p], out, 0);
        }
      }
    });
    srtpMs = Math.min(srtpMs, ms);
  }
  const srtpUsPerPair = (srtpMs * 1000) / (20 * (count - warm));
  return {
    usPerPair,
    callsPerCore: 1e6 / (usPerPair * PACKETS_PER_SECOND),
    srtpUsPerPair,
    srtpCallsPerCore: 1e6 / (srtpUsPerPair * PACKETS_PER_SECOND),
    gcsPer100k: (gcs * 100_000) / (packetPairs * 2),
  };
}

/** Packets per call the transcoding pipeline and its codec baseline take turns with. */
const CHUNK = 10;

async function transcodeBench(kind) {
  const calls = kind === 'opus' ? 10 : 50;
  // Untimed turns first, until V8 has optimised the whole path: its compiler runs on other
  // threads whose CPU time process.cpuUsage() counts, so compiling during timed turns charged
  // the pipeline for a one-off cost (5 s of media per call is well past it).
  const warm = Number(process.env.MEDIA_BENCH_WARM ?? 250);
  // The machine is shared and noisy (other processes take the cores and the caches): the
  // pipeline and the codecs alone take turns every CHUNK packets (200 ms of media) on the same
  // packets, so both see the same conditions, yet each mostly runs with its own data in the
  // caches (turns of one packet let the codecs' work evict the pipeline's, which a gateway does
  // not have); seven rounds of the run give a range.
  const rounds = 7;
  const span = 150; // 3 s of media each way per call and chunk
  const count = warm + rounds * span + span; // and a last span for the allocation count
  const clock = new ManualClock(0);
  const formatA = kind === 'opus' ? OPUS : PCMA;
  const payloadsA = kind === 'opus' ? await opusPayloads(count) : g711Payloads('a', 2, count);
  const fromA = packets(formatA.payloadType, 0xa2d6_1f83, payloadsA, kind === 'opus' ? 960 : 160);
  const fromB = packets(0, 0xb2e8_4c19, pcmuPayloads(count), 160);
  const sessions = await transcodingSessions(formatA, calls, clock);
  // Baseline: the same codec work without the pipeline — decode A, encode for B, decode B,
  // encode for A — on codecs created the way the session creates them, one pair per call as
  // the calls have them.
  const { codecsA, codecsB } = await codecPairs(formatA, calls);
  const bPayloads = fromB.map((p) => p.subarray(12));
  const aPayloads = payloadsA;
  /** Packets `from` to `from + count` of each call through the pipeline. */
  const driveSpan = (from, count) =>
    drive(
      sessions,
      clock,
      fromA.slice(from, from + count),
      fromB.slice(from, from + count),
      count,
      false,
    );
  /** CPU µs of the pipeline and of the codecs alone over packets `from` to `to`, taking turns. */
  const turns = (from, to) => {
    let pipeline = 0;
    let codecOnly = 0;
    for (let at = from; at < to; at += CHUNK) {
      const start = process.cpuUsage();
      driveSpan(at, CHUNK);
      const middle = process.cpuUsage();
      for (let i = at; i < at + CHUNK; i++) {
        for (let c = 0; c < calls; c++) {
          codecsB[c].encode(codecsA[c].decode(aPayloads[i]));
          codecsA[c].encode(codecsB[c].decode(bPayloads[i]));
        }
      }
      const end = process.cpuUsage();
      pipeline += middle.user + middle.system - start.user - start.system;
      codecOnly += end.user + end.system - middle.user - middle.system;
    }
    return [pipeline, codecOnly];
  };
  turns(0, warm);
  const pipelineMs = [];
  const codecOnlyMs = [];
  for (let r = 0; r < rounds; r++) {
    const [pipeline, codecOnly] = turns(warm + r * span, warm + (r + 1) * span);
    pipelineMs.push(pipeline / 1000);
    codecOnlyMs.push(codecOnly / 1000);
  }
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  const overheads = pipelineMs.map((ms, r) => (ms - codecOnlyMs[r]) / codecOnlyMs[r]);
  const ms = sum(pipelineMs) / rounds;
  const codecMs = sum(codecOnlyMs) / rounds;
  const usPerCallSecond = (ms * 1000) / (calls * (span / PACKETS_PER_SECOND));
  // Allocation on the path in steady state: the last span once more under V8's sampling heap
  // profiler, counting objects that minor GCs collected too (untimed).
  const bytes = await sampledAllocation(() => driveSpan(warm + rounds * span, span));
  const bytesPerPacket = bytes / (calls * span * 2);
  for (const s of sessions) s.close();
  for (const codec of [...codecsA, ...codecsB]) codec.close();
  const codecUsPerCallSecond = (codecMs * 1000) / (calls * (span / PACKETS_PER_SECOND));
  return {
    usPerCallSecond,
    callsPerCore: 1e6 / usPerCallSecond,
    codecUsPerCallSecond,
    codecCallsPerCore: 1e6 / codecUsPerCallSecond,
    overhead: (ms - codecMs) / codecMs,
    overheadRange: [Math.min(...overheads), Math.max(...overheads)],
    bytesPerPacket,
  };
}

/** Bytes allocated while `fn` runs, from V8's sampling heap profiler (collected objects included). */
async function sampledAllocation(fn) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 128,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  fn();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  const total = (node) => node.children.reduce((sum, child) => sum + total(child), node.selfSize);
  return total(profile.head);
}

/**
 * One trace through the adaptive buffer and through a fixed 60 ms one, on fake time, packets
 * carrying speech-like L16 (so acceleration has to find pitch periods, as with real speech).
 * Payloads are prepared beforehand; the timed loop is insert + read, plus the L16 decode (a
 * copy of 160 samples), the fastest of three rounds.
 */
function jitterBufferBench(impairments, speechBytes) {
  const trace = simulateNetwork({
    seed: 3,
    packetCount: JITTER_PACKETS,
    packetIntervalMs: 20,
    clockRate: 8000,
    ...impairments,
  });
  const arrivals = trace.arrivals;
  const result = {};
  for (const mode of ['adaptive', 'fixed']) {
    let best = Infinity;
    let report;
    for (let round = 0; round < 3; round++) {
      const clock = new ManualClock(0);
      const buffer = new AdaptiveJitterBuffer({
        clock,
        decoder: new L16Decoder(8000),
        clockRate: 8000,
        mode,
      });
      const out = new Int16Array(160);
      const ms = cpuMs(() => {
        let next = 0;
        let t = 0;
        while (next < arrivals.length) {
          const a = arrivals[next];
          if (a.arrivalTime < t) {
            clock.advanceTo(a.arrivalTime);
            buffer.insert(
              a.ssrc,
              a.sequenceNumber,
              a.timestamp,
              speechBytes,
              -1,
              a.index * 320,
              320,
            );
            next++;
          } else {
            clock.advanceTo(t);
            buffer.read(out);
            t += 20;
          }
        }
      });
      best = Math.min(best, ms);
      report = buffer.report();
    }
    result[mode] = { usPerPacket: (best * 1000) / arrivals.length, report };
  }
  return result;
}

/** Minimum, median and maximum of the target over time. */
function targetSpread(report) {
  const targets = report.targetHistory.map(([, t]) => t).sort((a, b) => a - b);
  if (targets.length === 0) return '–';
  const median = targets[Math.floor(targets.length / 2)];
  return `${fmt(targets[0])} / ${fmt(median)} / ${fmt(targets[targets.length - 1])}`;
}

async function memoryBench(kind, calls) {
  const clock = new ManualClock(0);
  gc();
  await new Promise((r) => setTimeout(r, 10));
  gc();
  const before = process.memoryUsage();
  const sessions = [];
  for (let i = 0; i < calls; i++) {
    sessions.push(
      await MediaSession.create(
        kind === 'relay'
          ? {
              a: {
                transport: nullTransport,
                audio: { formats: [PCMU] },
                srtp: { send: srtpKeys(2), receive: srtpKeys(1) },
              },
              b: { transport: nullTransport, audio: { formats: [PCMU] } },
              clock,
              seed: i + 1,
              inactivityTimeoutMs: 0,
            }
          : {
              a: { transport: nullTransport, audio: { formats: [OPUS] } },
              b: { transport: nullTransport, audio: { formats: [PCMU] } },
              clock,
              seed: i + 1,
              inactivityTimeoutMs: 0,
            },
      ),
    );
  }
  gc();
  await new Promise((r) => setTimeout(r, 10));
  gc();
  const after = process.memoryUsage();
  const perCall = (field) => (after[field] - before[field]) / calls / 1024;
  const result = {
    heapKiB: perCall('heapUsed'),
    buffersKiB: perCall('arrayBuffers'),
    rssKiB: perCall('rss'),
  };
  for (const s of sessions) s.close();
  return result;
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const relay = await relayBench();
const pcma = await transcodeBench('pcma');
let opus;
try {
  opus = await transcodeBench('opus');
} catch (error) {
  console.log(`Opus transcoding skipped: ${error.message}`);
}
const JITTER_PACKETS = 50_000;
// Big-endian L16 (RFC 3551 §4.5.11) of a speech-like signal, 320 bytes per 20 ms packet.
const speechBytes = (() => {
  const speech = speechLikeSignal(1, 8000, JITTER_PACKETS * 20);
  const bytes = new Uint8Array(speech.length * 2);
  for (let i = 0; i < speech.length; i++) {
    bytes[2 * i] = (speech[i] >> 8) & 0xff;
    bytes[2 * i + 1] = speech[i] & 0xff;
  }
  return bytes;
})();
// The traces of the comparison test (packages/media/test/jitter-buffer.test.ts), ten times longer.
const jitterTraces = [
  ['calm: 5 ms normal jitter', { jitter: { kind: 'normal', stdDevMs: 5 } }],
  [
    '15 ms correlated jitter, 1% random loss',
    {
      jitter: { kind: 'normal', stdDevMs: 15, correlation: 0.5 },
      loss: { kind: 'random', rate: 0.01 },
    },
  ],
  [
    '20 ms uniform jitter, 3% reordering (+40 ms), 2% duplicates',
    {
      jitter: { kind: 'uniform', maxMs: 20 },
      reorderProbability: 0.03,
      duplicateProbability: 0.02,
    },
  ],
  [
    'sender clock +500 ppm, 8 ms jitter',
    { jitter: { kind: 'normal', stdDevMs: 8 }, clockSkewPpm: 500 },
  ],
  [
    'sender clock −500 ppm, 8 ms jitter',
    { jitter: { kind: 'normal', stdDevMs: 8 }, clockSkewPpm: -500 },
  ],
  [
    'exponential jitter (mean 8 ms), bursty loss',
    {
      jitter: { kind: 'exponential', meanMs: 8 },
      loss: { kind: 'gilbert-elliott', goodToBad: 0.01, badToGood: 0.3 },
    },
  ],
  [
    '15 ms correlated jitter, bursty loss, 1% reordering (+40 ms), 1% duplicates',
    {
      jitter: { kind: 'normal', stdDevMs: 15, correlation: 0.5 },
      loss: { kind: 'gilbert-elliott', goodToBad: 0.01, badToGood: 0.3 },
      reorderProbability: 0.01,
      duplicateProbability: 0.01,
    },
  ],
  [
    'exponential jitter (mean 12 ms) with 150 ms delay spikes',
    {
      jitter: { kind: 'exponential', meanMs: 12 },
      delaySpikes: { probability: 0.003, heightMs: 150, durationMs: 300 },
    },
  ],
  ['heavy-tailed (Pareto) jitter', { jitter: { kind: 'pareto', scaleMs: 5, shape: 2 } }],
  [
    'silence suppression (talkspurts), exponential jitter, 2% loss',
    {
      jitter: { kind: 'exponential', meanMs: 10 },
      loss: { kind: 'random', rate: 0.02 },
      talkspurts: { meanTalkMs: 1500, meanSilenceMs: 1000 },
    },
  ],
].map(([name, impairments]) => [name, jitterBufferBench(impairments, speechBytes)]);
const relayMemory = await memoryBench('relay', 500);
let opusMemory;
try {
  opusMemory = await memoryBench('opus', 50);
} catch {
  opusMemory = undefined;
}

console.log('### Relay, SRTP (AES_CM_128_HMAC_SHA1_80) ⇄ RTP, PCMU, 50 packets/s each way\n');
console.log('| path | µs per packet pair | calls per core | ratio |');
console.log('|---|---|---|---|');
console.log(
  `| MediaSession relay (unprotect, rewrite, protect) | ${fmt(relay.usPerPair, 2)} | ${fmt(relay.callsPerCore)} | ${fmt(relay.usPerPair / relay.srtpUsPerPair, 2)}× SRTP alone |`,
);
console.log(
  `| SRTP alone (unprotect + protect, same run) | ${fmt(relay.srtpUsPerPair, 2)} | ${fmt(relay.srtpCallsPerCore)} | 1.00× |`,
);
console.log(
  `\nGoal ≥ 500 relayed calls per core: ${relay.callsPerCore >= 500 ? 'met' : 'NOT met'}. Minor GCs per 100k packets relayed: ${fmt(relay.gcsPer100k, 1)}.\n`,
);

console.log('### Transcoding, both directions, 20 ms frames\n');
console.log(
  '| call | pipeline µs per call-second | calls per core | codecs alone µs | codecs-only calls per core | pipeline overhead (range over 3 s rounds) | bytes allocated per packet |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [name, r] of [
  ['PCMA ⇄ PCMU', pcma],
  ...(opus ? [['Opus (8 kHz inside) ⇄ PCMU', opus]] : []),
]) {
  console.log(
    `| ${name} | ${fmt(r.usPerCallSecond)} | ${fmt(r.callsPerCore)} | ${fmt(r.codecUsPerCallSecond)} | ${fmt(r.codecCallsPerCore)} | ${fmt(r.overhead * 100, 1)}% (${fmt(r.overheadRange[0] * 100, 1)}–${fmt(r.overheadRange[1] * 100, 1)}%) | ${fmt(r.bytesPerPacket)} |`,
  );
}
console.log(
  "\nPipeline overhead = (CPU of the whole transcoding path − CPU of its codec calls) / CPU of its codec calls. The path: an RTP packet copied in as from a socket, parsed, jitter-buffered, decoded (with concealment), resampled when the rates differ, encoded at the other leg's ptime, packetised, rewritten and handed to the transport, plus the call's playout timer (one for both directions, on the bench's ManualClock) and RTCP. The codec calls: the same decodes and encodes on one codec pair per call, without the rest, taking turns with the pipeline every 200 ms of media on the same packets (so both see the same machine), over 21 s of media per call after 5 s of untimed turns (V8 compiles the path on other threads, whose CPU time is counted); the range is that of the ratio over 3 s rounds (the machine's noise). Like with like: counted in instructions (valgrind, bench/lib/media-cachegrind.mjs), the session's Opus and G.711 calls do the same work as these, within 0.1%; that script also counts the pipeline's own instructions and cache misses per packet pair, which do not depend on the machine's load. Bytes allocated per packet: V8 sampling heap profiler over a further 3 s per call, objects minor GCs collected included.",
);
if (opus) {
  // The pipeline's own work does not depend on the codec: the G.711 row is almost nothing else.
  const pipelineOnly = pcma.usPerCallSecond - pcma.codecUsPerCallSecond;
  console.log(
    `\nPipeline work alone (the G.711 row minus its codecs): ${fmt(pipelineOnly)} µs per call-second, ${fmt((pipelineOnly / opus.codecUsPerCallSecond) * 100, 1)}% of the Opus ⇄ PCMU codec time.`,
  );
  console.log(
    `Goal: pipeline overhead under 10% of codec time (Opus ⇄ PCMU): ${opus.overhead < 0.1 ? 'met' : 'NOT met'} (${fmt(opus.overhead * 100, 1)}%). G.711 costs almost nothing, so there the pipeline dominates.\n`,
  );
} else {
  console.log('Goal: pipeline overhead under 10% of codec time (Opus ⇄ PCMU): not measured.\n');
}

console.log(
  `### Jitter buffer, ${fmt(JITTER_PACKETS)} packets of 20 ms (speech-like L16) per trace, adaptive against a fixed 60 ms buffer\n`,
);
console.log(
  '| trace | mode | µs per packet (insert + playout) | added delay mean / p95 ms | late loss | concealed | waiting | target min / median / max ms | wins |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
let allWin = true;
for (const [name, result] of jitterTraces) {
  const { adaptive, fixed } = result;
  const wins =
    adaptive.report.addedDelayMeanMs < fixed.report.addedDelayMeanMs &&
    adaptive.report.latePackets <= fixed.report.latePackets &&
    adaptive.report.concealedSamples <= fixed.report.concealedSamples;
  allWin &&= wins;
  for (const [mode, r] of Object.entries(result)) {
    console.log(
      `| ${name} | ${mode} | ${fmt(r.usPerPacket, 3)} | ${fmt(r.report.addedDelayMeanMs, 1)} / ${fmt(r.report.addedDelayP95Ms)} | ${fmt(r.report.lateLossRate * 100, 2)}% | ${fmt(r.report.concealedRatio * 100, 2)}% | ${fmt(r.report.waitingRatio * 100, 2)}% | ${mode === 'adaptive' ? targetSpread(r.report) : '60 (fixed)'} | ${mode === 'adaptive' ? (wins ? 'yes' : 'NO') : ''} |`,
    );
  }
}
const cost = (mode) =>
  jitterTraces.reduce((sum, [, result]) => sum + result[mode].usPerPacket, 0) / jitterTraces.length;
console.log(
  "\nConcealed: samples the codec concealment (or FEC) produced in place of lost or late packets, over the samples played. Waiting: concealment while the timeline stood still for a missing packet (no audio of the sender replaced; the price of the adaptive buffer's lower delay). Neither counts start-up buffering; pauses of the sender (talkspurts) are in neither column.",
);
console.log(
  `\nAdaptive wins (less mean delay at equal or lower late loss and concealment) on ${allWin ? 'every' : 'NOT every'} trace. Mean cost per packet: adaptive ${fmt(cost('adaptive'), 3)} µs, fixed ${fmt(cost('fixed'), 3)} µs (${fmt(cost('adaptive') / cost('fixed'), 2)}× fixed, same run).`,
);
console.log('\n### Memory per call (after GC)\n');
console.log('| call | JS heap KiB | ArrayBuffers KiB | RSS KiB |');
console.log('|---|---|---|---|');
console.log(
  `| relay SRTP ⇄ RTP PCMU | ${fmt(relayMemory.heapKiB, 1)} | ${fmt(relayMemory.buffersKiB, 1)} | ${fmt(relayMemory.rssKiB, 1)} |`,
);
if (opusMemory) {
  console.log(
    `| transcode Opus ⇄ PCMU | ${fmt(opusMemory.heapKiB, 1)} | ${fmt(opusMemory.buffersKiB, 1)} | ${fmt(opusMemory.rssKiB, 1)} |`,
  );
}
process.exit(0);
