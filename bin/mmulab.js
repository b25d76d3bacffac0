#!/usr/bin/env node
// The `mmulab` command: kernel/cli/main.ts, bundled to dist/cli.mjs (see bundle.js).
// Paths resolve against this file, not the working directory, so the command works
// from any directory and when installed as a dependency.
import { ensureBuilt, importBundle } from './bundle.js';

// `mmulab plan FILE | head`: the reader left, which is not an error of ours.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });

await ensureBuilt(['dist/cli.mjs', 'dist/plan-worker.js']);
const { main } = await importBundle('dist/cli.mjs');
process.exitCode = await main(process.argv.slice(2));
