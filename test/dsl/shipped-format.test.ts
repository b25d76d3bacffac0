import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { format } from '../../dsl/format.ts';
import { formatNotebook } from '../../kernel/cli/fmt-notebook.ts';
import { notebookNames, readSource, ROOT } from '../../scripts/notebooks.ts';

/**
 * What ships is in canonical layout: every example and every mmulab cell of the labs
 * is printed by `mmulab fmt` exactly as it is written, so `mmulab fmt --check` passes on
 * what users copy.
 */

function files(dir: string, ext: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext) && !f.includes('node_modules'))
    .map((f) => join(ROOT, dir, f));
}

describe('shipped mmulab text is in canonical layout', () => {
  it.each(files('examples', '.mmu').map((f) => [relative(ROOT, f), f]))('%s', (_name, path) => {
    const text = readFileSync(path, 'utf8');
    const r = format(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(text);
  });

  it.each(notebookNames().map((n) => [n]))('notebooks/%s.ipynb, as mmulab fmt reads it', (name) => {
    const path = join(ROOT, 'notebooks', `${name}.ipynb`);
    const text = readFileSync(path, 'utf8');
    const r = formatNotebook(text, path);
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(text);
  });

  it.each(notebookNames().map((n) => [n]))('the mmulab cells of notebooks/src/%s.md', (name) => {
    const src = readSource(name);
    if (src.kernel !== 'mmulab') return;
    // `%help` and the other kernel commands are not the language.
    const cells = src.cells.filter((c) => c.cell_type === 'code' && !c.source.startsWith('%'));
    for (const { source } of cells) {
      const r = format(source);
      expect(r.diagnostics, source).toEqual([]);
      expect(r.text.trimEnd()).toBe(source.trimEnd());
    }
  });
});

describe('one-line blocks', () => {
  it('stay on one line while they fit in 100 columns, and break when they do not', () => {
    expect(format('tracking ring { dirty_log ring 4096 }\n').text).toBe(
      'tracking ring { dirty_log ring 4096 }\n',
    );
    const long = `migration m { bandwidth 10Gbit/s, downtime 300ms, max_iterations 30 then force, device_state 1MiB, switchover_bandwidth 1Gbit/s }\n`;
    expect(long.length).toBeGreaterThan(101);
    expect(format(long).text).toBe(
      'migration m {\n  bandwidth 10Gbit/s\n  downtime 300ms\n  max_iterations 30 then force\n  device_state 1MiB\n  switchover_bandwidth 1Gbit/s\n}\n',
    );
  });

  it('keep nested one-line blocks and lists, and are spaced as written canonically', () => {
    expect(
      format(
        'vm a {\n  workload phased { phase 10ms hotset { rate 1k/s,set 1MiB },phase 5ms idle, }\n}\n',
      ).text,
    ).toBe(
      'vm a {\n  workload phased { phase 10ms hotset { rate 1k/s, set 1MiB }, phase 5ms idle }\n}\n',
    );
  });

  it('break when a comment sits inside, and a block written over lines stays over lines', () => {
    expect(format('vm a { vcpus 2 # two\n}\n').text).toBe('vm a {\n  vcpus 2 # two\n}\n');
    expect(format('vm a {\n  vcpus 2\n}\n').text).toBe('vm a {\n  vcpus 2\n}\n');
  });
});
