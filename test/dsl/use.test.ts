import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { formatDiagnostic } from '../../dsl/diagnostics.ts';
import { nodeFileLoader } from '../../dsl/node-loader.ts';
import { memoryLoader } from './cases.ts';

const COMMON = [
  'vm db { vcpus 2, slot ram0 at 0 size 256MiB backing thp }',
  'tracking ring { dirty_log ring 4096 }',
  'migration fast { bandwidth 10Gbit/s }',
].join('\n');

describe('use', () => {
  it('brings the definitions of a used file into scope', () => {
    const load = memoryLoader({ '/lab/common.mmu': COMMON });
    const r = compile('use "common.mmu"\nrun db with ring, fast seed 3', {
      file: '/lab/main.mmu',
      load,
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.program.experiments[0].plans[0].plan).toMatchObject({
      vm: { name: 'db', vcpus: 2 },
      tracking: { name: 'ring', dirtyLog: 'ring' },
      seed: 3,
    });
    // The used file's definitions are in scope, not in this text's program.
    expect(r.program.vms).toEqual([]);
    expect([...r.scope.vm.keys()]).toEqual(['db']);
  });

  it('resolves paths against the including file, through nested uses', () => {
    const load = memoryLoader({
      '/lab/shared/all.mmu': 'use "../machines/db.mmu"\ntracking ring { dirty_log ring 4096 }',
      '/lab/machines/db.mmu': 'vm db { slot ram0 at 0 size 256MiB }',
    });
    const r = compile(
      'use "shared/all.mmu"\nmigration m { bandwidth 1Gbit/s }\nrun db with ring, m',
      {
        file: '/lab/main.mmu',
        load,
      },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.program.experiments).toHaveLength(1);
  });

  it('compiles a file used twice only once (no duplicate definitions)', () => {
    const load = memoryLoader({
      '/a.mmu': 'use "c.mmu"',
      '/b.mmu': 'use "c.mmu"',
      '/c.mmu': COMMON,
    });
    const r = compile('use "a.mmu"\nuse "b.mmu"\nrun db with ring, fast', { file: '/m.mmu', load });
    expect(r.diagnostics).toEqual([]);
  });

  it('reports a cycle through two files at the use that closes it, naming the cycle', () => {
    const load = memoryLoader({ '/a.mmu': 'use "b.mmu"', '/b.mmu': '\nuse "a.mmu"' });
    const r = compile('use "a.mmu"', { file: '/m.mmu', load });
    expect(r.diagnostics).toMatchObject([
      {
        code: 'use-cycle',
        file: '/b.mmu',
        line: 2,
        column: 1,
        message: 'use "a.mmu" makes a cycle: /a.mmu -> /b.mmu -> /a.mmu.',
      },
    ]);
    expect(r.ok).toBe(false);
  });

  it('points diagnostics of a used file into that file, with its source for rendering', () => {
    const load = memoryLoader({ '/common.mmu': 'vm v {\n  slot r at 0 size 300ms\n}' });
    const r = compile('use "common.mmu"', { file: '/m.mmu', load });
    const d = r.diagnostics.find((x) => x.code === 'wrong-unit');
    expect(d).toMatchObject({ file: '/common.mmu', line: 2, column: 20 });
    if (!d?.file) return;
    expect(
      formatDiagnostic(r.sources.get(d.file) ?? '', d)
        .split('\n')
        .slice(0, 3),
    ).toEqual([
      '/common.mmu:2:20: error: Expected a size like 4GiB, got a time 300ms.',
      '  slot r at 0 size 300ms',
      '                   ^^^^^',
    ]);
  });

  it('reports a use without a loader as a missing file', () => {
    const r = compile('use "common.mmu"');
    expect(r.diagnostics).toMatchObject([
      { code: 'missing-file', line: 1, column: 1, message: expect.stringContaining('Cannot read') },
    ]);
  });
});

describe('nodeFileLoader', () => {
  it('reads files relative to the including file and returns null for a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmulab-use-'));
    writeFileSync(join(dir, 'common.mmu'), COMMON);
    const main = join(dir, 'main.mmu');
    expect(nodeFileLoader('common.mmu', main)).toEqual({
      text: COMMON,
      file: join(dir, 'common.mmu'),
    });
    expect(nodeFileLoader('nope.mmu', main)).toBeNull();
    const r = compile('use "common.mmu"\nrun db with ring, fast', {
      file: main,
      load: nodeFileLoader,
    });
    expect(r.diagnostics).toEqual([]);
  });
});
