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

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ESM bundles of CommonJS dependencies call require() for Node built-ins.
const esmBanner =
  "import { createRequire as __mmulabRequire } from 'node:module'; const require = __mmulabRequire(import.meta.url);";

/** zeromq is a native addon; plotly.js-dist is read as text, never executed in Node. */
const external = ['zeromq', 'plotly.js-dist', 'tslab'];

export const BUNDLES = [
  // The kernel loads the language and engine with a dynamic import after binding its
  // sockets; with splitting they land in chunks of their own (dist/chunks/).
  { name: 'kernel', entry: 'kernel/jupyter/entry.ts', format: 'esm', splitting: true },
  { name: 'run-worker', entry: 'kernel/jupyter/run-worker.ts', format: 'esm' },
];

export async function build() {
  const written = [];
  for (const b of BUNDLES) {
    const result = await esbuild.build({
      entryPoints: { [b.name]: join(root, b.entry) },
      outdir: join(root, 'dist'),
      outExtension: { '.js': b.format === 'esm' ? '.mjs' : '.cjs' },
      chunkNames: 'chunks/[name]-[hash]',
      splitting: b.splitting === true,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: b.format,
      external,
      write: false,
      logLevel: 'error',
      banner: b.format === 'esm' ? { js: esmBanner } : undefined,
      legalComments: 'none',
    });
    // Chunks first and the entry last, each written then renamed: a kernel starting
    // while another rebuilds never loads half a file, or an entry without its chunks.
    const entry = join(root, 'dist', `${b.name}${b.format === 'esm' ? '.mjs' : '.cjs'}`);
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await build();
  // Only here, not in build(): bin/mmulab-kernel.js rebuilds at start and needs no types.
  const { buildTslabTypes } = await import('./tslab-types.mjs');
  if ((await buildTslabTypes(root)).length) files.push('dist/types (mmulab/tslab)');
  process.stdout.write(`built ${files.join(', ')}\n`);
}
