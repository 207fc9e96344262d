#!/usr/bin/env node
// Instructions per message for the SIP bench's parse-and-read (lib/sip-fixtures.mjs), counted by
// valgrind, so designs can be compared whatever the machine's load. For each message and
// parser, two runs under callgrind that differ only in the number of parses after the same
// warm-up; the difference in instructions (JIT, WebAssembly, GC and all) divided by the
// difference in parses is the cost of one. V8 runs with --single-threaded --predictable, and
// --no-liftoff: WebAssembly is compiled by TurboFan up front (what a long run ends up running),
// not tiered up at a moment that differed between the two runs by thousands of instructions per
// message. One-off events (a GC, a compilation) can still land in one run only and move a
// total; SIP_CALLGRIND_BY_FUNCTION=1 also prints the difference per code object (JavaScript and
// WebAssembly functions, found through V8's --perf-prof jitdump), where they show as
// "(native and other)" while the code objects' counts stay exact: decide by those.
//
//   npx tsc -b && node bench/lib/sip-callgrind.mjs [INVITE|200 OK|REGISTER|OPTIONS ...]
//   SIP_CALLGRIND_PARSERS=callbridge,parse,sip  (the default: reads, parse only, `sip` 0.0.6)
//   SIP_CALLGRIND_BY_FUNCTION=1                 (also the code objects of more than 50 each)
//
// Slow: about 3 minutes per message and parser on an idle core (more by function).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '@callbridge/sip';
import { bytes, callbridge, corpus, sipPkgRead } from './sip-fixtures.mjs';

const PARSERS = {
  callbridge: { input: 'bytes', run: callbridge },
  parse: { input: 'bytes', run: (b) => parseMessage(b) !== undefined },
  sip: { input: 'string', run: sipPkgRead },
};
const WARM_UP = 8000; // parses of each message, twice over, before counting
const FEWER = 50_000;
const MORE = 150_000;

if (process.argv[2] === '--inner') {
  const [, , , name, parserName, countArg] = process.argv;
  const parser = PARSERS[parserName];
  const inputOf = (n) => (parser.input === 'bytes' ? bytes[n] : corpus[n]);
  let sink = 0;
  for (let r = 0; r < 2; r++)
    for (const n of Object.keys(corpus))
      for (let i = 0; i < WARM_UP; i++) sink ^= parser.run(inputOf(n)) ? 1 : 0;
  const input = inputOf(name);
  for (let i = 0, count = Number(countArg); i < count; i++) sink ^= parser.run(input) ? 1 : 0;
  if (sink === 42) console.log('');
} else {
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(corpus);
  const parsers = (process.env.SIP_CALLGRIND_PARSERS ?? 'callbridge,parse,sip').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'sip-callgrind-'));
  const self = fileURLToPath(import.meta.url);
  const byFunction = process.env.SIP_CALLGRIND_BY_FUNCTION === '1';
  /** Instructions of one run, in all and (by function) per code object. */
  const instructions = (name, parser, count) => {
    const out = join(dir, `${parser}.${count}`);
    const cwd = mkdtempSync(join(dir, 'run-')); // where --perf-prof writes its jitdump
    const run = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${out}`,
        ...(byFunction ? ['--dump-instr=yes'] : []),
        process.execPath,
        '--single-threaded',
        '--predictable',
        '--no-liftoff',
        ...(byFunction ? ['--perf-prof'] : []),
        self,
        '--inner',
        name,
        parser,
        String(count),
      ],
      { encoding: 'utf8', cwd },
    );
    const collected = /Collected : (\d+)/.exec(run.stderr ?? '');
    if (run.status !== 0 || collected === null)
      throw new Error(`valgrind failed (${run.status}): ${run.error ?? run.stderr.slice(-500)}`);
    const perObject = new Map();
    if (byFunction) {
      const dump = readdirSync(cwd).find((f) => f.startsWith('jit-'));
      if (dump === undefined) throw new Error('V8 wrote no jitdump (--perf-prof)');
      const objects = codeObjects(readFileSync(join(cwd, dump)));
      for (const [address, cost] of costByAddress(readFileSync(out, 'utf8'))) {
        const object = objectAt(objects, address) ?? '(native and other)';
        perObject.set(object, (perObject.get(object) ?? 0) + cost);
      }
    }
    rmSync(cwd, { recursive: true, force: true });
    return { total: Number(collected[1]), perObject };
  };
  try {
    const details = [];
    console.log(`| message | ${parsers.join(' | ')} |`);
    console.log(`|---|${parsers.map(() => '---:').join('|')}|`);
    for (const name of names) {
      if (!(name in corpus)) throw new Error(`no message ${name} (${Object.keys(corpus)})`);
      const row = parsers.map((p) => {
        if (!(p in PARSERS)) throw new Error(`no parser ${p} (${Object.keys(PARSERS)})`);
        const more = instructions(name, p, MORE);
        const fewer = instructions(name, p, FEWER);
        const per = (more.total - fewer.total) / (MORE - FEWER);
        if (byFunction) {
          const lines = [...new Set([...more.perObject.keys(), ...fewer.perObject.keys()])]
            .map((k) => [
              k,
              ((more.perObject.get(k) ?? 0) - (fewer.perObject.get(k) ?? 0)) / (MORE - FEWER),
            ])
            .filter(([, v]) => Math.abs(v) >= 50)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `  ${Math.round(v).toLocaleString('en-US').padStart(7)}  ${k}`);
          details.push(`${name}, ${p}:`, ...lines);
        }
        return Math.round(per).toLocaleString('en-US');
      });
      console.log(`| ${name} | ${row.join(' | ')} |`);
    }
    if (byFunction)
      console.log(`\nPer code object (instructions per message):\n${details.join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The code objects V8 logged to a jitdump (--perf-prof; the format of Linux perf's
 * jitdump-specification.txt): sorted [start, size, name] of each JIT_CODE_LOAD record.
 */
function codeObjects(dump) {
  const view = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
  const objects = [];
  // File header: magic, version, header size, ...; each record: id, total size, timestamp.
  for (let at = view.getUint32(8, true); at + 16 <= dump.length;) {
    const id = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    if (size === 0) break;
    if (id === 0) {
      // JIT_CODE_LOAD: pid, tid, vma, code address, code size, code index, name\0, code.
      const start = Number(view.getBigUint64(at + 32, true));
      const length = Number(view.getBigUint64(at + 40, true));
      const nameEnd = dump.indexOf(0, at + 56);
      objects.push([start, length, dump.toString('latin1', at + 56, nameEnd)]);
    }
    at += size;
  }
  return objects.sort((a, b) => a[0] - b[0]);
}

/** The name of the code object holding `address`, or undefined. */
function objectAt(objects, address) {
  let low = 0;
  let high = objects.length - 1;
  let found;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (objects[mid][0] <= address) {
      found = objects[mid];
      low = mid + 1;
    } else high = mid - 1;
  }
  return found !== undefined && address < found[0] + found[1] ? found[2] : undefined;
}

/**
 * Self cost per instruction address from a callgrind output written with --dump-instr=yes
 * (positions "instr line"; "+n", "-n" and "*" are relative to the previous position; the cost
 * line after a "calls=" line is the call's inclusive cost and is skipped).
 */
function costByAddress(text) {
  const costs = new Map();
  const last = [0, 0];
  let positions = 1;
  let callCost = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('positions:')) {
      positions = line.slice(10).trim().split(/\s+/).length;
      continue;
    }
    if (line.startsWith('calls=')) {
      callCost = true;
      continue;
    }
    if (!/^[0-9+*-]/.test(line)) continue;
    const fields = line.trim().split(/\s+/);
    for (let k = 0; k < positions; k++) {
      const field = fields[k];
      if (field === '*') continue;
      const relative = field[0] === '+' || field[0] === '-';
      const value = Number(relative ? field.slice(1) : field);
      last[k] = relative ? last[k] + (field[0] === '+' ? value : -value) : value;
    }
    if (callCost) {
      callCost = false;
      continue;
    }
    costs.set(last[0], (costs.get(last[0]) ?? 0) + Number(fields[positions] ?? 0));
  }
  return costs;
}
