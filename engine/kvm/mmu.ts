import type { Memslot } from './memslot.ts';
import type { Vcpu } from './vcpu.ts';
import type { Vm } from './vm.ts';
import { markPageDirtyInSlot } from './dirty-log.ts';
import {
  SPTE_DIRTY,
  SPTE_HOST_WRITABLE,
  SPTE_MMU_WRITABLE,
  SPTE_TABLE,
  SPTE_WRITABLE,
  makeSpte,
} from './spte.ts';
import { MmuLockMode, SpteLevel } from './types.ts';
import { INTERNAL } from './internal.ts';

/**
 * What one access did, as a small integer so the batched loop allocates nothing.
 * Indexes `ACCESS_OUTCOMES`.
 */
export enum Outcome {
  NoFault = 0,
  PmlLogged = 1,
  PmlFullExit = 2,
  FastFault = 3,
  SlowFault = 4,
  SplitOnFault = 5,
  ZapOnFault = 6,
  MmioExit = 7,
  DirtyRingFull = 8,
}

export const ACCESS_OUTCOMES = [
  'no-fault',
  'pml-logged',
  'pml-full-exit',
  'fast-fault',
  'slow-fault',
  'split-on-fault',
  'zap-on-fault',
  'mmio-exit',
  'dirty-ring-full',
] as const;

/**
 * A guest access the inline fast check could not retire: the page is mapped huge,
 * not mapped, write-protected, or its D-bit is clear. Follows kvm_mmu_page_fault:
 * PML logging without an exit; fast_page_fault; the slow path (`kvm_tdp_mmu_map`)
 * with huge-page split or zap. The cost lands in `vcpu.lastCostNs`.
 */
export function handleAccess(vcpu: Vcpu, gfn: number, write: boolean): Outcome {
  const vm = vcpu.vm;
  const costs = vm.costs;
  vcpu.lastCostNs = 0;
  vcpu.lastMmuLock = MmuLockMode.None;
  const slot = vm.findSlot(gfn);
  if (!slot) return mmioExit(vcpu);
  const rel = gfn - slot.baseGfn;
  const tdp = slot.tdp;
  const level = tdp.leafLevel(rel);
  const spte = level === 0 ? 0 : tdp.getSpte(level, rel);

  if (!write) {
    if (level !== 0) return Outcome.NoFault;
    flushPmlAtExit(vcpu);
    return slowPageFault(vcpu, slot, rel, false);
  }

  if (spte & SPTE_WRITABLE) {
    if (spte & SPTE_DIRTY) return Outcome.NoFault;
    // The CPU sets D; with PML it also appends the GPA, exiting first if the buffer is full.
    const pml = vcpu.pml;
    if (!pml || !vm.pmlActive) {
      tdp.setLeafSpte(level as SpteLevel, rel, spte | SPTE_DIRTY);
      return Outcome.NoFault;
    }
    let outcome = Outcome.PmlLogged;
    if (pml.full) {
      // A PML-full exit happens before the write completes (no D-bit, no entry); the
      // write is retried when the vCPU enters again. The drain at this exit may push
      // the ring past its soft limit: then KVM exits to userspace first and the write
      // is retried after the VMM's RESET (the caller retries it).
      vm.stats.pml_full_exits++;
      vcpu.lastCostNs += costs.vmExit;
      vcpu.afterExit();
      if (vm.rings?.blocked(vcpu.id)) return Outcome.PmlFullExit;
      outcome = Outcome.PmlFullExit;
    }
    tdp.setLeafSpte(level as SpteLevel, rel, spte | SPTE_DIRTY);
    pml.log(gfn);
    vm.stats.pml_logged++;
    vcpu.lastCostNs += costs.pmlLog;
    return outcome;
  }

  vm.stats.pf_taken++;
  flushPmlAtExit(vcpu);
  const granularity = vm.trackingLevel;
  if (
    level !== 0 &&
    spte & SPTE_MMU_WRITABLE &&
    vm.fastPageFault &&
    !(level > granularity && slot.dirtyLogging) &&
    !(vm.arch === 'arm64' && level < faultMappingLevel(vm, slot, rel))
  ) {
    // fast_page_fault: lockless; huge SPTEs in a logged slot are refused (4K granularity).
    tdp.setLeafSpte(level, rel, spte | SPTE_WRITABLE | SPTE_DIRTY);
    vm.stats.pf_fast++;
    let ns = costs.vmExit;
    if (vm.arch === 'arm64') {
      // user_mem_abort relaxes the permission under mmu_lock (read since 6.2).
      ns += costs.permissionFaultArm64;
      vm.stats.mmu_lock_read_ns += costs.permissionFaultArm64;
      holdMmuLock(vcpu, costs.permissionFaultArm64);
    } else {
      ns += costs.fastPageFault;
    }
    ns += markPageDirtyInSlot(vm, vcpu, slot, rel);
    vcpu.lastCostNs += ns;
    vcpu.afterExit();
    return Outcome.FastFault;
  }
  if (slot.readonly) return mmioExit(vcpu); // a write to a read-only slot is emulated by userspace
  return slowPageFault(vcpu, slot, rel, true);
}

/**
 * The slow path, `kvm_tdp_mmu_map` under mmu_lock (read for the TDP MMU): pick the
 * level (`kvm_mmu_hugepage_adjust`: a logged slot maps 4K), split or zap a huge SPTE
 * that is in the way, collapse a table where a huge page can go again, install the
 * leaf with `make_spte` (which marks the page dirty if it is writable and logged).
 */
function slowPageFault(vcpu: Vcpu, slot: Memslot, rel: number, write: boolean): Outcome {
  const vm = vcpu.vm;
  const costs = vm.costs;
  const tdp = slot.tdp;
  const stats = vm.stats;
  if (!write) stats.pf_taken++;
  stats.pf_fixed++;
  let lockNs = costs.slowPageFault;
  // Shadow paging: FNAME(page_fault) walks the guest's page tables in software first.
  if (!vm.params.tdp) lockNs += costs.shadowGuestWalk;
  let ns = costs.vmExit;
  let outcome = Outcome.SlowFault;

  // kvm_mmu_hugepage_adjust: a logged slot maps at the tracking level (4K).
  let target =
    slot.dirtyLogging && vm.trackingLevel === SpteLevel.PG_LEVEL_4K
      ? SpteLevel.PG_LEVEL_4K
      : slot.dirtyLogging
        ? Math.min(slot.maxMappingLevel(rel, vm.params.maxHugeLevel), vm.trackingLevel)
        : slot.maxMappingLevel(rel, vm.params.maxHugeLevel);
  let level = tdp.leafLevel(rel);
  if (level === 0) stats.pf_not_present++;

  if (level > target) {
    // The shadow MMU drops a huge SPTE in the way (FNAME(fetch), drop_large_spte);
    // splitting in place is the TDP MMU's (tdp_mmu_split_huge_page).
    if (vm.params.splitOnFault === 'in-place' && vm.params.tdp) {
      while (level > target) {
        const c = tdp.splitHugeSpte(level as SpteLevel.PG_LEVEL_2M | SpteLevel.PG_LEVEL_1G, rel);
        stats.fault_splits++;
        stats.split_sptes += c.sptes;
        lockNs += c.sptes * costs.splitPerSpte + c.tables * costs.splitAllocPageTable;
        level--;
      }
      outcome = Outcome.SplitOnFault;
    } else {
      tdp.zapLeaf(level as SpteLevel, rel);
      stats.fault_zaps++;
      lockNs += costs.zapSpte;
      ns += vm[INTERNAL].flushRemoteTlbsFromVcpu(vcpu);
      level = 0;
      outcome = Outcome.ZapOnFault;
    }
  } else if (level !== 0 && level < target && vm.arch !== 'arm64') {
    // A present smaller mapping only needs its permissions fixed.
    target = level;
  } else if (level < target && target > SpteLevel.PG_LEVEL_4K) {
    // Tables left below a frame that may be huge again: replace them with the leaf.
    // On arm64 also under a present smaller mapping (a permission fault after
    // logging stopped): stage2_map installs the block and frees the table.
    const frame =
      target === SpteLevel.PG_LEVEL_1G ? tdp.relOf1g(tdp.idx1g(rel)) : tdp.relOf2m(tdp.idx2m(rel));
    const hasTable =
      (target === SpteLevel.PG_LEVEL_2M && tdp.spte2m[tdp.idx2m(rel)] === SPTE_TABLE) ||
      (target === SpteLevel.PG_LEVEL_1G && tdp.spte1g[tdp.idx1g(rel)] === SPTE_TABLE);
    if (hasTable) {
      const zapped = tdp.zapCollapsible(frame, frame + 1, () => target as SpteLevel);
      stats.recovered_sptes += zapped.walked;
      lockNs += zapped.walked * costs.zapSpte;
      if (zapped.flush) ns += vm[INTERNAL].flushRemoteTlbsFromVcpu(vcpu);
      level = 0;
    }
  }

  const hostWritable = !slot.readonly;
  let dirtied = false;
  if (level === 0) {
    // x86 maps a read fault writable when the host page is writable; arm64 keeps
    // read faults in a logged slot read-only so only real writes are logged.
    const writable =
      hostWritable && (write || !slot.dirtyLogging || vm.params.readFaultMapsWritable);
    tdp.mapLeaf(rel, target as SpteLevel, makeSpte(writable, hostWritable));
    dirtied = writable;
  } else if (write) {
    const spte = tdp.getSpte(level as SpteLevel, rel);
    // The slow path rebuilds the SPTE from the host mapping (make_spte), so it is
    // MMU-writable again even if write_protect_gfn had taken that away.
    tdp.setLeafSpte(
      level as SpteLevel,
      rel,
      spte | SPTE_WRITABLE | SPTE_DIRTY | SPTE_MMU_WRITABLE | SPTE_HOST_WRITABLE,
    );
    dirtied = true;
  }
  if (dirtied && slot.dirtyLogging) ns += markPageDirtyInSlot(vm, vcpu, slot, rel);
  stats.mmu_lock_read_ns += lockNs;
  vcpu.lastCostNs += ns + lockNs;
  vcpu.lastLockReadNs = lockNs;
  holdMmuLock(vcpu, lockNs);
  vcpu.afterExit();
  return outcome;
}

/**
 * The fault held mmu_lock for `ns`: shared with other faults under the TDP MMU's
 * rwlock (kvm_tdp_mmu_map runs under read_lock; arm64 user_mem_abort too since 6.2),
 * exclusive under the spinlock it was before (2012's KVM, arm64 before 6.2).
 */
function holdMmuLock(vcpu: Vcpu, ns: number): void {
  const vm = vcpu.vm;
  // The shadow MMU's faults take it for write (direct_page_fault, FNAME(page_fault)).
  vcpu.lastMmuLock =
    vm.params.mmuLock === 'spinlock' || !vm.params.tdp ? MmuLockMode.Write : MmuLockMode.Read;
  vcpu.stats.mmuLockAcquisitions++;
  vcpu.stats.mmuLockHoldNs += ns;
}

/**
 * `__vmx_handle_exit` flushes the PML buffer before it handles the exit, so pages
 * the guest wrote before the faulting access reach the ring (or bitmap) before the
 * page the fault itself marks dirty: ring order follows guest write order.
 */
function flushPmlAtExit(vcpu: Vcpu): void {
  if (vcpu.pml && vcpu.pml.count > 0) vcpu.afterExit();
}

/**
 * The level a fault in `slot` maps `rel` at now: `kvm_mmu_hugepage_adjust` /
 * arm64 `user_mem_abort`'s vma_pagesize (4K, or the tracking level, while logging).
 */
function faultMappingLevel(vm: Vm, slot: Memslot, rel: number): SpteLevel {
  const maxLevel = slot.maxMappingLevel(rel, vm.params.maxHugeLevel);
  return slot.dirtyLogging ? (Math.min(maxLevel, vm.trackingLevel) as SpteLevel) : maxLevel;
}

/** No memslot (MMIO) or a write to a READONLY slot: KVM_EXIT_MMIO, emulated by the VMM. */
function mmioExit(vcpu: Vcpu): Outcome {
  const vm = vcpu.vm;
  vm.stats.pf_mmio++;
  vcpu.lastCostNs += vm.costs.vmExit + vm.costs.userspaceExit;
  vcpu.afterExit();
  return Outcome.MmioExit;
}
