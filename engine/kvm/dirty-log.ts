import type { Memslot } from './memslot.ts';
import { BITMAP_LINE_IOCTL, BITMAP_LINE_PAGES } from './memslot.ts';
import type { OpCost } from './stats.ts';
import type { Vcpu } from './vcpu.ts';
import type { Vm } from './vm.ts';
import { fls64 } from './dirty-ring.ts';
import { splitRangeEagerly, splitSlotEagerly } from './eager-split.ts';
import { SPTE_DIRTY, SPTE_WRITABLE } from './spte.ts';
import { SpteLevel } from './types.ts';
import { INTERNAL } from './internal.ts';
import { yieldsToWaiters } from './params.ts';

/** 4K pages in 1 GiB: stage2_apply_range_resched's step on arm64 (a level-1 block). */
const PAGES_PER_1G = 262_144;

/**
 * mark_page_dirty_in_slot (virt/kvm/kvm_main.c): record that `rel` of `slot` was
 * written. With a ring and a running vCPU the entry goes on the ring; otherwise the
 * bit goes in the slot's bitmap if it has one. With a ring, no vCPU and no bitmap
 * KVM drops the page: the model records a lost-dirty event. Returns the cost in ns.
 */
export function markPageDirtyInSlot(vm: Vm, vcpu: Vcpu | null, slot: Memslot, rel: number): number {
  // KVM tests kvm->dirty_ring_size, not whether the rings exist yet: a ring-only VM
  // has no bitmap even before its first vCPU (and its rings) are created.
  const ringMode = vm.dirtyRingSize !== 0;
  const bitmap = slot.dirtyBitmap;
  if (vcpu && !ringMode && bitmap && vm.dirtyGranularityPages === 1) {
    // Inline of the common case (a vCPU write in bitmap mode) for performance. A page
    // of the all-set suffix is set already (its word is not written).
    if (rel < slot.dirtyBitmapOnesFrom) bitmap[rel >>> 5] |= 1 << (rel & 31);
    vm.stats.bitmap_marks++;
    return vm.costs.markDirtyBitmap + takeBitmapLine(vm, slot, rel, vcpu.id + 1);
  }
  // Under CONFIG_HAVE_KVM_DIRTY_RING (x86 and arm64 both select it) KVM warns on a
  // write without a running vCPU in every dirty-log mode, unless the arch allows it
  // (WARN_ON_ONCE(!vcpu && !kvm_arch_allow_write_without_running_vcpu(kvm))).
  if (!vcpu && !vm.allowWriteWithoutRunningVcpu) vm.stats.warnings++;
  if (!slot.dirtyLogging) return 0;
  const pages = vm.dirtyGranularityPages;
  if (pages > 1) {
    // Proposal (2M granularity): the whole 2M frame is reported, once.
    const gfn = slot.baseGfn + rel;
    rel = Math.max(gfn - (gfn % pages) - slot.baseGfn, 0);
  }
  if (ringMode && vcpu && vm.rings) {
    const rings = vm.rings;
    const pushed = rings.push(vcpu.id, slot.slotId, rel);
    if (pushed === 'lost') {
      vm[INTERNAL].recordLostDirty(slot, rel, 'proposal-ring-overflow');
      return 0;
    }
    vm.stats.ring_pushes++;
    // Proposal (pool): claiming a ring is an atomic on the pool's shared state.
    const ns = vm.costs.ringPush + (rings.lastPushClaimed ? vm.costs.ringPoolClaim : 0);
    if (rings.lastPushLocked) {
      // Proposals: a producer lock shared with the other vCPUs (the per-VM ring's for
      // the push, the pool's for the claim); engine/sim/ring-lock.ts charges the wait.
      vcpu.stats.ringLockAcquisitions++;
      vcpu.stats.ringLockHoldNs += rings.lastPushClaimed ? vm.costs.ringPoolClaim : ns;
    }
    return ns;
  }
  if (ringMode && !vcpu && !bitmap && vm.rings && vm.params.proposals.vcpulessWrites !== 'drop') {
    // Proposals instead of WITH_BITMAP: the write goes into vCPU 0's ring or the VM's.
    if (vm.rings.pushWithoutVcpu(slot.slotId, rel) === 'lost') {
      vm[INTERNAL].recordLostDirty(slot, rel, 'proposal-ring-overflow');
      return 0;
    }
    vm.stats.ring_pushes++;
    return vm.costs.ringPush;
  }
  if (bitmap) {
    const end = pages > 1 ? Math.min(rel + pages, slot.npages) : rel + 1;
    for (let r = rel; r < Math.min(end, slot.dirtyBitmapOnesFrom); r++) {
      bitmap[r >>> 5] |= 1 << (r & 31);
    }
    slot.bitmapLineChanged.fill(1, rel >>> 9, ((end - 1) >>> 9) + 1);
    vm.stats.bitmap_marks++;
    const owner = vcpu ? vcpu.id + 1 : BITMAP_LINE_IOCTL;
    return vm.costs.markDirtyBitmap + takeBitmapLine(vm, slot, rel, owner);
  }
  if (ringMode) vm[INTERNAL].recordLostDirty(slot, rel, 'no-running-vcpu-in-ring-mode');
  return 0;
}

/**
 * markPageDirtyInSlot for each of `gfns[0, n)` in that order, written by `vcpu`, as
 * those calls would leave the bitmaps, their line owners and the stats; gfns outside
 * every slot are skipped. Returns the exact sum of the costs the calls would return.
 * Precondition: bitmap mode at 4K granularity (no dirty ring) and integer costs, so
 * that a run of entries in one slot can be counted at once.
 */
export function markPagesDirtyInRuns(vm: Vm, vcpu: Vcpu, gfns: Float64Array, n: number): number {
  const costs = vm.costs;
  const owner = vcpu.id + 1;
  let ns = 0;
  let k = 0;
  while (k < n) {
    const slot = vm.findSlot(gfns[k]);
    if (!slot) {
      k++;
      continue;
    }
    const base = slot.baseGfn;
    const bitmap = slot.dirtyBitmap;
    if (!bitmap) {
      ns += markPageDirtyInSlot(vm, vcpu, slot, gfns[k] - base);
      k++;
      continue;
    }
    // markPageDirtyInSlot's bitmap case, with takeBitmapLine inline, up to the first
    // entry outside the slot: a line costs a transfer the first time the run touches
    // it if another writer had it last.
    const npages = slot.npages;
    const owners = slot.bitmapLineOwner;
    const changed = slot.bitmapLineChanged;
    const onesFrom = slot.dirtyBitmapOnesFrom;
    const start = k;
    let transfers = 0;
    for (; k < n; k++) {
      const rel = gfns[k] - base;
      if (!(rel >= 0 && rel < npages)) break;
      if (rel < onesFrom) bitmap[rel >>> 5] |= 1 << (rel & 31);
      const line = (rel / BITMAP_LINE_PAGES) | 0;
      changed[line] = 1;
      const last = owners[line];
      if (last !== owner) {
        if (last !== 0) transfers++;
        owners[line] = owner;
      }
    }
    vm.stats.bitmap_marks += k - start;
    ns += (k - start) * costs.markDirtyBitmap + transfers * costs.cacheLineTransfer;
  }
  return ns;
}

/**
 * set_bit_le is an atomic on the bitmap's cache line holding `rel`'s bit: if another
 * CPU wrote that line last, the line moves to this one first. Records `owner` as the
 * line's last writer; returns the transfer's cost in ns (0 if the line was local or
 * untouched).
 */
export function takeBitmapLine(vm: Vm, slot: Memslot, rel: number, owner: number): number {
  const owners = slot.bitmapLineOwner;
  const line = (rel / BITMAP_LINE_PAGES) | 0;
  slot.bitmapLineChanged[line] = 1;
  const last = owners[line];
  owners[line] = owner;
  return last !== 0 && last !== owner ? vm.costs.cacheLineTransfer : 0;
}

/**
 * kvm_arch_mmu_enable_log_dirty_pt_masked: re-arm dirty tracking for the pages of
 * `mask` (two 32-bit halves) starting at slot-relative `relBase`, after their dirty
 * bits were collected. Caller holds mmu_lock for write and charges `cost`.
 * Returns true if an SPTE changed and the TLB must be flushed.
 */
export function enableLogDirtyPtMasked(
  vm: Vm,
  slot: Memslot,
  relBase: number,
  maskLo: number,
  maskHi: number,
  cost: OpCost,
): boolean {
  if (
    vm.params.tdp &&
    vm.arch !== 'arm64' &&
    vm.dirtyGranularityPages === 1 &&
    (maskLo !== 0 || maskHi !== 0) &&
    slot.tdp.emptyAt(relBase, Math.min(relBase + 63, slot.npages - 1))
  ) {
    // Nothing is mapped under these 64 pages (most of a large slot when a first pass
    // CLEARs all of it): the split, the huge-page protection and the 4K walk of the
    // x86 TDP path find nothing there and charge nothing past the mask's own cost.
    cost.underWriteLock(vm.costs.enableLogDirtyMask);
    return false;
  }
  return enableLogDirtyPtMaskedWalk(vm, slot, relBase, maskLo, maskHi, cost);
}

/**
 * enableLogDirtyPtMasked without its shortcut for pages nothing maps: every path
 * walks. Exported for the test that holds the shortcut to it.
 */
export function enableLogDirtyPtMaskedWalk(
  vm: Vm,
  slot: Memslot,
  relBase: number,
  maskLo: number,
  maskHi: number,
  cost: OpCost,
): boolean {
  if (maskLo === 0 && maskHi === 0) return false;
  const first =
    maskLo !== 0 ? 31 - Math.clz32(maskLo & -maskLo) : 63 - Math.clz32(maskHi & -maskHi);
  const start = relBase + first;
  const end = relBase + fls64(maskLo, maskHi); // inclusive, as KVM's __fls
  const tdp = slot.tdp;
  const costs = vm.costs;
  cost.underWriteLock(costs.enableLogDirtyMask);
  let flush = false;

  if (vm.dirtyGranularityPages > 1) {
    // Proposal (2M granularity): re-protect whole 2M frames, at every level.
    // The frames' starts are computed inline: a closure here would capture `slot` and
    // make every call allocate its context, millions of times in a first pass's CLEARs.
    const pages = vm.dirtyGranularityPages;
    const lo = Math.max(start - ((slot.baseGfn + start) % pages), 0);
    const hi = Math.min(end - ((slot.baseGfn + end) % pages) + pages, slot.npages);
    if (vm.splitOnClear) flush = splitRangeEagerly(vm, slot, lo, hi, cost, 'write') || flush;
    const wp = tdp.wrprotRange(lo, hi, SpteLevel.PG_LEVEL_4K);
    cost.underWriteLock(wp.walked * costs.enableLogDirtyPerPage);
    return wp.flush || flush;
  }

  if (vm.arch === 'arm64') {
    // arm64: stage2_wp_range over [start, end], then split if INITIALLY_SET.
    const wp = tdp.wrprotRange(start, end + 1, SpteLevel.PG_LEVEL_4K);
    cost.underWriteLock(wp.walked * costs.enableLogDirtyPerPage);
    flush = wp.flush;
    if (vm.splitOnClear) splitRangeEagerly(vm, slot, start, end + 1, cost, 'write');
    return flush;
  }

  if (vm.splitOnClear) {
    // Huge pages were not protected (nor split) when logging was enabled.
    splitRangeEagerly(vm, slot, start, end + 1, cost, 'write');
  }
  if (vm.initiallySet || vm.splitOnClear) {
    flush = tdp.wrprotHugeCovering(start) || flush;
    flush = tdp.wrprotHugeCovering(end) || flush;
  }
  // Only present 4K SPTEs cost anything: the walk skips what is not mapped at 4K.
  const bit = vm.pmlEnabled ? SPTE_DIRTY : SPTE_WRITABLE;
  const walkedBefore = tdp.maskWalked;
  flush = tdp.clearBitsMasked(relBase, maskLo, bit) || flush;
  flush = tdp.clearBitsMasked(relBase + 32, maskHi, bit) || flush;
  if (!vm.params.tdp) {
    // kvm_mmu_write_protect_pt_masked: the rmap of every gfn in the mask, mapped or not.
    cost.underWriteLock((popcount(maskLo) + popcount(maskHi)) * costs.rmapWalkPerGfn);
    return flush;
  }
  cost.underWriteLock((tdp.maskWalked - walkedBefore) * costs.enableLogDirtyPerPage);
  return flush;
}

/**
 * x86 kvm_mmu_slot_apply_flags / arm64 kvm_arch_commit_memory_region for a
 * FLAGS_ONLY change that toggles LOG_DIRTY_PAGES, in KVM's order.
 */
export function slotApplyLoggingChange(vm: Vm, slot: Memslot, cost: OpCost): void {
  if (slot.readonly) return; // read-only slots never have writable SPTEs
  const tdp = slot.tdp;
  const costs = vm.costs;
  if (!slot.dirtyLogging) {
    if (vm.arch === 'arm64') return; // huge mappings come back on later faults
    // kvm_mmu_recover_huge_pages (zap collapsible SPTEs), TDP MMU under the read lock.
    const zapped = tdp.zapCollapsible(0, slot.npages, (rel) =>
      slot.maxMappingLevel(rel, vm.params.maxHugeLevel),
    );
    vm.stats.recovered_sptes += zapped.walked;
    cost.underReadLock(zapped.walked * costs.zapSpte);
    if (zapped.flush) vm[INTERNAL].flushRemoteTlbs(cost);
    return;
  }
  if (vm.initiallySet) return; // protection and splitting happen in CLEAR_DIRTY_LOG

  let flush = false;
  if (vm.arch === 'arm64') {
    // kvm_mmu_wp_memory_region (write lock), then kvm_mmu_split_memory_region.
    // stage2_apply_range_resched offers the lock at every 1 GiB block
    // (cond_resched_rwlock_write), which a waiting vCPU gets only under full preemption.
    const wp = tdp.wrprotRange(0, slot.npages, SpteLevel.PG_LEVEL_4K);
    const ns = wp.walked * costs.wrprotRangePerSpte;
    if (yieldsToWaiters(vm.params)) {
      cost.underWriteLockInPieces(ns, (ns * Math.min(PAGES_PER_1G, slot.npages)) / slot.npages);
    } else cost.underWriteLock(ns);
    if (wp.flush) vm[INTERNAL].flushRemoteTlbs(cost);
    if (vm.eagerSplitChunkSize > 0 && !vm.params.proposals.splitOnFirstClear) {
      splitSlotEagerly(vm, slot, cost);
    }
    return;
  }
  if (!vm.params.tdp) {
    // kvm_mmu_slot_remove_write_access: walk_slot_rmaps over every gfn's rmap head at
    // every level from 4K, under mmu_lock for write; present SPTEs lose W.
    // walk_slot_rmaps checks for waiters at every rmap head (cond_resched_rwlock_write
    // on need_resched or rwlock_needbreak).
    const wp = tdp.wrprotRange(0, slot.npages, SpteLevel.PG_LEVEL_4K);
    const ns = rmapHeads(slot.npages) * costs.rmapWalkPerGfn;
    if (yieldsToWaiters(vm.params)) cost.underWriteLockInPieces(ns, costs.rmapWalkPerGfn);
    else cost.underWriteLock(ns);
    if (wp.flush) vm[INTERNAL].flushRemoteTlbs(cost);
    return;
  }
  if (vm.eagerPageSplit && !vm.params.proposals.splitOnFirstClear) {
    splitSlotEagerly(vm, slot, cost);
  }
  if (vm.pmlEnabled && vm.dirtyGranularityPages === 1) {
    // PML: clear D on 4K leaves, write-protect the huge ones.
    const d = tdp.clearDirtyRange(0, slot.npages);
    const wp = tdp.wrprotRange(0, slot.npages, SpteLevel.PG_LEVEL_2M);
    cost.underReadLock((d.walked + wp.walked) * costs.wrprotRangePerSpte);
    flush = d.flush || wp.flush;
  } else {
    const wp = tdp.wrprotRange(0, slot.npages, SpteLevel.PG_LEVEL_4K);
    cost.underReadLock(wp.walked * costs.wrprotRangePerSpte);
    flush = wp.flush;
  }
  // kvm_flush_remote_tlbs_memslot, once for the slot.
  if (flush) vm[INTERNAL].flushRemoteTlbs(cost);
}

/** rmap heads a walk over a slot of `npages` visits: one per gfn at 4K, per 2M and per 1G frame. */
function rmapHeads(npages: number): number {
  return npages + Math.ceil(npages / 512) + Math.ceil(npages / (512 * 512));
}

/** Set bits in a 32-bit word. */
function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
