import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
} from '../../../engine/index.ts';
import { GuestMemory } from '../../../engine/guest/memory.ts';
import { DirtySync } from '../../../engine/vmm/dirty-sync.ts';
import { makeVm, region } from '../../helpers/kvm.ts';
import { buildWorld } from '../../../engine/sim/world.ts';
import { runWorld } from '../../../engine/sim/simulation.ts';
import { buildResult } from '../../../engine/results.ts';
import { MiB, migration, plan, smallVm, tracking } from '../../helpers/plans.ts';

// ---- tunables ----
/** Clear chunks of 64 pages (QEMU's x-clear-bitmap-shift at its floor), four of them. */
const CLEAR_SHIFT = 6;
const PAGES = 4 * 64;
/** Written before the first sync: in chunks 0, 1 and 2. */
const BEFORE = [3, 64 + 5, 64 + 40, 128 + 7];
/** Written between the first sync and the last stage: in chunks 1 and 3. */
const BETWEEN = [64 + 20, 192 + 1];

/** The pages set in a KVM_GET_DIRTY_LOG of slot 0 (manual protect: the GET clears nothing). */
function kvmDirty(vm: ReturnType<typeof makeVm>): number[] {
  const bytes = vm.getDirtyLog(0);
  const out: number[] = [];
  for (let p = 0; p < PAGES; p++) if ((bytes[p >>> 3] >>> (p & 7)) & 1) out.push(p);
  return out;
}

describe('DirtySync with manual protect', () => {
  it("leaves the last stage's new bits to KVM: a CLEAR due from before clears only what its GET fetched", () => {
    const vm = makeVm({
      caps: [[Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE]],
      slots: [region({ slot: 0, baseGfn: 0, npages: PAGES, backing: '4k' })],
      vcpus: 1,
    });
    const memory = new GuestMemory(vm.memslots());
    vm.setUserMemoryRegion({
      slot: 0,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: 0,
      memorySize: PAGES * 4096,
    });
    const sync = new DirtySync(vm, memory, 'bitmap-manual', CLEAR_SHIFT);
    for (const p of BEFORE) vm.vcpus[0].accessFast(p, true);
    expect(sync.sync(false).newPages).toBe(BEFORE.length);
    // Chunk 0 is sent: its CLEAR takes page 3 out of KVM's bitmap.
    sync.beforeSend(0, 0);
    for (const p of BETWEEN) vm.vcpus[0].accessFast(p, true);
    // The guest stops; the last stage's GET finds the new pages.
    expect(sync.sync(true).newPages).toBe(BETWEEN.length);
    // Chunks 1 and 2 still had their CLEARs due from the first GET: they clear pages
    // 69, 104 and 135, and leave 84 (written after that GET) for the next GET.
    sync.beforeSend(0, 64);
    sync.beforeSend(0, 128);
    expect(kvmDirty(vm)).toEqual(BETWEEN);
    // Chunk 3 had nothing in the first GET: no CLEAR is due, its page stays.
    const clears = sync.clears;
    sync.beforeSend(0, 192);
    expect(sync.clears).toBe(clears);
    expect(sync.bmap[0].count).toBe(BEFORE.length + BETWEEN.length);
  });
});

describe('DirtySync merging only the lines KVM changed', () => {
  // The shortcut against the whole GET and merge, on whole migrations: same tables.
  for (const dirtyLog of ['bitmap-manual', 'bitmap-initially-set'] as const) {
    it(`gives the results of whole GETs (${dirtyLog})`, () => {
      const runOnce = (changedLinesOnly: boolean) => {
        const world = buildWorld(
          plan({
            vm: smallVm({
              ram: 256 * MiB,
              workload: { kind: 'hotset', rate: 40_000, hotBytes: 24 * MiB, hotShare: 0.9 },
            }),
            tracking: tracking({ dirtyLog, clearBitmapShift: 12 }),
            migration: migration({ bandwidth: 150e6, maxIterations: 8 }),
          }),
        );
        world.sync.changedLinesOnly = changedLinesOnly;
        const r = buildResult(runWorld(world));
        return ['summary', 'iterations', 'timeline'].map((t) =>
          JSON.stringify(r[t as 'summary'].objects()),
        );
      };
      const [summary, iterations, timeline] = runOnce(true);
      const reference = runOnce(false);
      expect(summary).toBe(reference[0]);
      expect(iterations).toBe(reference[1]);
      expect(timeline).toBe(reference[2]);
      expect(JSON.parse(iterations).length).toBeGreaterThan(3);
    });
  }
});
