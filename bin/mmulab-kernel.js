#!/usr/bin/env node
// The mmulab Jupyter kernel, as a kernelspec's argv starts it:
//   node bin/mmulab-kernel.js --connection-file {connection_file}
// It runs kernel/jupyter/entry.ts bundled to dist/kernel.mjs (see bundle.js).
import { ensureBuilt, importBundle } from './bundle.js';

await ensureBuilt([
  'dist/kernel.mjs',
  'dist/run-worker.mjs',
  'dist/compile-worker.mjs',
  'dist/plan-worker.js',
]);
await importBundle('dist/kernel.mjs');
