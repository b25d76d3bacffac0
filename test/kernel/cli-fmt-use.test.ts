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

  it('checks several files at once, naming each one that is not formatted', () => {
    const dir = project();
    writeFileSync(join(dir, 'ok.mmu'), 'tracking t { dirty_log manual }\n');
    const r = mmulab(dir, 'fmt', '--check', 'ok.mmu', 'main.mmu', 'common.mmu');
    expect(r.code).toBe(1);
    expect(r.err).toContain("main.mmu is not formatted; run 'mmulab fmt --write main.mmu'");
    expect(r.err).not.toContain('ok.mmu');
    expect(r.err).not.toContain('common.mmu');
    expect(mmulab(dir, 'fmt', '--write', 'ok.mmu', 'main.mmu').code).toBe(0);
    expect(mmulab(dir, 'fmt', '--check', 'ok.mmu', 'main.mmu', 'common.mmu').code).toBe(0);
  });

  it('refuses several files without --check or --write, saying which to add', () => {
    const r = mmulab(project(), 'fmt', 'main.mmu', 'common.mmu');
    expect(r.code).toBe(2);
    expect(r.err).toContain('add --check');
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

/** An nbformat 4.5 notebook with these cells, as Jupyter writes it. */
function notebook(language: string, cells: { cell_type: string; source: string[] }[]): string {
  const nb = {
    cells: cells.map((c, i) => ({
      ...c,
      id: `c${i}`,
      metadata: {},
      ...(c.cell_type === 'code' ? { execution_count: null, outputs: [] } : {}),
    })),
    metadata: { kernelspec: { name: language, display_name: language, language } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return `${JSON.stringify(nb, null, 1)}\n`;
}

describe('mmulab fmt on a notebook', () => {
  const cells = [
    { cell_type: 'markdown', source: ['# A lab\n', '\n', 'migration  m {bandwidth 1Gbit/s}\n'] },
    {
      cell_type: 'code',
      source: ['%variant 2\n', 'migration m {bandwidth 1Gbit/s, downtime 300ms}\n', '%help table'],
    },
    { cell_type: 'code', source: ['tracking t { dirty_log manual }'] },
  ];

  it('formats the code cells between kernel commands and leaves Markdown and commands as written', () => {
    const dir = project();
    const text = notebook('mmulab', cells);
    writeFileSync(join(dir, 'lab.ipynb'), text);
    const check = mmulab(dir, 'fmt', '--check', 'lab.ipynb');
    expect(check.code).toBe(1);
    expect(check.err).toContain("lab.ipynb is not formatted; run 'mmulab fmt --write lab.ipynb'");
    expect(mmulab(dir, 'fmt', '--write', 'lab.ipynb').code).toBe(0);
    const written = readFileSync(join(dir, 'lab.ipynb'), 'utf8');
    const expected = JSON.parse(text) as { cells: { source: string[] }[] };
    expected.cells[1].source = [
      '%variant 2\n',
      'migration m { bandwidth 1Gbit/s, downtime 300ms }\n',
      '%help table',
    ];
    // Only the one cell changed, in Jupyter's layout, and the file checks clean now.
    expect(written).toBe(`${JSON.stringify(expected, null, 1)}\n`);
    expect(mmulab(dir, 'fmt', '--check', 'lab.ipynb').code).toBe(0);
  });

  it('shows a syntax error at its line in its cell, and changes nothing', () => {
    const dir = project();
    const bad = [cells[0], { cell_type: 'code', source: ['%variant 2\n', '\n', 'tracking t {'] }];
    const text = notebook('mmulab', bad);
    writeFileSync(join(dir, 'lab.ipynb'), text);
    const r = mmulab(dir, 'fmt', '--write', 'lab.ipynb');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/lab\.ipynb \[cell 2\]:3:\d+: error: /);
    expect(r.err).toContain('tracking t {');
    expect(r.err).toContain('lab.ipynb has syntax errors');
    expect(readFileSync(join(dir, 'lab.ipynb'), 'utf8')).toBe(text);
  });

  it('leaves a TypeScript notebook as it is and says so, and refuses a file that is no notebook', () => {
    const dir = project();
    writeFileSync(join(dir, 'ts.ipynb'), notebook('typescript', [cells[2]]));
    const ts = mmulab(dir, 'fmt', '--check', 'ts.ipynb', 'common.mmu');
    expect(ts.code).toBe(0);
    expect(ts.err).toContain('ts.ipynb is a typescript notebook');
    writeFileSync(join(dir, 'broken.ipynb'), '{"cells": [');
    const broken = mmulab(dir, 'fmt', '--check', 'broken.ipynb');
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('broken.ipynb is not a notebook: its JSON does not parse');
  });
});

describe('mmulab check on a notebook', () => {
  const definitions = {
    cell_type: 'code',
    source: COMMON.split(/(?<=\n)/).concat([
      'tracking t { dirty_log manual }\n',
      'migration m { bandwidth 1Gbit/s, downtime 300ms }',
    ]),
  };
  const markdown = { cell_type: 'markdown', source: ['# Lab\n'] };

  it('compiles the code cells in order, each seeing the cells above it', () => {
    const dir = project();
    const sweep = {
      cell_type: 'code',
      source: ['%variant 1\n', 'sweep web with t, m seeds 1..3 max_time 20s\n', 'table summary'],
    };
    writeFileSync(join(dir, 'lab.ipynb'), notebook('mmulab', [markdown, definitions, sweep]));
    const r = mmulab(dir, 'check', 'lab.ipynb');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'lab.ipynb: 0 errors, 0 warnings; 2 code cells, 1 experiment(s), 3 plan(s).\n',
    );
  });

  it('names the cell and its line in a diagnostic, and fails', () => {
    const dir = project();
    const bad = {
      cell_type: 'code',
      source: ['%variant 1\n', 'run web with t, fast seed 1\n'],
    };
    writeFileSync(join(dir, 'lab.ipynb'), notebook('mmulab', [markdown, definitions, bad]));
    const r = mmulab(dir, 'check', 'lab.ipynb');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^lab\.ipynb \[cell 3\]:2:\d+: error: .*'fast'/m);
    expect(r.out).toContain('lab.ipynb: 1 error, 0 warnings');
  });

  it('is what run, plan and figure point to for a notebook, with how to run it', () => {
    const dir = project();
    writeFileSync(join(dir, 'lab.ipynb'), notebook('mmulab', [markdown, definitions]));
    for (const command of ['run', 'plan', 'figure']) {
      const r = mmulab(dir, command, 'lab.ipynb');
      expect(r.code, command).toBe(2);
      expect(r.err, command).toContain(`mmulab ${command}: 'lab.ipynb' is a notebook`);
      expect(r.err, command).toContain('jupyter nbconvert --to html --execute lab.ipynb');
      expect(r.err, command).toContain('mmulab check lab.ipynb');
    }
  });
});
