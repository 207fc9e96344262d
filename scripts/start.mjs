#!/usr/bin/env node
// `npm start`: build the workspace if needed, then run the gateway's CLI on its embedded default.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const cli = 'packages/gateway/dist/cli.js';
if (!existsSync(cli)) {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
if (!existsSync(cli)) {
  console.error(`${cli} was not built; run \`npm run build\` and look at its errors.`);
  process.exit(1);
}
const run = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
