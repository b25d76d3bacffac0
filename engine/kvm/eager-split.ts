import type { Memslot } from './memslot.ts';
import type { OpCost } from './stats.ts';
import type { SplitCount } from './tdp-mmu.ts';
import type { Vm } from './vm.ts';
import { SpteLevel } from './types.ts';

/**
 * Eager page splitting: x86 `kvm_mmu_slot_try_split_huge_pages` (whole slot, TDP
 * MMU under mmu_lock read) and `kvm_mmu_try_split_huge_pages` (a CLEAR's range,
 * under mmu_lock write); arm64 `kvm_mmu_split_memory_region` in chunks of
 * KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE under mmu_lock write, topping up the page
 * cache between chunks with the lock dropped.
 */

/** Split every huge SPTE of `slot` down to the tracking granularity. */
export function splitSlotEagerly(vm: Vm, slot: Memslot, cost: OpCost): void {
  if (vm.arch === 'arm64') {
    splitArm64Chunks(vm, slot, 0, slot.npages, cost);
    return;
  }
  const count = slot.tdp.splitHugePages(0, slot.npages, vm.trackingLevel);
  chargeSplit(vm, count, cost, 'read');
}

/**
 * Split the huge SPTEs overlapping [start, end) of `slot` (the CLEAR path with
 * INITIALLY_SET). Returns false: splitting never needs a TLB flush.
 */
export function splitRangeEagerly(
  vm: Vm,
  slot: Memslot,
  start: number,
  end: number,
  cost: OpCost,
  lock: 'read' | 'write',
): boolean {
  if (vm.arch === 'arm64') {
    splitArm64Chunks(vm, slot, start, end, cost);
    return false;
  }
  if (!vm.eagerPageSplit) return false;
  chargeSplit(vm, slot.tdp.splitHugePages(start, end, vm.trackingLevel), cost, lock);
  return false;
}

/**
 * arm64: walk [start, end) a chunk at a time; each chunk's page tables are
 * allocated with mmu_lock dropped (`kvm_mmu_split_nr_page_tables`), then the chunk
 * is split under the write lock.
 */
function splitArm64Chunks(vm: Vm, slot: Memslot, start: number, end: number, cost: OpCost): void {
  const chunkPages = Math.max(1, Math.floor(vm.eagerSplitChunkSize / 4096));
  if (vm.eagerSplitChunkSize === 0) return;
  for (let a = start; a < end; a += chunkPages) {
    const count = slot.tdp.splitHugePages(a, Math.min(a + chunkPages, end), vm.trackingLevel);
    vm.stats.eager_splits += count.splits;
    vm.stats.split_sptes += count.sptes;
    cost.splits += count.splits;
    cost.add(count.tables * vm.costs.splitAllocPageTable);
    // The chunk is split under the write lock, which is dropped before the next
    // chunk's cache top-up (need_split_memcache_topup_or_resched): a piece a chunk.
    cost.releaseWriteLock();
    cost.underWriteLock(count.sptes * vm.costs.splitPerSpte);
    cost.releaseWriteLock();
    cost.splitNs +=
      count.tables * vm.costs.splitAllocPageTable + count.sptes * vm.costs.splitPerSpte;
  }
}

function chargeSplit(vm: Vm, count: SplitCount, cost: OpCost, lock: 'read' | 'write'): void {
  vm.stats.eager_splits += count.splits;
  vm.stats.split_sptes += count.sptes;
  cost.splits += count.splits;
  const fill = count.sptes * vm.costs.splitPerSpte;
  const alloc = count.tables * vm.costs.splitAllocPageTable;
  cost.splitNs += fill + alloc;
  if (lock === 'read') {
    cost.underReadLock(fill + alloc);
    return;
  }
  // tdp_mmu_split_huge_pages_root drops mmu_lock to allocate each new page table
  // (tdp_mmu_alloc_sp_for_split with GFP_KERNEL_ACCOUNT) and takes it again for the
  // split itself: under the write lock, the hold comes in one piece per huge SPTE.
  cost.add(alloc);
  if (count.splits > 0) cost.underWriteLockInPieces(fill, fill / count.splits);
}

/** The level huge pages are split to: 4K, or 2M under the 2M-granularity proposal. */
export function trackingLevelFor(granularityPages: number): SpteLevel {
  return granularityPages > 1 ? SpteLevel.PG_LEVEL_2M : SpteLevel.PG_LEVEL_4K;
}
