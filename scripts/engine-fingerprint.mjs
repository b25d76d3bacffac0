// The engine's fingerprint: SHA-256 over engine/'s TypeScript sources (each file's
// path relative to engine/, then its bytes, in path order). The result cache keys
// stored results by it with the plan's hash, so results made by other engine code are
// never reused. scripts/build.mjs writes it into the bundles; from the sources,
// kernel/experiment/engine-fingerprint.ts computes the same value the same way (a test
// holds the two to each other).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function engineSourceFingerprint(engineDir) {
  const files = [];
  const walk = (rel) => {
    for (const entry of readdirSync(join(engineDir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  walk('');
  files.sort();
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(`${f}\0`);
    hash.update(readFileSync(join(engineDir, f)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
