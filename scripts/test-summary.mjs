#!/usr/bin/env node
// Prints the plain `N passed, N failed` line from vitest's JSON report (CI's last line). A build
// or lint step that failed (`--steps-failed=<npm test exit code>`) counts as one more failure.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? 'test-results/vitest.json';
const stepsStatus = Number(
  args.find((a) => a.startsWith('--steps-failed='))?.slice('--steps-failed='.length) ?? 0,
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  // A file that failed to load or run has no test results of its own: count it once.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && (file.assertionResults ?? []).length === 0,
  );
  for (const file of brokenFiles) console.log(`test file failed to run: ${file.name}`);
  failed = (report.numFailedTests ?? 0) + brokenFiles.length;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} catch (error) {
  console.log(`no test report at ${file}: ${error.message}`);
  failed += 1;
}
// The tests passed but build or lint did not: that failure counts too.
if (stepsStatus !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
