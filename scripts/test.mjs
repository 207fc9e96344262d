#!/usr/bin/env node
// `npm test`: build, run every test, then lint — tests run even when lint finds something, so
// each run records its test counts; the exit code is non-zero if any step failed.
import { spawnSync } from 'node:child_process';

const steps = [
  { name: 'build', command: ['npx', 'tsc', '-b'], gate: true },
  { name: 'tests', command: ['npx', 'vitest', 'run', ...process.argv.slice(2)] },
  { name: 'eslint', command: ['npx', 'eslint', '.'] },
  { name: 'prettier', command: ['npx', 'prettier', '--check', '.'] },
  { name: 'test type-check', command: [process.execPath, 'scripts/typecheck-tests.mjs'] },
];

const failed = [];
for (const step of steps) {
  console.log(`\n== ${step.name}`);
  const [command, ...args] = step.command;
  const run = spawnSync(command, args, { stdio: 'inherit' });
  if (run.status !== 0) {
    failed.push(step.name);
    if (step.gate) break;
  }
}
if (failed.length > 0) {
  console.log(`\nnpm test: failed steps: ${failed.join(', ')}`);
  process.exit(1);
}
console.log('\nnpm test: build, tests and lint passed');
