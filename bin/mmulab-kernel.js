#!/usr/bin/env node
// The mmulab Jupyter kernel, as a kernelspec's argv starts it:
//   node bin/mmulab-kernel.js --connection-file {connection_file}
// It runs the bundle in dist/ (scripts/build.mjs), rebuilding it first when a source
// file is newer, so a checkout that changed since `npm ci` still starts the code it has.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'kernel.mjs');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

function stale() {
  let built;
  try {
    built = Math.min(
      statSync(bundle).mtimeMs,
      statSync(join(root, 'dist', 'run-worker.mjs')).mtimeMs,
    );
  } catch {
    return true;
  }
  const sources = Math.max(
    ...['engine', 'dsl', 'kernel', 'package.json'].map((p) => newest(join(root, p))),
  );
  return sources > built;
}

if (stale()) {
  const { build } = await import('../scripts/build.mjs');
  await build();
}
await import(pathToFileURL(bundle).href);
