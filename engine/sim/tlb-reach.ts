import type { Vm } from '../kvm/vm.ts';
import type { Memslot } from '../kvm/memslot.ts';
import type { AccessPattern } from '../guest/workload.ts';
import type { VcpuThread } from '../guest/vcpu-thread.ts';
import { activePattern } from '../guest/vcpu-thread.ts';
import { PAGES_PER_LEVEL, SpteLevel } from '../kvm/types.ts';

/**
 * What the guest pays in TLB misses for memory KVM maps smaller than its backing
 * allows. A TLB entry caches a translation at the smaller of the guest's and the
 * host's page size (a guest 2M page over 4K SPTEs takes 512 entries), so once dirty
 * logging caps a slot at 4K (kvm_mmu_hugepage_adjust) a working set larger than the
 * TLB's 4K reach misses on most accesses, and each miss walks the page tables. With
 * TDP that walk is two-dimensional (every guest level through the EPT/NPT), and a 4K
 * EPT leaf adds a level to each nested walk; shadow paging walks one dimension.
 *
 * The guest is assumed to map its memory huge where the host does (THP in the guest),
 * and a workload's `rate` to be what it achieves with the memory mapped as its backing
 * allows: only the difference is charged, per access, as stall cause `tlb_miss`. A
 * mixture's components are taken as uniform over their pages; a sequential stream
 * touches a new page at every access. Allocation and trace workloads are not charged.
 */

/**
 * Second-level TLB of an Intel Skylake core: 1536 entries shared by 4K and 2M pages,
 * 16 for 1G (Intel 64 and IA-32 Architectures Optimization Reference Manual,
 * Skylake microarchitecture, TLB parameters).
 */
export const STLB_ENTRIES = 1536;
export const STLB_ENTRIES_1G = 16;

/** Share of uniform accesses over `pages` 4K pages that miss a TLB reaching `reachPages`. */
export function tlbMissRate(pages: number, reachPages: number): number {
  return pages <= reachPages ? 0 : 1 - reachPages / pages;
}

/** 4K pages a TLB reaches with translations of `level`. */
export function tlbReachPages(level: SpteLevel): number {
  return level === SpteLevel.PG_LEVEL_1G
    ? STLB_ENTRIES_1G * PAGES_PER_LEVEL[level]
    : STLB_ENTRIES * PAGES_PER_LEVEL[level];
}

/** Share of a slot's mapped pages that are mapped 4K (KVM's pages_4k against the rest). */
export function mapped4kShare(slot: Memslot): number {
  const t = slot.tdp;
  const mapped =
    t.pages4k +
    t.pages2m * PAGES_PER_LEVEL[SpteLevel.PG_LEVEL_2M] +
    t.pages1g * PAGES_PER_LEVEL[SpteLevel.PG_LEVEL_1G];
  return mapped === 0 ? 0 : t.pages4k / mapped;
}

/**
 * Extra ns per access to `slot` over a working set of `pages` (Infinity: a stream
 * touching a new page each access), against the slot mapped as its backing allows.
 */
export function tlbPenaltyNs(vm: Vm, slot: Memslot, pages: number): number {
  const huge = Math.min(slot.hostMappingLevel, vm.params.maxHugeLevel) as SpteLevel;
  if (huge === SpteLevel.PG_LEVEL_4K) return 0;
  const share = mapped4kShare(slot);
  if (share === 0) return 0;
  const costs = vm.costs;
  // Shadow paging walks one dimension, the same whatever the leaf's size.
  const shadow = !vm.params.tdp;
  const walkSmall = shadow ? costs.tlbMissWalkShadow : costs.tlbMissWalk4k;
  const walkHuge = shadow ? costs.tlbMissWalkShadow : costs.tlbMissWalkHuge;
  const missSmall =
    pages === Infinity ? 1 : tlbMissRate(pages, tlbReachPages(SpteLevel.PG_LEVEL_4K));
  const missHuge =
    pages === Infinity ? 1 / PAGES_PER_LEVEL[huge] : tlbMissRate(pages, tlbReachPages(huge));
  return Math.max(0, share * (missSmall * walkSmall - missHuge * walkHuge));
}

/** Extra ns per access of `pattern` (0 for workloads not charged). */
export function patternPenaltyNs(vm: Vm, pattern: AccessPattern): number {
  if (pattern.kind === 'mixture') {
    let weight = 0;
    let ns = 0;
    for (const c of pattern.components) {
      weight += c.weight;
      ns += c.weight * tlbPenaltyNs(vm, c.slot.memslot, c.end - c.start);
    }
    return weight > 0 ? ns / weight : 0;
  }
  if (pattern.kind === 'sequential') {
    let pages = 0;
    let ns = 0;
    for (const r of pattern.ranges) {
      pages += r.end - r.start;
      ns += (r.end - r.start) * tlbPenaltyNs(vm, r.slot.memslot, Infinity);
    }
    return pages > 0 ? ns / pages : 0;
  }
  return 0;
}

/**
 * Per slice: charge each vCPU thread the TLB misses of the accesses it did in the
 * slice (`tlb_miss`), from the next slice on. The mapping is read at the slice's end.
 */
export class TlbReach {
  /** Guest ns charged so far, all vCPUs (for tests and the cost breakdown). */
  chargedNs = 0;
  private readonly vm: Vm;
  private readonly threads: readonly VcpuThread[];
  private readonly accesses: Float64Array;

  constructor(vm: Vm, threads: readonly VcpuThread[]) {
    this.vm = vm;
    this.threads = threads;
    this.accesses = Float64Array.from(threads, (t) => t.accesses);
  }

  /** The slice that started at `now` ended; its TLB misses are taken from `nextNs` on. */
  endSlice(now: number, nextNs: number): void {
    const threads = this.threads;
    // vCPUs that share a workload share its pattern: its penalty is computed once per
    // slice (the mapping does not change while the slice's charges are made).
    let lastPattern: AccessPattern | null = null;
    let lastPenalty = 0;
    for (let i = 0; i < threads.length; i++) {
      const t = threads[i];
      const n = t.accesses - this.accesses[i];
      this.accesses[i] = t.accesses;
      if (n <= 0) continue;
      const pattern = activePattern(t.pattern, now);
      if (pattern !== lastPattern) {
        lastPattern = pattern;
        lastPenalty = patternPenaltyNs(this.vm, pattern);
      }
      const ns = n * lastPenalty;
      if (ns > 0) {
        t.stallFor('tlb_miss', ns, nextNs);
        this.chargedNs += ns;
      }
    }
  }
}
