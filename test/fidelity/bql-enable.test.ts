/**
 * Seed 000's "unintended consequences": QEMU holds its big lock while it starts dirty
 * logging (ram_init_bitmaps), so when the enabling ioctl splits every huge page
 * eagerly, every vCPU that exits to QEMU meanwhile stalls for about that long. With
 * INITIALLY_SET the ioctl does no work and the splitting moves into the CLEARs, which
 * QEMU issues without the lock. Shapes, not numbers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../engine/results.ts';
import type { DirtyLogChoice } from '../../engine/plan.ts';
import { run } from '../../engine/run.ts';
import { GiB, MiB, migration, plan, smallVm, tracking } from '../helpers/plans.ts';

function summary(r: RunResult): Record<string, number> {
  return r.summary.objects()[0] as Record<string, number>;
}

function migrate(dirtyLog: DirtyLogChoice, ioExitRate: number): Record<string, number> {
  return summary(
    run(
      plan({
        vm: {
          ...smallVm({
            vcpus: 2,
            slots: [{ name: 'ram0', gpa: 0, size: 16 * GiB, backing: 'hugetlb_1g' }],
            workload: { kind: 'hotset', rate: 20_000, hotBytes: 256 * MiB, hotShare: 0.9 },
          }),
          ioExitRate,
        },
        tracking: tracking({ dirtyLog, eagerSplit: true }),
        migration: migration({ bandwidth: 12.5e9, maxIterations: 5, onMaxIterations: 'force' }),
        warmupNs: 100e6,
        maxTimeNs: 10e9,
      }),
    ),
  );
}

describe("QEMU's big lock around the enabling ioctl", () => {
  const r: Record<string, Record<string, number>> = {};
  beforeAll(() => {
    r.eager = migrate('bitmap-manual', 1000);
    r.eagerNoIo = migrate('bitmap-manual', 0);
    r.lazy = migrate('bitmap-initially-set', 1000);
  });

  it('stalls a vCPU that exits to QEMU for about the whole eager split', () => {
    expect(r.eager.enable_split_ms).toBeGreaterThan(20);
    expect(r.eager.bql_held_ms).toBeGreaterThanOrEqual(r.eager.enable_ioctl_ms);
    expect(r.eager.max_vcpu_stall_ms).toBeGreaterThan(0.9 * r.eager.enable_ioctl_ms);
  });

  it('stalls no vCPU that never exits to QEMU', () => {
    expect(r.eagerNoIo.stall_bql_ms).toBe(0);
    expect(r.eagerNoIo.max_vcpu_stall_ms).toBeLessThan(0.1 * r.eager.max_vcpu_stall_ms);
  });

  it('keeps the stall short with INITIALLY_SET, whose ioctl splits nothing', () => {
    expect(r.lazy.max_vcpu_stall_ms).toBeLessThan(0.1 * r.eager.max_vcpu_stall_ms);
  });
});
