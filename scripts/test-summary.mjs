#!/usr/bin/env node
// Prints the plain `N passed, N failed` line from vitest's JSON report (CI's last line).
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no test report at ${file}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const suitesFailed = report.numFailedTestSuites ?? 0;
if (suitesFailed > 0) console.log(`${suitesFailed} test file(s) failed to run`);
console.log(
  `${passed} passed, ${failed + suitesFailed} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(failed + suitesFailed > 0 || !report.success ? 1 : 0);
