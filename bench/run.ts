/**
 * `npm run bench`: runs each benchmark in its own Node process (so peak memory is
 * the benchmark's own) and prints its figures. Nothing is asserted: the machines are
 * shared and noisy; the figures are for people and for closing notes.
 *
 * The benchmarks of the engine and the language run as users run that code: bundled
 * by esbuild the way scripts/build.mjs bundles the command line, the kernel and the
 * pool's workers. Through the tsx loader, which transpiles module by module, the same
 * engine runs ~20 % slower (the 1 TiB migration: 12.2–15.1 s against 9.7–12.5 s), so
 * a figure taken that way would describe no one's run. The benchmarks that start the
 * kernel or the labs run through tsx: what they time is those processes, which run
 * the bundles in dist/. A bundled benchmark finds the repository (dist/, bin/) by
 * MMULAB_BENCH_ROOT, as its bundle lies elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLikeCli } from '../scripts/build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/** Benchmarks that time other processes (the kernel, the labs, a pool's workers). */
const THROUGH_TSX = new Set(['kernel.bench.ts', 'notebooks.bench.ts']);
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

// Inside node_modules/.cache: a bundle's external packages (piscina, for the sweep's
// pool) resolve from the repository's node_modules, as dist/'s do.
const cacheDir = join(here, '..', 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const outDir = mkdtempSync(join(cacheDir, 'mmulab-bench-'));
let failed = 0;
try {
  for (const file of files) {
    process.stdout.write(`\n## ${file.replace('.bench.ts', '')}\n`);
    const args = THROUGH_TSX.has(file)
      ? ['--import', 'tsx', join(here, file)]
      : [await bundle(file)];
    const r = spawnSync(process.execPath, ['--expose-gc', ...args], {
      stdio: 'inherit',
      env: { ...process.env, MMULAB_BENCH_ROOT: join(here, '..') },
    });
    if (r.status !== 0) failed++;
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

/** Bundle one benchmark as scripts/build.mjs bundles the command line; returns its path. */
async function bundle(file: string): Promise<string> {
  const outfile = join(outDir, file.replace(/\.ts$/, '.mjs'));
  await bundleLikeCli(join(here, file), outfile);
  return outfile;
}
