import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/mmulab.js', import.meta.url).pathname;

function mmulab(cwd: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const COMMON = `vm web {
  vcpus 2
  slot ram0 at 4GiB size 256MiB backing thp
  workload hotset { rate 5k/s per vcpu, set 16MiB, hot 90% }
}
`;
const MAIN = `use "common.mmu"
tracking t { dirty_log manual }
migration m {bandwidth 1Gbit/s, downtime 300ms}
run web with t, m seed 1 max_time 20s
`;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmulab-fmt-'));
  writeFileSync(join(dir, 'common.mmu'), COMMON);
  writeFileSync(join(dir, 'main.mmu'), MAIN);
  return dir;
}

describe('mmulab fmt', () => {
  it('prints the canonical layout, and --check fails until --write has been run', () => {
    const dir = project();
    const printed = mmulab(dir, 'fmt', 'main.mmu');
    expect(printed.code).toBe(0);
    expect(printed.out).toContain('migration m { bandwidth 1Gbit/s, downtime 300ms }\n');
    const check = mmulab(dir, 'fmt', '--check', 'main.mmu');
    expect(check.code).toBe(1);
    expect(check.err).toContain("run 'mmulab fmt --write main.mmu'");
    expect(mmulab(dir, 'fmt', '--write', 'main.mmu').code).toBe(0);
    expect(readFileSync(join(dir, 'main.mmu'), 'utf8')).toBe(printed.out);
    expect(mmulab(dir, 'fmt', '--check', 'main.mmu').code).toBe(0);
  });

  it('rejects --check with --write as a usage error', () => {
    const r = mmulab(project(), 'fmt', '--check', '--write', 'main.mmu');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--check and --write exclude each other');
  });
});

describe('use "file.mmu" from the command line', () => {
  it('brings in the definitions of a file next to the one being checked', () => {
    const r = mmulab(project(), 'check', 'main.mmu');
    expect(r.code).toBe(0);
    expect(r.out).toContain('0 errors');
  });

  it('reports a cycle of uses at the use that closes it', () => {
    const dir = project();
    writeFileSync(join(dir, 'common.mmu'), `${COMMON}use "main.mmu"\n`);
    const r = mmulab(dir, 'check', 'main.mmu');
    expect(r.code).toBe(1);
    // Files named as the user names them, relative to the working directory.
    expect(r.out).toContain(
      'common.mmu:6:1: error: use "main.mmu" makes a cycle: main.mmu -> common.mmu -> main.mmu.',
    );
    expect(r.out).not.toContain(dir);
  });
});
