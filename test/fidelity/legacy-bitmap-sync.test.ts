/**
 * QEMU up to 1.1 synced the dirty bitmap at every 100 ms tick of its rate limiter
 * (arch_init.c ram_save_live, buffered_file.c buffered_rate_tick); QEMU 1.2 on syncs
 * only when what remains looks small enough to finish. The shapes held here: a tick
 * sync write-protects the guest's working set ten times a second, so the guest takes
 * many more write faults, and the lockless fast path (which makes those faults cheap)
 * gains several times more than under the threshold rule. Numbers are not checked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BitmapSyncRule } from '../../engine/plan.ts';
import { simulate } from '../../engine/sim/simulation.ts';
import { GiB, MiB, migration, plan, smallVm, tracking } from '../helpers/plans.ts';

// ---- tunables ----
const RAM = 256 * MiB;
/** Page writes per second per vCPU, in a 16 MiB hot set (re-written within every tick). */
const RATE = 100_000;

interface Run {
  progress: number;
  syncs: number;
}

function run(sync: BitmapSyncRule, fastPageFault: boolean): Run {
  const out = simulate(
    plan({
      vm: smallVm({
        vcpus: 2,
        ram: RAM,
        slots: [{ name: 'ram0', gpa: 4 * GiB, size: RAM, backing: '4k' }],
        workload: { kind: 'hotset', rate: RATE, hotBytes: 16 * MiB, hotShare: 1 },
      }),
      tracking: tracking({
        dirtyLog: 'bitmap',
        pml: false,
        eagerSplit: false,
        mmuLock: 'spinlock',
        fastPageFault,
      }),
      // 32 MiB/s, as QEMU 1.1's default: the migration never finishes in the window.
      migration: migration({ bandwidth: 32 * MiB, downtimeLimitNs: 30e6, bitmapSync: sync }),
      warmupNs: 200e6,
      maxTimeNs: 2e9,
    }),
  );
  return { progress: out.guestAccesses / out.guestIdeal, syncs: out.migration.syncCount };
}

describe("QEMU 1.1's bitmap sync at every rate-limit tick", () => {
  const r: Record<string, Run> = {};
  beforeAll(() => {
    for (const sync of ['threshold', 'every-tick'] as const) {
      for (const fast of [false, true]) r[`${sync}/${fast}`] = run(sync, fast);
    }
  });

  it('syncs about ten times a second instead of once', () => {
    expect(r['every-tick/true'].syncs).toBeGreaterThan(10);
    expect(r['threshold/true'].syncs).toBeLessThan(3);
  });

  it('costs the guest more progress than a sync on threshold', () => {
    expect(r['every-tick/false'].progress).toBeLessThan(r['threshold/false'].progress);
  });

  it("multiplies the fast path's gain for a guest that writes", () => {
    const gain = (sync: string): number =>
      r[`${sync}/true`].progress / r[`${sync}/false`].progress - 1;
    expect(gain('every-tick')).toBeGreaterThan(0);
    expect(gain('every-tick')).toBeGreaterThan(3 * gain('threshold'));
  });
});
