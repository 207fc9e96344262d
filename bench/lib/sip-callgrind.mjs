#!/usr/bin/env node
// Instructions per message for the SIP bench's parse-and-read (lib/sip-fixtures.mjs), counted by
// valgrind, so designs can be compared whatever the machine's load. For each message and
// parser, two runs under callgrind that differ only in the number of parses after the same
// warm-up; the difference in instructions (JIT, WebAssembly, GC and all) divided by the
// difference in parses is the cost of one. V8 runs with --single-threaded --predictable, so
// repeated runs give the same counts to a few instructions.
//
//   npx tsc -b && node bench/lib/sip-callgrind.mjs [INVITE|200 OK|REGISTER|OPTIONS ...]
//   SIP_CALLGRIND_PARSERS=callbridge,parse,sip  (the default: reads, parse only, `sip` 0.0.6)
//
// Slow: about 3 minutes per message and parser on an idle core.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  const instructions = (name, parser, count) => {
    const out = join(dir, `${parser}.${count}`);
    const run = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${out}`,
        process.execPath,
        '--single-threaded',
        '--predictable',
        self,
        '--inner',
        name,
        parser,
        String(count),
      ],
      { encoding: 'utf8' },
    );
    const collected = /Collected : (\d+)/.exec(run.stderr ?? '');
    if (run.status !== 0 || collected === null)
      throw new Error(`valgrind failed (${run.status}): ${run.error ?? run.stderr.slice(-500)}`);
    return Number(collected[1]);
  };
  try {
    console.log(`| message | ${parsers.join(' | ')} |`);
    console.log(`|---|${parsers.map(() => '---:').join('|')}|`);
    for (const name of names) {
      if (!(name in corpus)) throw new Error(`no message ${name} (${Object.keys(corpus)})`);
      const row = parsers.map((p) => {
        if (!(p in PARSERS)) throw new Error(`no parser ${p} (${Object.keys(PARSERS)})`);
        const per = (instructions(name, p, MORE) - instructions(name, p, FEWER)) / (MORE - FEWER);
        return Math.round(per).toLocaleString('en-US');
      });
      console.log(`| ${name} | ${row.join(' | ')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
