import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
} from '../../../engine/kvm/uapi.ts';
import { BuddyAllocator } from '../../../engine/guest/buddy.ts';
import { GuestMemory, writeIsInvisibleToKvm } from '../../../engine/guest/memory.ts';
import { DirtySync } from '../../../engine/vmm/dirty-sync.ts';
import { FreePageHinting } from '../../../engine/vmm/free-page-hinting.ts';
import { resolveBalloonCosts } from '../../../engine/kvm/balloon-costs.ts';
import { makeVm, region } from '../../helpers/kvm.ts';
import type { BalloonSpec, DirtyLogChoice, RunPlan } from '../../../engine/plan.ts';
import { run } from '../../../engine/run.ts';
import { GiB, MiB, migration, plan, tracking } from '../../helpers/plans.ts';
import type { RunResult } from '../../../engine/results.ts';
import { rowsOf } from '../../helpers/migration.ts';

/** 64 MiB: half in use, half free in MAX_ORDER-1 blocks. */
const UNIT_PAGES = 16_384;

const MODES: readonly DirtyLogChoice[] = [
  'bitmap',
  'bitmap-manual',
  'bitmap-initially-set',
  'ring',
];

/**
 * A 256 MiB guest using `used` in blocks up to order 9 (2 MiB), migrated at 2 Gbit/s
 * so that precopy lasts about a second while the guest churns.
 */
function hintPlan(
  balloon: BalloonSpec,
  used: number,
  dirtyLog: DirtyLogChoice = 'bitmap-initially-set',
  over: Partial<RunPlan> = {},
): RunPlan {
  return plan({
    vm: {
      name: 'g',
      arch: 'x86_64',
      vcpus: 2,
      slots: [{ name: 'ram0', gpa: 4 * GiB, size: 256 * MiB, backing: 'thp' }],
      workloads: [{ kind: 'alloc', rate: 5_000, churn: 2_000, usedBytes: used, maxOrder: 9 }],
      prefill: 1,
      balloon,
    },
    tracking: tracking({ dirtyLog, ringEntries: dirtyLog === 'ring' ? 4096 : undefined }),
    migration: migration({ bandwidth: 250e6, maxIterations: 10 }),
    warmupNs: 500e6,
    ...over,
  });
}

/** Pages sent between the first and the second sync: the first (bulk) pass. */
function firstPassPages(p: RunPlan): number {
  const rows = rowsOf<{ iteration: number; pages_sent: number }>(run(p).iterations);
  return rows.find((r) => r.iteration === 2)?.pages_sent ?? NaN;
}

describe('free page hinting', () => {
  it('lowers the pages sent in the first pass by the free pages the guest hinted', () => {
    const without = firstPassPages(hintPlan({ reporting: 'off' }, 64 * MiB));
    const withHints = hintPlan({ reporting: 'off', hinting: true }, 64 * MiB);
    const hinted = firstPassPages(withHints);
    const s = summaryRow(run(withHints));
    expect(Number(s.pages_skipped_by_hinting)).toBeGreaterThan(0);
    expect(hinted).toBeLessThan(without);
    expect(without - hinted).toBeGreaterThan(Number(s.pages_skipped_by_hinting) / 2);
    expect(s).toMatchObject({ status: 'completed', stale_pages: 0 });
  });

  it('never skips a page the guest uses, in every dirty-log mode', () => {
    for (const mode of MODES) {
      const s = summaryRow(run(hintPlan({ reporting: 'off', hinting: true }, 192 * MiB, mode)));
      expect(s, mode).toMatchObject({ status: 'completed', stale_pages: 0, lost_dirty: 0 });
      expect(Number(s.pages_hinted), mode).toBeGreaterThan(0);
    }
  });

  it('re-protects the chunks it skips, so a hinted page the shrinker gives back and the guest writes is sent', () => {
    const vm = makeVm({
      caps: [
        [
          Cap.ManualDirtyLogProtect2,
          KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
        ],
      ],
      slots: [region({ slot: 0, baseGfn: 0, npages: UNIT_PAGES, backing: '4k' })],
      vcpus: 1,
    });
    const memory = new GuestMemory(vm.memslots());
    const slot = memory.slots[0];
    for (let p = 0; p < UNIT_PAGES; p++) {
      vm.vcpus[0].accessFast(p, true);
      memory.recordWrite(slot, p);
    }
    const buddy = new BuddyAllocator(UNIT_PAGES);
    buddy.freeRange(UNIT_PAGES / 2, UNIT_PAGES);
    // Migration setup: logging on (INITIALLY_SET protects nothing), every page dirty, first sync.
    vm.setUserMemoryRegion({
      slot: 0,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: 0,
      memorySize: UNIT_PAGES * 4096,
    });
    const sync = new DirtySync(vm, memory, 'bitmap-initially-set', 18);
    sync.setAll();
    sync.sync(false);
    const free = UNIT_PAGES - 1;
    expect(writeIsInvisibleToKvm(slot.memslot, free)).toBe(true);

    const hinting = new FreePageHinting(buddy, memory, sync, resolveBalloonCosts());
    hinting.afterSync();
    expect(hinting.hintedPages).toBe(UNIT_PAGES / 2);
    expect(hinting.skippedPages).toBe(UNIT_PAGES / 2);
    expect(sync.bmap[0].nextSet(UNIT_PAGES / 2, UNIT_PAGES)).toBe(-1);
    // QEMU cleared the skipped chunks in KVM: the next write to a hinted page is seen.
    expect(writeIsInvisibleToKvm(slot.memslot, free)).toBe(false);

    // The guest runs short: the shrinker returns the hinted blocks; the guest writes one.
    const page = buddy.alloc(0);
    expect(hinting.shrunkBlocks).toBeGreaterThan(0);
    expect(page).toBeGreaterThanOrEqual(UNIT_PAGES / 2);
    vm.vcpus[0].accessFast(page, true);
    sync.sync(false);
    expect(sync.bmap[0].has(page)).toBe(true);
  });

  it('keeps reported pages consistent too: discarded pages the guest reuses are sent', () => {
    for (const mode of MODES) {
      const balloon: BalloonSpec = { reporting: 'virtio', order: 5, hinting: true, delayNs: 100e6 };
      const s = summaryRow(run(hintPlan(balloon, 128 * MiB, mode)));
      expect(Number(s.discarded_pages), mode).toBeGreaterThan(0);
      expect(s, mode).toMatchObject({
        status: 'completed',
        stale_pages: 0,
        used_pages_discarded: 0,
      });
    }
  });

  it('stays off when the migration may switch to postcopy', () => {
    const p = hintPlan({ reporting: 'off', hinting: true }, 64 * MiB, 'bitmap-manual', {
      migration: migration({ bandwidth: 250e6, postcopyAfterIterations: 3 }),
    });
    expect(summaryRow(run(p))).toMatchObject({ hinting: 'off', pages_hinted: 0 });
  });
});

/** The summary row with the balloon's columns (the shared Summary type has the base ones). */
function summaryRow(result: RunResult): Record<string, unknown> {
  return result.summary.objects()[0] as Record<string, unknown>;
}
