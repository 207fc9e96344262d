#!/usr/bin/env node
// `npm run bench -- [suite ...]`: runs bench/<suite>.mjs for each named suite (all when none).
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -'.mjs'.length))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((s) => !available.includes(s));
if (unknown.length > 0) {
  console.error(
    `unknown bench suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`,
  );
  process.exit(2);
}
let failed = false;
for (const suite of wanted.length > 0 ? wanted : available) {
  console.log(`\n## bench: ${suite}\n`);
  const run = spawnSync(process.execPath, ['--expose-gc', `${dir}${suite}.mjs`], {
    stdio: 'inherit',
  });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
