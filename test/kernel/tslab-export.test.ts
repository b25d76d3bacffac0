import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mmu } from '../../kernel/tslab.ts';

/**
 * `export` from a tslab notebook writes the files the CLI and the Jupyter kernel write,
 * with the same provenance: the texts of the `mmu` calls that ran and the files they
 * used, hashed, plus the checkout and Node.
 */

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-tslab-export-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const DEFINITIONS = `vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }
tracking rg { dirty_log ring 4096 }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
`;

/** The `# key: value` header of the one summary CSV in `dir`. */
function header(dir: string): Record<string, string> {
  const file = readdirSync(dir).find((f) => f.endsWith('.summary.csv'))!;
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  return Object.fromEntries(
    lines.filter((l) => l.startsWith('# ')).map((l) => l.slice(2).split(': ')),
  );
}

describe('mmu() with export', () => {
  it('writes CSV files beside the named file, recording the calls and the files they used', async () => {
    writeFileSync(join(TMP, 'common.mmu'), DEFINITIONS);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let written: string[];
    try {
      await mmu('use "common.mmu"', { file: join(TMP, 'setup.mmu'), display: false });
      await mmu('run tiny with rg, fast seed 1 max_time 2s\nexport summary to "csv"', {
        file: join(TMP, 'paper.mmu'),
        display: false,
      });
    } finally {
      written = stdout.mock.calls.map((c) => String(c[0]));
      stdout.mockRestore();
    }
    expect(written).toContain('wrote 1 CSV file(s) to csv\n');
    const h = header(join(TMP, 'csv'));
    expect(h).toMatchObject({
      source: 'paper.mmu',
      source_files: 'setup.mmu, common.mmu, paper.mmu',
      source_hash: expect.stringMatching(/^[0-9a-f]{16}$/),
      node: process.version,
    });
    expect(h.plan_hash).toMatch(/^[0-9a-f]{16}$/);
  });
});
