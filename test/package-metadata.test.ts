import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

const ROOT = join(import.meta.dirname, '..');
const read = (name: string): string => readFileSync(join(ROOT, name), 'utf8');

describe('the package metadata a citation relies on', () => {
  it('CITATION.cff gives the version and the license of package.json', () => {
    const cff = read('CITATION.cff');
    expect(cff).toMatch(new RegExp(`^version: ${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
    expect(cff).toMatch(new RegExp(`^license: ${pkg.license}$`, 'm'));
  });

  it('LICENSE holds the license package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
  });
});
