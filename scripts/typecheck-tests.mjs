#!/usr/bin/env node
// Type-checks the tests of the workspace and of each package (src is checked by `tsc -b`).
import { readdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';

const projects = [
  'test/tsconfig.json',
  ...readdirSync('packages').map((name) => `packages/${name}/test/tsconfig.json`),
];
let failed = false;
for (const project of projects) {
  if (!existsSync(project)) continue;
  const hasTests = readdirSync(dirname(project), { recursive: true }).some((f) =>
    String(f).endsWith('.ts'),
  );
  if (!hasTests) continue;
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], {
      stdio: 'inherit',
    });
  } catch {
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
