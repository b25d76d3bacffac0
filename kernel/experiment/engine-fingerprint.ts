import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MMULAB_VERSION } from '../../engine/results.ts';

/**
 * What identifies the engine that made a result: mmulab's version and a SHA-256 of
 * engine/'s TypeScript sources (paths relative to engine/ and bytes, in path order).
 * The bundles carry the hash as a constant that scripts/build.mjs computes with
 * engineSourceFingerprint below; run from the sources, it is computed here once per
 * process.
 */

declare const __MMULAB_ENGINE_FINGERPRINT__: string | undefined;

let cached: string | undefined;

/** `0.1.0-3f2a...`: the version, then 16 hex digits of the engine sources' hash. */
export function engineFingerprint(): string {
  cached ??= `${MMULAB_VERSION}-${
    typeof __MMULAB_ENGINE_FINGERPRINT__ === 'string'
      ? __MMULAB_ENGINE_FINGERPRINT__
      : engineSourceFingerprint(fileURLToPath(new URL('../../engine/', import.meta.url)))
  }`;
  return cached;
}

/** The hash of the engine's sources under `engineDir` (16 hex digits). */
export function engineSourceFingerprint(engineDir: string): string {
  const files: string[] = [];
  const walk = (rel: string): void => {
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
