/**
 * VM-wide statistics in KVM's style (KVM's binary stats / debugfs names where one
 * exists, e.g. `pages_4k`, `pf_fast`, `remote_tlb_flush`, `dirty_ring_full`).
 */
export interface VmStats {
  /** Leaf SPTEs per level, summed over memslots (KVM `pages_4k`, `pages_2m`, `pages_1g`). */
  pages_4k: number;
  pages_2m: number;
  pages_1g: number;
  /** Page-table pages below the roots. */
  page_table_pages: number;
  /** Guest faults handled by KVM (`pf_taken`). */
  pf_taken: number;
  /** Fixed locklessly by fast_page_fault (or arm64 permission relax). */
  pf_fast: number;
  /** Fixed on the slow path under mmu_lock (`pf_fixed`). */
  pf_fixed: number;
  /** Of the slow faults, those on a page that was not mapped (demand faults). */
  pf_not_present: number;
  /** Accesses with no memslot (MMIO) or writes to a READONLY slot, sent to userspace. */
  pf_mmio: number;
  /** Huge SPTEs split eagerly (enable logging, CLEAR, ring reset, arm64 chunks). */
  eager_splits: number;
  /** Huge SPTEs split in place by a faulting vCPU (6.2+). */
  fault_splits: number;
  /** Huge SPTEs zapped by a faulting vCPU (pre-6.2 x86, arm64). */
  fault_zaps: number;
  /** Child SPTEs created by splits of either kind. */
  split_sptes: number;
  /** 4K SPTEs zapped so a region can be mapped huge again (logging disabled). */
  recovered_sptes: number;
  /** Remote TLB flushes (`remote_tlb_flush`). */
  remote_tlb_flush: number;
  /** Simulated ns mmu_lock was held for read and for write. */
  mmu_lock_read_ns: number;
  mmu_lock_write_ns: number;
  /** GPAs logged by PML, and PML-full exits. */
  pml_logged: number;
  pml_full_exits: number;
  /** Entries pushed on dirty rings, and DIRTY_RING_FULL exits (`dirty_ring_full`). */
  ring_pushes: number;
  dirty_ring_full: number;
  /** Bits set in dirty bitmaps by mark_page_dirty_in_slot. */
  bitmap_marks: number;
  /** Pages KVM would have dropped from the dirty log (see LostDirtyEvent). */
  lost_dirty: number;
  /** WARN_ON_ONCE hits KVM would print (e.g. a write without a running vCPU on x86 with a ring). */
  warnings: number;
}

export function emptyVmStats(): VmStats {
  return {
    pages_4k: 0,
    pages_2m: 0,
    pages_1g: 0,
    page_table_pages: 0,
    pf_taken: 0,
    pf_fast: 0,
    pf_fixed: 0,
    pf_not_present: 0,
    pf_mmio: 0,
    eager_splits: 0,
    fault_splits: 0,
    fault_zaps: 0,
    split_sptes: 0,
    recovered_sptes: 0,
    remote_tlb_flush: 0,
    mmu_lock_read_ns: 0,
    mmu_lock_write_ns: 0,
    pml_logged: 0,
    pml_full_exits: 0,
    ring_pushes: 0,
    dirty_ring_full: 0,
    bitmap_marks: 0,
    lost_dirty: 0,
    warnings: 0,
  };
}

/**
 * What one ioctl cost: simulated duration and how long it held mmu_lock, so a
 * scheduler can make faulting vCPUs wait behind a CLEAR or a split.
 */
export class OpCost {
  /** Total simulated time of the operation in ns. */
  ns = 0;
  /** Part of `ns` spent holding mmu_lock for read / for write. */
  mmuLockReadNs = 0;
  mmuLockWriteNs = 0;
  tlbFlushes = 0;
  /** Huge SPTEs split by this operation. */
  splits = 0;
  /** Part of `ns` spent splitting huge SPTEs (allocating page tables, filling SPTEs). */
  splitNs = 0;

  /** Work done without mmu_lock. */
  add(ns: number): void {
    this.ns += ns;
  }

  /**
   * The write hold in pieces: the lock is released between pieces (a walk that
   * yields, a split that drops the lock to allocate). A fault that comes while the
   * writer is in waits for the rest of the piece it lands in, not of the ioctl.
   * `closedSqNs` sums the squares of the finished pieces, `openNs` is the piece
   * under way (it ends with the ioctl or at the next release).
   */
  private closedSqNs = 0;
  private openNs = 0;
  /** Finished pieces of the write hold (fractional where a walk's pieces are averaged). */
  private closedPieces = 0;

  /** Work done holding mmu_lock for write (the current hold goes on). */
  underWriteLock(ns: number): void {
    this.ns += ns;
    this.mmuLockWriteNs += ns;
    this.openNs += ns;
  }

  /**
   * underWriteLock(ns), `times` times over: the same sums, added one at a time (so
   * rounded as the calls would round them), with the fields in locals.
   */
  underWriteLockRepeated(ns: number, times: number): void {
    let total = this.ns;
    let write = this.mmuLockWriteNs;
    let open = this.openNs;
    for (let k = 0; k < times; k++) {
      total += ns;
      write += ns;
      open += ns;
    }
    this.ns = total;
    this.mmuLockWriteNs = write;
    this.openNs = open;
  }

  /** The writer drops mmu_lock (write_unlock, cond_resched_rwlock_write): the hold so far is one piece. */
  releaseWriteLock(): void {
    if (this.openNs > 0) this.closedPieces++;
    this.closedSqNs += this.openNs * this.openNs;
    this.openNs = 0;
  }

  /**
   * `ns` of work under the write lock that the writer breaks every `pieceNs` (a walk
   * that yields to waiters at each step, tdp_mmu_iter_cond_resched; or chunks with
   * the lock dropped between them). Closes the hold before it; the lock is held
   * again after it.
   */
  underWriteLockInPieces(ns: number, pieceNs: number): void {
    if (ns <= 0) return;
    this.releaseWriteLock();
    this.ns += ns;
    this.mmuLockWriteNs += ns;
    const piece = Math.min(Math.max(pieceNs, 0), ns);
    this.closedSqNs += ns * piece;
    this.closedPieces += piece > 0 ? ns / piece : 1;
  }

  /**
   * How many pieces the write hold came in (0 without one): between two pieces the
   * writer lets the vCPUs that wait for mmu_lock in, and takes it back after them.
   */
  get mmuLockWritePieces(): number {
    return this.closedPieces + (this.openNs > 0 ? 1 : 0);
  }

  /**
   * Sum over the write-hold pieces of their squared lengths: with mmuLockWriteNs, the
   * mean piece a waiting fault lands in (sq / total). One piece: mmuLockWriteNs².
   */
  get mmuLockWritePieceSqNs(): number {
    return this.closedSqNs + this.openNs * this.openNs;
  }

  /** Work done holding mmu_lock for read. */
  underReadLock(ns: number): void {
    this.ns += ns;
    this.mmuLockReadNs += ns;
  }
}
