#!/usr/bin/env node
// tslab, the TypeScript kernel, as `mmulab kernel install` sets it up: notebooks in any
// directory can `import ... from 'mmulab/tslab'`, not only those with a node_modules/
// above them. The kernelspec starts it as
//   node bin/mmulab-tslab.js --config-path {connection_file}
// with NODE_PATH naming a directory that holds a `mmulab` link to this package.
//
// Node's require reads NODE_PATH, so notebook code finds the package at run time. tslab's
// TypeScript compiler does not (TypeScript resolves modules from node_modules folders
// only), so its compiler options get a `paths` entry for mmulab/tslab: the import
// type-checks, and the types of later cells' variables are written as imports of
// 'mmulab/tslab' (a path into another folder would make TypeScript refuse them as
// "not portable", TS2742).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** What package.json's typesVersions maps mmulab/tslab to. */
const TYPES = join(ROOT, 'dist', 'types', 'kernel', 'tslab.d.ts');

const tslabMain = require.resolve('tslab/dist/main.js');
// The compiler tslab loads (dist/converter.js). Its exports are read-only getters, so
// tslab is handed a copy with one function replaced: the module cache entry is swapped
// before tslab's first require of it.
const tsPath = createRequire(tslabMain).resolve('@tslab/typescript-for-tslab');
const ts = require(tsPath);
require.cache[tsPath].exports = { ...ts, createWatchCompilerHost };

function createWatchCompilerHost(rootFiles, options, ...rest) {
  const paths = { ...options.paths, 'mmulab/tslab': [TYPES] };
  return ts.createWatchCompilerHost(rootFiles, { ...options, paths }, ...rest);
}

const at = process.argv.indexOf('--config-path');
const configPath = at < 0 ? undefined : process.argv[at + 1];
if (!configPath) {
  process.stderr.write('usage: mmulab-tslab.js --config-path CONNECTION_FILE\n');
  process.exit(2);
}
// enableFindLocal false: a tslab in the notebook's own node_modules would bring its own
// compiler, without the path above.
require(tslabMain).startKernel({ configPath, enableFindLocal: false });
