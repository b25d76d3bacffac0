// mmulab's commands run from the esbuild bundles in dist/ (scripts/build.mjs): Node
// starts them in a fraction of the time tsx needs to transpile the sources (chevrotain
// alone takes ~2 s). `npm ci` builds them (the "prepare" script); this rebuilds them
// when a source file is newer, so a checkout that changed since runs the code it has.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Directories and files whose changes make a bundle stale. */
const SOURCES = ['engine', 'dsl', 'kernel', 'package.json', 'scripts/build.mjs'];

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

function oldest(files) {
  try {
    return Math.min(...files.map((f) => statSync(join(ROOT, f)).mtimeMs));
  } catch {
    return -Infinity;
  }
}

/** Build dist/ if any of `outputs` (paths under the repository) is missing or stale. */
export async function ensureBuilt(outputs) {
  const sources = Math.max(...SOURCES.map((p) => newest(join(ROOT, p))));
  if (oldest(outputs) >= sources) return;
  const { build } = await import(pathToFileURL(join(ROOT, 'scripts', 'build.mjs')).href);
  await build();
}

/** Import a bundle file (a path under the repository). */
export function importBundle(path) {
  return import(pathToFileURL(join(ROOT, path)).href);
}
