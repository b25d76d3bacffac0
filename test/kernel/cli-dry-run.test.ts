import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import type { Axis } from '../../dsl/compile.ts';
import { plansOf } from '../../kernel/experiment/plans.ts';
import { describeAxis, describePlanCount, planCount } from '../../kernel/cli/plan-count.ts';
import { runMmulab } from '../helpers/cli.ts';

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-dry-run-'));

/** A sweep over two trackings (one a family of ring sizes) and a bandwidth range. */
const FAMILIES = `vm web {
  vcpus 2
  slot ram0 at 0 size 256MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 16MiB }
}
tracking bitmap { dirty_log manual }
tracking ring { dirty_log ring [1024, 4096] }
migration qemu { bandwidth 1Gbit/s..25Gbit/s step 12Gbit/s, downtime 300ms }
sweep web with [bitmap, ring], qemu seeds 1..2
run web with bitmap, qemu seed 5
table summary
`;
writeFileSync(join(TMP, 'families.mmu'), FAMILIES);
/** The same sweep keeping the ring's points and the bitmap's fastest link only. */
const FILTERED = FAMILIES.replace(
  'seeds 1..2\n',
  'seeds 1..2 where tracking = ring or bandwidth > 20Gbit/s\n',
);
writeFileSync(join(TMP, 'filtered.mmu'), FILTERED);

describe('plan counts', () => {
  it('counts points as plans over seeds, and one seed with --seed', () => {
    const [e] = compile(FAMILIES).program.experiments;
    expect(describePlanCount(planCount(e, e.plans.length, false))).toBe(
      '9 points × 2 seeds = 18 plans',
    );
    expect(describePlanCount(planCount(e, 9, true))).toBe('9 points × 1 seed = 9 plans');
  });

  it('shows an axis with its unit, and at most 12 of its values', () => {
    const axis: Axis = {
      column: 'vcpus',
      dim: 'count',
      values: Array.from({ length: 64 }, (_, i) => i + 1),
      source: 'family',
    };
    expect(describeAxis(axis)).toBe('vcpus (64 values): 1, 2, 3, 4, 5, 6, 7, 8, 9, ..., 63, 64');
    expect(
      describeAxis({
        column: 'bandwidth',
        dim: 'bandwidth',
        unit: 'Gbit/s',
        values: [1, 25],
        source: 'family',
      }),
    ).toBe('bandwidth (2 values, Gbit/s): 1, 25');
  });

  it('--seed keeps each plan its params', () => {
    const program = compile(FAMILIES).program;
    const [sweep] = plansOf(program, 9);
    expect(sweep.plans).toHaveLength(9);
    expect(sweep.plans[0]).toMatchObject({
      label: 'web/bitmap/qemu/bandwidth=1Gbit/s/seed=9',
      params: { tracking: 'bitmap', bandwidth: 1 },
    });
  });
});

describe.concurrent('mmulab check and run --dry-run (spawned)', () => {
  it('check prints the size of each experiment', async () => {
    const r = await runMmulab(TMP, 'check', 'families.mmu');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'families.mmu: 0 errors, 0 warnings; 2 experiment(s), 21 plan(s).',
        'line 9: sweep web with [bitmap, ring], qemu seeds 1..2',
        '  9 points × 2 seeds = 18 plans',
        'line 10: run web with bitmap, qemu seed 5',
        '  3 points × 1 seed = 3 plans',
        '',
      ].join('\n'),
    );
  });

  it('run --dry-run prints the sizes and axes and runs nothing', async () => {
    const r = await runMmulab(TMP, 'run', 'families.mmu', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'line 9: sweep web with [bitmap, ring], qemu seeds 1..2',
        '  9 points × 2 seeds = 18 plans',
        '  tracking (2 values): bitmap, ring',
        '  ring_entries (2 values): 1024, 4096',
        '  dirty_log (2 values, differs between the names): manual, ring',
        '  bandwidth (3 values, Gbit/s): 1, 13, 25',
        'line 10: run web with bitmap, qemu seed 5',
        '  3 points × 1 seed = 3 plans',
        '  bandwidth (3 values, Gbit/s): 1, 13, 25',
        'families.mmu: 21 plan(s); nothing run (--dry-run).',
        '',
      ].join('\n'),
    );
  });

  it('check and run --dry-run count the points a where keeps', async () => {
    const check = await runMmulab(TMP, 'check', 'filtered.mmu');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('2 experiment(s), 17 plan(s).');
    expect(check.stdout).toContain('  7 points × 2 seeds = 14 plans\n');
    const dry = await runMmulab(TMP, 'run', 'filtered.mmu', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      [
        '  7 points × 2 seeds = 14 plans',
        '  tracking (2 values): bitmap, ring',
        '  ring_entries (2 values): 1024, 4096',
        '  dirty_log (2 values, differs between the names): manual, ring',
        '  bandwidth (3 values, Gbit/s): 1, 13, 25',
      ].join('\n'),
    );
    expect(dry.stdout).toContain('filtered.mmu: 17 plan(s); nothing run (--dry-run).');
  });

  it('documents --dry-run in mmulab run --help', async () => {
    const r = await runMmulab(TMP, 'run', '--help');
    expect(r.stdout).toContain('--dry-run        run nothing');
  });
});
