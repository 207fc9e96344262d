#!/usr/bin/env node
// `npm run bench -- codecs`: µs per 20 ms frame to encode and decode for each codec, and a full
// transcoded call (Opus 48 kHz ⇄ PCMU 8 kHz, both directions, resampling included), for
// @callbridge/codecs (TypeScript + WebAssembly) and, in the same run on the same core and the
// same speech, for the same C libraries built natively against Debian's -dev packages
// (bench/native/codecs.c). Prints "transcoded calls per core" for both and their ratio.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  G711Codec,
  G722Codec,
  OpusCodec,
  SpeexCodec,
  createResampler,
  opusWasm,
  speexWasm,
} from '@callbridge/codecs';
import { G729Codec, g729Wasm } from '@callbridge/codec-g729';

const REPEATS = 5;
const CORE = '1';
const here = fileURLToPath(new URL('.', import.meta.url));

// One core, like the native harness (BASELINES.md: compare ratios from the same run only).
if (!process.env.CALLBRIDGE_BENCH_PINNED && spawnSync('taskset', ['-V']).status === 0) {
  const run = spawnSync(
    'taskset',
    ['-c', CORE, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)],
    {
      stdio: 'inherit',
      env: { ...process.env, CALLBRIDGE_BENCH_PINNED: '1' },
    },
  );
  process.exit(run.status ?? 1);
}

const work = mkdtempSync(join(tmpdir(), 'callbridge-bench-codecs-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// ---- speech input ------------------------------------------------------------------------------
const TEXT =
  'Hello, this is a test call through the gateway. The quick brown fox jumps over the lazy dog. ' +
  'Please hold while we connect your call. Seven, eight, nine, ten. ' +
  'A transcoded call carries speech between a browser and a telephone, twenty milliseconds at a time.';

function readWav(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let rate = 0;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') rate = view.getUint32(at + 12, true);
    if (id === 'data') {
      const n = Math.min(size, bytes.length - at - 8) >> 1;
      const pcm = new Int16Array(n);
      for (let i = 0; i < n; i++) pcm[i] = view.getInt16(at + 8 + 2 * i, true);
      return { rate, pcm };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error('no data chunk in WAV');
}

/** Synthetic speech-like fallback: gliding-pitch pulse train through moving formants. */
function syntheticSpeech(rate, seconds) {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  const state = [0, 0, 0, 0, 0, 0];
  const vowels = [
    [730, 1090, 2440],
    [270, 2290, 3010],
    [530, 1840, 2480],
    [300, 870, 2240],
  ];
  let phase = 0;
  let seed = 1;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    phase += (140 + 50 * Math.sin(2 * Math.PI * 0.7 * t)) / rate;
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const voiced = Math.floor(t * 4) % 5 !== 3;
    let y = voiced ? (phase >= 1 ? 1 : 0) : (seed / 2 ** 32 - 0.5) * 0.3;
    if (phase >= 1) phase -= 1;
    const vowel = vowels[Math.floor(t * 4) % vowels.length];
    for (let f = 0; f < 3; f++) {
      const a1 = 2 * 0.97 * Math.cos((2 * Math.PI * Math.min(vowel[f], rate * 0.45)) / rate);
      const v = y + a1 * state[2 * f] - 0.9409 * state[2 * f + 1];
      state[2 * f + 1] = state[2 * f];
      state[2 * f] = v;
      y = v * 0.03;
    }
    out[i] = Math.max(
      -32768,
      Math.min(32767, Math.round(y * 8000 * (0.4 + 0.6 * Math.abs(Math.sin(Math.PI * t * 4))))),
    );
  }
  return out;
}

async function speechInputs() {
  const wavPath = join(work, 'speech.wav');
  const espeak = spawnSync('espeak-ng', ['-w', wavPath, TEXT]);
  let source;
  if (espeak.status === 0 && existsSync(wavPath)) {
    source = { ...readWav(new Uint8Array(readFileSync(wavPath))), kind: 'espeak-ng speech' };
  } else {
    source = {
      rate: 48000,
      pcm: syntheticSpeech(48000, 10),
      kind: 'synthetic speech-like signal (espeak-ng not installed)',
    };
  }
  const out = { kind: source.kind };
  for (const rate of [48000, 16000, 8000]) {
    if (rate === source.rate) {
      out[rate] = source.pcm;
      continue;
    }
    const rs = await createResampler({ inputRate: source.rate, outputRate: rate, quality: 10 });
    const converted = rs.process(source.pcm).slice();
    rs.close();
    // Whole 20 ms frames only.
    out[rate] = converted.subarray(0, Math.floor(converted.length / (rate / 50)) * (rate / 50));
  }
  return out;
}

function writeRaw(path, pcm) {
  writeFileSync(path, new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
}

// ---- native harness ------------------------------------------------------------------------------
function runNative(speech) {
  const buildDir = join(here, 'native', 'build');
  mkdirSync(buildDir, { recursive: true });
  const binary = join(buildDir, 'codecs');
  const flags = spawnSync(
    'pkg-config',
    ['--cflags', '--libs', 'opus', 'speex', 'speexdsp', 'libbcg729'],
    {
      encoding: 'utf8',
    },
  );
  if (flags.status !== 0)
    return {
      error: `pkg-config: ${flags.stderr.trim()} (apt-get install libopus-dev libspeex-dev libspeexdsp-dev libbcg729-dev)`,
    };
  const base = [
    '-O2',
    '-o',
    binary,
    join(here, 'native', 'codecs.c'),
    ...flags.stdout.trim().split(/\s+/),
  ];
  let compile = spawnSync('cc', ['-DWITH_SPANDSP', ...base, '-l:libspandsp.so.2'], {
    encoding: 'utf8',
  });
  if (compile.status !== 0) compile = spawnSync('cc', base, { encoding: 'utf8' });
  if (compile.status !== 0) return { error: `cc: ${compile.stderr.trim()}` };
  const files = [48000, 8000, 16000].map((rate) => {
    const path = join(work, `speech${rate}.raw`);
    writeRaw(path, speech[rate]);
    return path;
  });
  return JSON.parse(execFileSync(binary, [...files, String(REPEATS)], { encoding: 'utf8' }));
}

// ---- TypeScript / WebAssembly measurements ----------------------------------------------------
function measure(frames, pass) {
  pass(); // warm-up: JIT tiers and WebAssembly's optimizing compiler
  const times = [];
  for (let r = 0; r < REPEATS; r++) {
    // CPU time (as the native harness): descheduled time on a shared machine is not cost.
    const start = process.cpuUsage();
    pass();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / frames);
  }
  times.sort((a, b) => a - b);
  return times[REPEATS >> 1];
}

function frameList(pcm, size) {
  const frames = [];
  for (let at = 0; at + size <= pcm.length; at += size) frames.push(pcm.subarray(at, at + size));
  return frames;
}

function codecPair(results, name, makeCodec, input, frameSize, perFrame = 1) {
  const frames = frameList(input, frameSize);
  const encoder = makeCodec();
  const decoder = makeCodec();
  const packets = frames.map((f) => encoder.encode(f).slice());
  results[`${name} encode`] = measure(frames.length / perFrame, () => {
    encoder.reset();
    for (const f of frames) encoder.encode(f);
  });
  results[`${name} decode`] = measure(frames.length / perFrame, () => {
    for (const p of packets) decoder.decode(p);
  });
  encoder.close();
  decoder.close();
}

async function runOurs(speech) {
  await Promise.all([opusWasm.load(), speexWasm.load(), g729Wasm.load()]);
  const results = {};
  const s8 = speech[8000];
  const s16 = speech[16000];
  const s48 = speech[48000];
  codecPair(results, 'PCMU', () => new G711Codec('mu'), s8, 160);
  codecPair(results, 'G722', () => new G722Codec(), s16, 320);
  for (const complexity of [10, 5, 2]) {
    codecPair(
      results,
      `opus 48k c${complexity}`,
      () => new OpusCodec({ bitrate: 32000, complexity }),
      s48,
      960,
    );
  }
  codecPair(
    results,
    'opus 8k c5',
    () => new OpusCodec({ sampleRate: 8000, bitrate: 32000, complexity: 5 }),
    s8,
    160,
  );
  codecPair(results, 'speex nb', () => new SpeexCodec({ sampleRate: 8000 }), s8, 160);
  codecPair(results, 'speex wb', () => new SpeexCodec({ sampleRate: 16000 }), s16, 320);
  codecPair(results, 'G729', () => new G729Codec({ frameDuration: 20 }), s8, 160);

  const down = await createResampler({ inputRate: 48000, outputRate: 8000, quality: 3 });
  const up = await createResampler({ inputRate: 8000, outputRate: 48000, quality: 3 });
  const frames48 = frameList(s48, 960);
  const frames8 = frameList(s8, 160);
  results['resample 48k->8k'] = measure(frames48.length, () => {
    for (const f of frames48) down.process(f);
  });
  results['resample 8k->48k'] = measure(frames8.length, () => {
    for (const f of frames8) up.process(f);
  });

  // Transcoded call: the browser's Opus packets come in, the phone's PCMU comes in; both legs
  // are decoded, resampled and re-encoded every 20 ms.
  const count = Math.min(frames48.length, frames8.length);
  const browser = new OpusCodec({ bitrate: 32000 });
  const fromBrowser = frames48.slice(0, count).map((f) => browser.encode(f).slice());
  const phone = new G711Codec('mu');
  const fromPhone = frames8.slice(0, count).map((f) => phone.encode(f).slice());
  const widePad = new Int16Array(960);
  for (const complexity of [10, 5, 2]) {
    const opus = new OpusCodec({ bitrate: 32000, complexity });
    const pcmu = new G711Codec('mu');
    results[`call 48k c${complexity}`] = measure(count, () => {
      for (let f = 0; f < count; f++) {
        pcmu.encode(down.process(opus.decode(fromBrowser[f])));
        const wide = up.process(pcmu.decode(fromPhone[f]));
        if (wide.length === 960) opus.encode(wide);
        else {
          widePad.fill(0);
          widePad.set(wide.subarray(0, 960));
          opus.encode(widePad);
        }
      }
    });
    opus.close();
    // Opus run at the narrowband rate: no resampler (BASELINES.md).
    const opus8 = new OpusCodec({ sampleRate: 8000, bitrate: 32000, complexity });
    results[`call 8k c${complexity}`] = measure(count, () => {
      for (let f = 0; f < count; f++) {
        pcmu.encode(opus8.decode(fromBrowser[f]));
        opus8.encode(pcmu.decode(fromPhone[f]));
      }
    });
    opus8.close();
  }
  return results;
}

// ---- report ------------------------------------------------------------------------------------
const speech = await speechInputs();
console.log(
  `input: ${speech.kind}, ${(speech[8000].length / 8000).toFixed(1)} s; one core (taskset -c ${CORE}), CPU time, median of ${REPEATS} passes after a warm-up`,
);
const native = runNative(speech);
if (native.error) console.log(`native baseline unavailable: ${native.error}`);
const ours = await runOurs(speech);

const rows = Object.keys(ours).filter((k) => !k.startsWith('call '));
const fmt = (v) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
console.log('\nµs per 20 ms frame (one direction)');
console.log('| operation | callbridge (TS/wasm) | native C (Debian libs) | ratio |');
console.log('|---|---|---|---|');
for (const key of rows)
  console.log(
    `| ${key} | ${fmt(ours[key])} | ${fmt(native[key])} | ${ratio(ours[key], native[key])} |`,
  );

console.log('\nTranscoded call, Opus ⇄ PCMU, both directions, codec work per 20 ms');
console.log(
  '| pipeline | callbridge µs | native µs | callbridge calls/core | native calls/core | cost ratio |',
);
console.log('|---|---|---|---|---|---|');
for (const key of Object.keys(ours).filter((k) => k.startsWith('call '))) {
  const label = key.startsWith('call 48k')
    ? `Opus 48 kHz + resampler (q3), complexity ${key.slice(10)}`
    : `Opus run at 8 kHz (no resampler), complexity ${key.slice(9)}`;
  const callsOurs = Math.floor(20000 / ours[key]);
  const callsNative = native[key] ? Math.floor(20000 / native[key]) : undefined;
  console.log(
    `| ${label} | ${fmt(ours[key])} | ${fmt(native[key])} | ${callsOurs} | ${callsNative ?? '—'} | ${ratio(ours[key], native[key])} |`,
  );
}
const headline = ours['call 48k c5'];
if (native['call 48k c5']) {
  console.log(
    `\ntranscoded calls per core (Opus 48 kHz c5 ⇄ PCMU): callbridge ${Math.floor(20000 / headline)}, native ${Math.floor(20000 / native['call 48k c5'])}; ` +
      `wasm pipeline costs ${(headline / native['call 48k c5']).toFixed(2)}× native (goal ≤ 1.5×)`,
  );
}
