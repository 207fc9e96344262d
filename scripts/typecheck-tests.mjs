#!/usr/bin/env node
// Type-checks the tests of the workspace and of each package (src is checked by `tsc -b`), and
// the runnable examples of the package READMEs (their tests run them, which checks no types).
import { readdirSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

const tsc = (project) =>
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], {
    stdio: 'inherit',
  });

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
    tsc(project);
  } catch {
    failed = true;
  }
}

// README examples: a ```ts block right after a `<!-- runnable -->` line (the format
// @callbridge/testkit's readmeExamples() reads). They import the packages by name, which resolves
// to the built declarations in dist/, as for a user of the package.
const examplesDir = 'node_modules/.cache/callbridge-readme-examples';
rmSync(examplesDir, { recursive: true, force: true });
for (const name of readdirSync('packages')) {
  const readme = `packages/${name}/README.md`;
  if (!existsSync(readme)) continue;
  const lines = readFileSync(readme, 'utf8').split(/\r?\n/);
  const dir = join(examplesDir, name);
  let count = 0;
  for (let i = 0; i + 1 < lines.length; i++) {
    if (lines[i].trim() !== '<!-- runnable -->' || lines[i + 1].trim() !== '```ts') continue;
    const end = lines.indexOf('```', i + 2);
    mkdirSync(dir, { recursive: true });
    // Line-numbered like the tests name them, so an error points at the README.
    writeFileSync(join(dir, `line-${i + 2}.ts`), `${lines.slice(i + 2, end).join('\n')}\n`);
    count++;
  }
  if (count === 0) continue;
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../../tsconfig.base.json',
      compilerOptions: { composite: false, noEmit: true, typeRoots: ['../../../@types'] },
      include: ['*.ts'],
    }),
  );
  try {
    tsc(join(dir, 'tsconfig.json'));
  } catch {
    console.error(`(type errors above are in the examples of ${readme}, at the named lines)`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
