import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readArrowTable } from '../../kernel/output/arrow.ts';

/** The real command, spawned from a temporary directory above the plan's own directory. */
const BIN = resolve(import.meta.dirname, '../../bin/mmulab.js');
const TMP = mkdtempSync(join(tmpdir(), 'mmulab-export-'));

/** A tiny plan (128 MiB, 2 vCPUs, a short time limit) with two exports. */
const PLAN = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 128MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 8MiB, hot 90% }
}
tracking ring { dirty_log ring 4096 }
migration m { bandwidth 1Gbit/s, downtime 300ms }
run tiny with ring, m seed 3 warmup 100ms max_time 2s
export summary, iterations to "results/"
export stale to "arrow" as arrow
`;

mkdirSync(join(TMP, 'lab'));
writeFileSync(join(TMP, 'lab', 'plan.mmu'), PLAN);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('mmulab run: export statements', () => {
  it('writes each export into a directory relative to the .mmu file', async () => {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [BIN, 'run', join('lab', 'plan.mmu')],
      { cwd: TMP, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 2 ** 20 },
    );
    expect(stderr).toContain(`wrote 2 file(s) to ${join('lab', 'results')}\n`);
    expect(stderr).toContain(`wrote 1 file(s) to ${join('lab', 'arrow')}\n`);

    const csvDir = join(TMP, 'lab', 'results');
    expect(readdirSync(csvDir).sort()).toEqual([
      'tiny_ring_m_seed-3.iterations.csv',
      'tiny_ring_m_seed-3.summary.csv',
    ]);
    for (const f of readdirSync(csvDir)) {
      const csv = readFileSync(join(csvDir, f), 'utf8');
      expect(csv.startsWith('# mmulab_version: ')).toBe(true);
      expect(csv).toMatch(/^# plan_hash: [0-9a-f]+$/m);
      expect(csv).toContain('# seed: 3\n');
      expect(csv).toContain('# source: plan.mmu\n');
    }

    const arrowDir = join(TMP, 'lab', 'arrow');
    expect(readdirSync(arrowDir)).toEqual(['stale.arrow']);
    const t = readArrowTable(join(arrowDir, 'stale.arrow'));
    expect(t.table).toBe('stale');
    expect(t.source).toBe('plan.mmu');
    expect(t.provenance).toHaveLength(1);
  });
});
