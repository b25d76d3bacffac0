// Bundles what must start fast or load without a TypeScript loader into dist/:
// the Jupyter kernel and its simulation thread (a kernel should answer kernel_info
// well under a second; through tsx, transpiling chevrotain alone takes ~2 s) and the
// CommonJS module that tslab notebooks require as `mmulab/tslab`.
// Run by `npm ci`/`npm install` (the "prepare" script) and by bin/mmulab-kernel.js
// whenever a source file is newer than the bundle.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ESM bundles of CommonJS dependencies call require() for Node built-ins.
const esmBanner =
  "import { createRequire as __mmulabRequire } from 'node:module'; const require = __mmulabRequire(import.meta.url);";

/**
 * zeromq is a native addon; plotly.js-dist is read as text, never executed in Node;
 * esbuild (which minifies it) runs its own native binary; playwright-core (which
 * drives Chromium for `mmulab figure`) finds its own files from its package directory.
 */
const external = ['zeromq', 'plotly.js-dist', 'tslab', 'piscina', 'esbuild', 'playwright-core'];

export const BUNDLES = [
  // The kernel loads the language and engine with a dynamic import after binding its
  // sockets; with splitting they land in chunks of their own (dist/chunks/).
  { name: 'kernel', entry: 'kernel/jupyter/entry.ts', format: 'esm', splitting: true },
  // The kernel's simulation thread (a WorkerRunner's), next to dist/kernel.mjs as the
  // kernel's main expects it.
  { name: 'run-worker', entry: 'kernel/experiment/thread-worker.ts', format: 'esm' },
  // The kernel's compile thread (a ThreadCompiler's), beside it likewise.
  { name: 'compile-worker', entry: 'kernel/jupyter/compile-thread.ts', format: 'esm' },
  // `mmulab/tslab`: tslab compiles notebook cells to CommonJS (package.json "exports").
  { name: 'tslab', entry: 'kernel/tslab.ts', format: 'cjs' },
  // The command line, in one file: pool-runner.ts finds its worker next to its own module.
  { name: 'cli', entry: 'kernel/cli/main.ts', format: 'esm' },
  // pool-runner.ts starts `./plan-worker.js` next to itself: dist/plan-worker.js in the bundle.
  {
    name: 'plan-worker',
    entry: 'kernel/experiment/plan-worker-entry.ts',
    format: 'esm',
    extension: '.js',
  },
];

// CommonJS has no import.meta: plotlyBundle() resolves plotly.js-dist from the bundle's own URL.
const cjsBanner =
  "const __mmulabImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

function extensionOf(b) {
  return b.extension ?? (b.format === 'esm' ? '.mjs' : '.cjs');
}

export async function build() {
  const written = [];
  // The result cache's key part for the engine, computed by the very function the
  // sources use when they run without a bundle.
  const { engineSourceFingerprint } = await tsImport(
    '../kernel/experiment/engine-fingerprint.ts',
    import.meta.url,
  );
  const fingerprint = JSON.stringify(engineSourceFingerprint(join(root, 'engine')));
  for (const b of BUNDLES) {
    const result = await esbuild.build({
      entryPoints: { [b.name]: join(root, b.entry) },
      outdir: join(root, 'dist'),
      outExtension: { '.js': extensionOf(b) },
      chunkNames: 'chunks/[name]-[hash]',
      splitting: b.splitting === true,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: b.format,
      external,
      write: false,
      logLevel: 'error',
      banner: { js: b.format === 'esm' ? esmBanner : cjsBanner },
      define: {
        __MMULAB_ENGINE_FINGERPRINT__: fingerprint,
        ...(b.format === 'cjs' ? { 'import.meta.url': '__mmulabImportMetaUrl' } : {}),
      },
      legalComments: 'none',
    });
    // Chunks first and the entry last, each written then renamed: a kernel starting
    // while another rebuilds never loads half a file, or an entry without its chunks.
    const entry = join(root, 'dist', `${b.name}${extensionOf(b)}`);
    const files = [...result.outputFiles].sort((x, y) => (x.path === entry) - (y.path === entry));
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = `${f.path}.${process.pid}.tmp`;
      writeFileSync(tmp, f.contents);
      renameSync(tmp, f.path);
      written.push(relative(root, f.path));
    }
  }
  return written;
}

/**
 * Bundle one more entry the way the command line is bundled (ESM for Node 20, the same
 * externals and banner) into `outfile`: `npm run bench` times the engine so.
 */
export async function bundleLikeCli(entry, outfile) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external,
    banner: { js: esmBanner },
    logLevel: 'error',
    legalComments: 'none',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await build();
  // Only here, not in build(): bin/mmulab-kernel.js rebuilds at start and needs no types.
  const { buildTslabTypes } = await import('./tslab-types.mjs');
  if ((await buildTslabTypes(root)).length) files.push('dist/types (mmulab/tslab)');
  process.stdout.write(`built ${files.join(', ')}\n`);
}
