import type { Vm } from './vm.ts';
import type { Memslot } from './memslot.ts';
import { PAGES_PER_LEVEL } from './types.ts';
import { INTERNAL } from './internal.ts';

/**
 * The host unmapped [start, end) (slot-relative pages) of the memory behind `slot`,
 * e.g. madvise(MADV_DONTNEED): `kvm_mmu_notifier_invalidate_range_start` ->
 * `kvm_unmap_gfn_range` -> `kvm_tdp_mmu_unmap_gfn_range` zaps every leaf SPTE that
 * overlaps the range (a huge SPTE is zapped whole), then one remote TLB flush if any
 * SPTE changed. The next access faults and maps the page again. Returns the ns spent.
 */
export function unmapGfnRange(vm: Vm, slot: Memslot, start: number, end: number): number {
  const tdp = slot.tdp;
  let zapped = 0;
  let rel = start;
  while (rel < end) {
    const level = tdp.leafLevel(rel);
    if (level === 0) {
      rel++;
      continue;
    }
    tdp.zapLeaf(level, rel);
    zapped++;
    // Frames are aligned in gfn space; continue after the frame just zapped.
    const span = PAGES_PER_LEVEL[level];
    const gfn = slot.baseGfn + rel;
    rel = (Math.floor(gfn / span) + 1) * span - slot.baseGfn;
  }
  if (zapped === 0) return 0;
  return zapped * vm.costs.zapSpte + vm[INTERNAL].flushRemoteTlbsFromVcpu(null);
}
