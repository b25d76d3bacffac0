/**
 * Seed 000's "unintended consequences": QEMU holds its big lock while it starts dirty
 * logging (ram_init_bitmaps), so when the enabling ioctl splits every huge page
 * eagerly, every vCPU that exits to QEMU meanwhile stalls for about that long. With
 * INITIALLY_SET the ioctl does no work and the splitting moves into the CLEARs, which
 * QEMU issues without the lock. Shapes, not numbers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../engine/results.ts';
import type { BitmapSyncRule, DirtyLogChoice, RunPlan } from '../../engine/plan.ts';
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

/**
 * The BQL held by the migration beyond the enabling ioctl and its syncs: what setup
 * (ram_init_bitmaps) and every later sync held are subtracted from bql_held_ms.
 */
function heldBeyondSyncsMs(plan: RunPlan): { beyond: number; s: Record<string, number> } {
  const r = run(plan);
  const s = summary(r);
  const iterations = r.iterations.objects() as { iteration: number; sync_ms: number }[];
  // A completed run's last row is the final sync, with the VM stopped: no hold.
  const { status } = r.summary.objects()[0] as { status: string };
  const live = status === 'completed' ? iterations.slice(0, -1) : iterations;
  const laterSyncs = live.filter((it) => it.iteration > 1).reduce((sum, it) => sum + it.sync_ms, 0);
  return { beyond: s.bql_held_ms - s.setup_ms - laterSyncs, s };
}

describe("QEMU's big lock beyond the syncs", () => {
  function qemu11(bitmapSync: BitmapSyncRule): RunPlan {
    return plan({
      vm: smallVm({
        vcpus: 2,
        ram: 256 * MiB,
        slots: [{ name: 'ram0', gpa: 4 * GiB, size: 256 * MiB, backing: '4k' }],
        workload: { kind: 'hotset', rate: 100_000, hotBytes: 16 * MiB, hotShare: 1 },
      }),
      tracking: tracking({ dirtyLog: 'bitmap', pml: false, eagerSplit: false }),
      migration: migration({ bandwidth: 32 * MiB, downtimeLimitNs: 30e6, bitmapSync }),
      warmupNs: 200e6,
      maxTimeNs: 1e9,
    });
  }

  it("holds it for QEMU 1.1's whole iteration, the pages sent with the sync; today only the sync", () => {
    const old = heldBeyondSyncsMs(qemu11('every-tick'));
    const now = heldBeyondSyncsMs(qemu11('threshold'));
    expect(old.s.iterations).toBeGreaterThan(5);
    expect(old.beyond).toBeGreaterThan(0.01 * old.s.iterations);
    expect(Math.abs(now.beyond)).toBeLessThan(1e-6);
  });

  it('is taken by a vCPU thread to reap on a ring-full exit', () => {
    const ringPlan = (ringEntries: number): RunPlan =>
      plan({
        vm: smallVm({
          vcpus: 2,
          workload: { kind: 'uniform', rate: 200_000, region: { offset: 0, size: 256 * MiB } },
        }),
        // No reaper thread in the window: only the syncs and the ring-full exits reap.
        tracking: tracking({ dirtyLog: 'ring', ringEntries, reaperIntervalNs: 1e12 }),
        migration: migration({ bandwidth: 1.25e9, maxIterations: 5, onMaxIterations: 'force' }),
        warmupNs: 100e6,
        maxTimeNs: 1e9,
      });
    const small = heldBeyondSyncsMs(ringPlan(1024));
    const large = heldBeyondSyncsMs(ringPlan(65536));
    expect(small.s.ring_full_exits).toBeGreaterThan(10);
    expect(small.beyond).toBeGreaterThan(0);
    expect(large.s.ring_full_exits).toBe(0);
    expect(Math.abs(large.beyond)).toBeLessThan(1e-6);
  });
});

describe('an enabling ioctl slowed by the vCPUs that cut in between its pieces', () => {
  // Shadow paging write-protects the slot under mmu_lock held for write; under full
  // preemption the rmap walk gives the lock up at every step (rwlock_needbreak), and
  // the faulting vCPUs, whose shadow faults take it for write, get in. The ioctl is
  // as long in KVM's own work either way; the setup, under the BQL, is not.
  function setup(preempt: 'voluntary' | 'full', rate: number): Record<string, number> {
    return summary(
      run(
        plan({
          vm: {
            ...smallVm({
              vcpus: 4,
              ram: 2 * GiB,
              slots: [{ name: 'ram0', gpa: 0, size: 2 * GiB, backing: '4k' }],
              // Still faulting its memory in when logging starts.
              workload: { kind: 'uniform', rate, region: { offset: 0, size: 2 * GiB } },
              prefill: 0,
            }),
            ioExitRate: 1000,
          },
          tracking: tracking({ mmu: 'shadow', pml: false, eagerSplit: false, preempt }),
          migration: migration({ bandwidth: 12.5e9, maxIterations: 3, onMaxIterations: 'force' }),
          warmupNs: 100e6,
          maxTimeNs: 200e6,
        }),
      ),
    );
  }

  it('holds the BQL longer when the walk yields to faulting vCPUs, not when it keeps the lock', () => {
    const whole = setup('voluntary', 200_000);
    const yielding = setup('full', 200_000);
    const quiet = setup('full', 1);
    expect(yielding.enable_ioctl_ms).toBeCloseTo(whole.enable_ioctl_ms, 1);
    expect(yielding.setup_ms).toBeGreaterThan(1.2 * whole.setup_ms);
    expect(yielding.bql_held_ms).toBeGreaterThan(1.2 * whole.bql_held_ms);
    // No fault to let in: the pieces cost nothing more.
    expect(quiet.setup_ms).toBeLessThan(1.01 * whole.setup_ms);
  });
});
