import { describe, expect, it } from 'vitest';
import type { Backing } from '../../../engine/kvm/types.ts';
import { Kvm } from '../../../engine/kvm/kvm.ts';
import { KVM_MEM_LOG_DIRTY_PAGES } from '../../../engine/kvm/uapi.ts';
import {
  STLB_ENTRIES,
  TlbReach,
  mapped4kShare,
  patternPenaltyNs,
  tlbMissRate,
  tlbPenaltyNs,
} from '../../../engine/sim/tlb-reach.ts';
import type { VcpuThread } from '../../../engine/guest/vcpu-thread.ts';
import type { AccessPattern } from '../../../engine/guest/workload.ts';
import { GuestMemory } from '../../../engine/guest/memory.ts';

// ---- tunables ----
const MiB = 2 ** 20;
const SLOT = 64 * MiB;
const PAGES = SLOT / 4096;

/** A VM whose one slot is fully mapped by writes, then (optionally) split to 4K by logging with eager split. */
function mapped(backing: Backing, split: boolean) {
  const vm = new Kvm({ params: { eagerPageSplit: true, enablePml: false } }).createVm();
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: SLOT, backing });
  const vcpu = vm.createVcpu(0);
  vcpu.runAccesses(
    Float64Array.from({ length: PAGES }, (_, k) => k),
    true,
  );
  if (split) {
    vm.setUserMemoryRegion({
      slot: 0,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: 0,
      memorySize: SLOT,
    });
  }
  return { vm, slot: vm.memslot(0)! };
}

describe('tlb-reach', () => {
  it('misses nothing within the reach and the share beyond it outside', () => {
    expect(tlbMissRate(STLB_ENTRIES, STLB_ENTRIES)).toBe(0);
    expect(tlbMissRate(4 * STLB_ENTRIES, STLB_ENTRIES)).toBe(0.75);
  });

  it('sees a huge-backed slot split by eager splitting as mapped 4K, and before it as huge', () => {
    expect(mapped4kShare(mapped('hugetlb_2m', false).slot)).toBe(0);
    expect(mapped4kShare(mapped('hugetlb_2m', true).slot)).toBe(1);
  });

  it('charges accesses to a split huge-backed slot beyond the 4K reach', () => {
    const { vm, slot } = mapped('hugetlb_2m', true);
    const ns = tlbPenaltyNs(vm, slot, PAGES);
    const miss = tlbMissRate(PAGES, STLB_ENTRIES);
    expect(ns).toBeCloseTo(miss * vm.costs.tlbMissWalk4k);
  });

  it('charges nothing while the slot is mapped huge (the twin)', () => {
    const { vm, slot } = mapped('hugetlb_2m', false);
    expect(tlbPenaltyNs(vm, slot, PAGES)).toBe(0);
  });

  it('charges nothing for a working set within the 4K reach', () => {
    const { vm, slot } = mapped('hugetlb_2m', true);
    expect(tlbPenaltyNs(vm, slot, STLB_ENTRIES)).toBe(0);
  });

  it('charges nothing on a 4K-backed slot: its baseline is 4K already', () => {
    const { vm, slot } = mapped('4k', true);
    expect(tlbPenaltyNs(vm, slot, PAGES)).toBe(0);
  });

  it('charges a stream a walk per page at 4K against one per huge page', () => {
    const { vm, slot } = mapped('hugetlb_2m', true);
    expect(tlbPenaltyNs(vm, slot, Infinity)).toBeCloseTo(
      vm.costs.tlbMissWalk4k - vm.costs.tlbMissWalkHuge / 512,
    );
  });

  it('charges each vCPU its own pattern, computing a shared one once per slice', () => {
    const { vm } = mapped('hugetlb_2m', true);
    const slot = new GuestMemory(vm.memslots()).slots[0];
    const mixture = (pages: number): AccessPattern => ({
      kind: 'mixture',
      rate: 1000,
      readFraction: 0,
      components: [
        { slot, start: 0, end: pages, weight: 1, count: 0, countSet: null, countVersion: -1 },
      ],
    });
    const shared = mixture(PAGES);
    const own = mixture(PAGES / 2);
    const charged: number[] = [];
    const threads = [shared, own, shared].map((pattern, i) => ({
      accesses: 0,
      pattern,
      stallFor: (cause: string, ns: number) => {
        expect(cause).toBe('tlb_miss');
        charged[i] = ns;
      },
    }));
    const reach = new TlbReach(vm, threads as unknown as VcpuThread[]);
    threads.forEach((t, i) => (t.accesses = 100 * (i + 1)));
    reach.endSlice(0, 5e6);
    expect(patternPenaltyNs(vm, own)).not.toBe(patternPenaltyNs(vm, shared));
    expect(charged).toEqual(threads.map((t) => t.accesses * patternPenaltyNs(vm, t.pattern)));
  });
});
