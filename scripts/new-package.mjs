#!/usr/bin/env node
// Creates the skeleton of a workspace package: `node scripts/new-package.mjs <name> "<description>" [dep ...]`.
// Deps are other @callbridge packages (short names); they become dependencies and project references.
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description = '', ...deps] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>" [dep ...]');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(dir)) {
  console.error(`${dir} exists already`);
  process.exit(1);
}
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const json = (value) => JSON.stringify(value, null, 2) + '\n';
writeFileSync(
  join(dir, 'package.json'),
  json({
    name: `@callbridge/${name}`,
    version: '0.1.0',
    description,
    license: 'MIT',
    type: 'module',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    files: ['dist', 'src'],
    dependencies: Object.fromEntries(deps.map((d) => [`@callbridge/${d}`, '0.1.0'])),
  }),
);
writeFileSync(
  join(dir, 'tsconfig.json'),
  json({
    extends: '../../tsconfig.base.json',
    compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
    include: ['src'],
    references: deps.map((d) => ({ path: `../${d}` })),
  }),
);
writeFileSync(
  join(dir, 'test', 'tsconfig.json'),
  json({
    extends: '../../../tsconfig.base.json',
    compilerOptions: { composite: false, noEmit: true, types: ['node'] },
    include: ['**/*.ts'],
  }),
);
writeFileSync(join(dir, 'src', 'index.ts'), `export {};\n`);
const root = JSON.parse(readFileSync('tsconfig.json', 'utf8'));
root.references.push({ path: `packages/${name}` });
writeFileSync('tsconfig.json', json(root));
console.log(`created ${dir}`);
