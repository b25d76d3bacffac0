/**
 * How long a VMM ioctl keeps mmu_lock for write at a stretch: GET_DIRTY_LOG and
 * CLEAR_DIRTY_LOG take it once around their whole loop (kvm_main.c
 * kvm_clear_dirty_log_protect); a split under the write lock drops it to allocate each
 * new page table (tdp_mmu_split_huge_pages_root); the walks that check for waiters
 * (walk_slot_rmaps, tdp_mmu_iter_cond_resched) give it up between steps only when the
 * host kernel is fully preemptible (rwlock_needbreak).
 */
import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
} from '../../../engine/index.ts';
import type { PreemptModel } from '../../../engine/kvm/params.ts';
import { OpCost } from '../../../engine/kvm/stats.ts';
import { makeVm, region, setDirtyLogging, touchRange } from '../../helpers/kvm.ts';

const NPAGES = 16 * 512; // 32 MiB: 16 huge pages of 2M
const BASE = 0x100000;

/** The mean write-hold piece a waiting fault lands in: sum of squares / sum. */
const piece = (c: OpCost): number => c.mmuLockWritePieceSqNs / c.mmuLockWriteNs;

/** The first CLEAR of the whole slot with INITIALLY_SET, on `backing`. */
function firstClear(backing: 'hugetlb_2m' | '4k'): OpCost {
  const vm = makeVm({
    caps: [
      [
        Cap.ManualDirtyLogProtect2,
        KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
      ],
    ],
    slots: [region({ baseGfn: BASE, npages: NPAGES, backing })],
    vcpus: 1,
  });
  touchRange(vm.vcpus[0], BASE, BASE + NPAGES, true);
  setDirtyLogging(vm, 0, true);
  const all = new Uint8Array(NPAGES / 8).fill(0xff);
  vm.clearDirtyLog(0, 0, NPAGES, all);
  return vm.lastIoctl;
}

/** Enabling logging on a shadow-paging VM (walk_slot_rmaps under the write lock). */
function shadowEnable(preempt: PreemptModel): OpCost {
  const vm = makeVm({
    params: { tdp: false, enablePml: false, eagerPageSplit: false, preempt },
    slots: [region({ baseGfn: BASE, npages: NPAGES, backing: '4k' })],
    vcpus: 1,
  });
  touchRange(vm.vcpus[0], BASE, BASE + NPAGES, true);
  setDirtyLogging(vm, 0, true);
  return vm.lastIoctl;
}

describe('mmu_lock write holds of the VMM ioctls', () => {
  it('holds the lock for the whole CLEAR when it splits nothing', () => {
    const c = firstClear('4k');
    expect(c.mmuLockWriteNs).toBeGreaterThan(0);
    expect(c.mmuLockWritePieceSqNs).toBeCloseTo(c.mmuLockWriteNs ** 2, -3);
  });

  it('drops the lock for each huge page a CLEAR splits, so a fault waits for one split', () => {
    const c = firstClear('hugetlb_2m');
    expect(c.splits).toBe(16);
    // one split fills 512 SPTEs under the lock; the whole CLEAR holds it far longer
    expect(piece(c)).toBeLessThan(c.mmuLockWriteNs / 8);
    expect(piece(c)).toBeGreaterThan(0);
  });

  it('counts the pieces of a hold: one without a release, one per huge page a CLEAR splits', () => {
    expect(firstClear('4k').mmuLockWritePieces).toBe(1);
    // the split pieces, and the re-protection after them
    expect(firstClear('hugetlb_2m').mmuLockWritePieces).toBeGreaterThanOrEqual(16);
    expect(shadowEnable('voluntary').mmuLockWritePieces).toBe(1);
    expect(shadowEnable('full').mmuLockWritePieces).toBeGreaterThan(NPAGES);
  });

  it('keeps the lock through the rmap walk unless the host kernel is fully preemptible', () => {
    const voluntary = shadowEnable('voluntary');
    const full = shadowEnable('full');
    expect(voluntary.mmuLockWriteNs).toBe(full.mmuLockWriteNs);
    expect(piece(voluntary)).toBeCloseTo(voluntary.mmuLockWriteNs, -3);
    expect(piece(full)).toBeLessThan(voluntary.mmuLockWriteNs / 1000);
  });
});

describe('OpCost.underWriteLockRepeated', () => {
  it('sums as the calls one at a time do, rounding included', () => {
    // Fractional parts that round differently when added at once (0.1 * 1000 !== 100).
    const one = new OpCost();
    const repeated = new OpCost();
    for (const cost of [one, repeated]) {
      cost.add(1 / 3);
      cost.underWriteLock(0.7);
    }
    for (let k = 0; k < 1000; k++) one.underWriteLock(0.1);
    repeated.underWriteLockRepeated(0.1, 1000);
    expect({ ...repeated }).toEqual({ ...one });
    expect(one.mmuLockWriteNs).not.toBe(0.7 + 0.1 * 1000);
    expect(repeated.mmuLockWritePieceSqNs).toBe(one.mmuLockWritePieceSqNs);
  });
});
