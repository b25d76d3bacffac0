/**
 * The one table of per-operation costs, in simulated nanoseconds. Each entry has a
 * default, the source the default comes from, and its basis: measured (a published
 * figure for this very operation), derived (set so that the model reproduces the
 * published figures it names; engine/calibration/ holds them, and `npm run calibrate`
 * prints model against published with the relative error) or an estimate. Every entry
 * can be overridden per run (`new Kvm({ costs: { fastPageFault: 200 } })`) and from
 * the language.
 *
 * Costs that grow with the number of vCPUs are not entries of their own: they come
 * from the mechanisms that make them grow (engine/kvm/contention.ts: a cache line
 * bounced between the CPUs that update it, an exclusive lock's queue; a remote TLB
 * flush's IPI per vCPU in guest mode), built from the per-operation costs below.
 */
export interface Costs {
  /** VM exit and re-entry round trip, handled in the kernel. */
  vmExit: number;
  /** Exit all the way to userspace (KVM_RUN returns) and back. */
  userspaceExit: number;
  /** fast_page_fault handler: lockless walk, cmpxchg, mark dirty (on top of vmExit). */
  fastPageFault: number;
  /** arm64 permission fault relaxed in place (`kvm_pgtable_stage2_relax_perms`). */
  permissionFaultArm64: number;
  /** Slow fault under mmu_lock, uncontended: GUP, page-table walk/allocation, make_spte (on top of vmExit). */
  slowPageFault: number;
  /** One atomic read-modify-write on a cache line another CPU wrote last (the line moves). */
  cacheLineTransfer: number;
  /** Create one child SPTE when splitting a huge SPTE (make_huge_page_split_spte). */
  splitPerSpte: number;
  /** Allocate one page-table page for a split (drop/retake mmu_lock, GFP_KERNEL_ACCOUNT). */
  splitAllocPageTable: number;
  /** Zap one leaf SPTE (not counting the TLB flush). */
  zapSpte: number;
  /** Remote TLB flush, fixed part: x86 local INVEPT and waiting for the acks; arm64 the broadcast TLBI and DSB. */
  tlbFlush: number;
  /** x86 remote TLB flush: per vCPU in guest mode, the IPI sent and its ack awaited. */
  tlbFlushPerVcpu: number;
  /** x86: a vCPU in guest mode hit by a remote flush's IPI (exit, INVEPT, TLB refill). */
  tlbFlushIpiTarget: number;
  /** Write-protect or clear the D-bit of one SPTE in a linear range walk (enable logging). */
  wrprotRangePerSpte: number;
  /** kvm_arch_mmu_enable_log_dirty_pt_masked: fixed part per 64-page mask (walk from the root). */
  enableLogDirtyMask: number;
  /** ... and per page in the mask (atomic update of one 4K SPTE). */
  enableLogDirtyPerPage: number;
  /** Scan one 64-bit word of a dirty bitmap (GET / CLEAR). */
  bitmapWordScan: number;
  /** Copy one byte of bitmap to or from userspace. */
  bitmapCopyPerByte: number;
  /** Set one bit in the dirty bitmap (mark_page_dirty_in_slot), its cache line local. */
  markDirtyBitmap: number;
  /** Push one entry on a dirty ring. */
  ringPush: number;
  /** Userspace harvest of one ring entry (read, mark RESET). */
  ringHarvestPerEntry: number;
  /** KVM_RESET_DIRTY_RINGS per entry walked (on top of enableLogDirty* for its mask). */
  ringResetPerEntry: number;
  /** Proposal: claim a ring from a shared pool (atomic on a shared cache line). */
  ringPoolClaim: number;
  /** The CPU appends one GPA to the PML buffer (no exit). */
  pmlLog: number;
  /** Drain one PML entry at a VM exit (`vmx_flush_pml_buffer`), on top of marking it dirty. */
  pmlDrainPerEntry: number;
  /** A system call (ioctl) entry and return. */
  ioctl: number;
  /** Kick one vCPU out of guest mode (IPI and exit), e.g. to flush PML before GET. */
  kickVcpu: number;
  /** synchronize_srcu when a memslot is deleted or moved. */
  srcuSynchronize: number;
  /** Guest TLB miss: two-dimensional page walk ending on a 4K EPT/NPT leaf. */
  tlbMissWalk4k: number;
  /** Guest TLB miss: two-dimensional page walk ending on a 2M or 1G EPT/NPT leaf. */
  tlbMissWalkHuge: number;
  /** Guest TLB miss under shadow paging: a one-dimensional walk of the shadow page table. */
  tlbMissWalkShadow: number;
  /** Shadow paging: a fault's software walk of the guest page tables (FNAME(walk_addr)), on top of slowPageFault. */
  shadowGuestWalk: number;
  /** Shadow MMU / legacy MMU write protection: one rmap head visited (walk_slot_rmaps, kvm_mmu_write_protect_pt_masked). */
  rmapWalkPerGfn: number;
}

/** Where a cost's default comes from (the balloon table has only this). */
export interface CostSource {
  /** What the figure is and where it comes from. */
  source: string;
}

/**
 * How a default was obtained. `measured`: a published figure for the operation
 * itself. `derived`: chosen so that the model reproduces the named published figures
 * (ids of engine/calibration/figures.ts). `estimate`: no figure; an order of magnitude.
 */
export type CostBasis =
  | { kind: 'measured'; figures: readonly string[] }
  | { kind: 'derived'; figures: readonly string[] }
  | { kind: 'estimate' };

/** One entry of the cost table: what the operation is and where its default comes from. */
export interface CostInfo extends CostSource {
  /** One sentence on what the cost covers (the language's hover and docs show it). */
  doc: string;
  basis: CostBasis;
}

export const DEFAULT_COSTS: Readonly<Costs> = Object.freeze({
  vmExit: 350,
  userspaceExit: 5_000,
  fastPageFault: 130,
  permissionFaultArm64: 900,
  slowPageFault: 1_000,
  cacheLineTransfer: 50,
  splitPerSpte: 12,
  splitAllocPageTable: 300,
  zapSpte: 40,
  tlbFlush: 2_000,
  tlbFlushPerVcpu: 150,
  tlbFlushIpiTarget: 1_500,
  wrprotRangePerSpte: 55,
  enableLogDirtyMask: 100,
  enableLogDirtyPerPage: 52,
  bitmapWordScan: 1,
  bitmapCopyPerByte: 0.05,
  markDirtyBitmap: 5,
  ringPush: 15,
  ringHarvestPerEntry: 10,
  ringResetPerEntry: 20,
  ringPoolClaim: 60,
  pmlLog: 2,
  pmlDrainPerEntry: 10,
  ioctl: 1_000,
  kickVcpu: 2_000,
  srcuSynchronize: 1_600_000,
  tlbMissWalk4k: 60,
  tlbMissWalkHuge: 30,
  tlbMissWalkShadow: 25,
  shadowGuestWalk: 400,
  rmapWalkPerGfn: 13,
});

const estimate: CostBasis = { kind: 'estimate' };
const derived = (...figures: string[]): CostBasis => ({ kind: 'derived', figures });

export const COST_INFO: Readonly<Record<keyof Costs, CostInfo>> = Object.freeze({
  vmExit: {
    doc: 'VM exit and re-entry round trip, handled in the kernel.',
    source:
      'with fastPageFault, the per-page time of the first dirty pass after an eager split at 96 vCPUs (Matlack 2022: 0.127 s for 262,144 pages = 0.48 us); consistent with the SVM exit round trip measured at ~1,350 cycles (LKML, Dec 2020)',
    basis: derived('matlack-2022-initially-set-iter2-dirty-after', 'svm-exit-round-trip'),
  },
  userspaceExit: {
    doc: 'Exit all the way to userspace (KVM_RUN returns) and back.',
    source: 'exit to userspace and back through KVM_RUN: a few microseconds (no published figure)',
    basis: estimate,
  },
  fastPageFault: {
    doc: 'fast_page_fault: lockless walk, cmpxchg, mark dirty (on top of vm_exit).',
    source:
      'the rest of the 0.48 us per page of the first dirty pass after an eager split (Matlack 2022) once vmExit is taken out; no lock, no shared cache line when vCPUs write their own memory',
    basis: derived(
      'matlack-2022-initially-set-iter2-dirty-after',
      'matlack-2022-g-iter1-dirty-after',
    ),
  },
  permissionFaultArm64: {
    doc: 'arm64 permission fault relaxed in place (kvm_pgtable_stage2_relax_perms).',
    source:
      'arm64 user_mem_abort relaxing permissions under mmu_lock read; assumed slower than x86 fast_page_fault (no figure)',
    basis: estimate,
  },
  slowPageFault: {
    doc: 'Slow fault under mmu_lock, uncontended: GUP, page-table walk/allocation, make_spte (on top of vm_exit).',
    source:
      'order of a microsecond for kvm_faultin_pfn (GUP), the walk, make_spte and the cmpxchg of one SPTE (no published single-vCPU figure); the many-vCPU time comes from cacheLineTransfer',
    basis: estimate,
  },
  cacheLineTransfer: {
    doc: 'One atomic read-modify-write on a cache line another CPU wrote last (the line moves).',
    source:
      'tens of ns within a socket, over a hundred across sockets; set so that 96 vCPUs faulting on the slow path (read_lock and read_unlock of mmu_lock: 2 atomics on one line each) reproduce the 2.75 s zap-on-fault pass of Matlack 2022 (contention.ts solves the queue)',
    basis: derived(
      'matlack-2022-initially-set-iter2-dirty-before',
      'matlack-2022-g-iter1-dirty-before',
    ),
  },
  splitPerSpte: {
    doc: 'Create one child SPTE when splitting a huge SPTE (make_huge_page_split_spte).',
    source:
      'Matlack 2022 (96 x 1 GiB, 1G HugeTLB = 25.2 M 4K pages): iteration 1 CLEAR with eager split 1.668 s minus the re-arm cost of iteration 3 (1.42 s) = ~0.25 s of splitting = ~10 ns per child SPTE (children are written non-atomically into an unlinked page)',
    basis: derived('matlack-2022-initially-set-iter1-clear-after', 'google-2021-eager-split-1.5tb'),
  },
  splitAllocPageTable: {
    doc: 'Allocate one page-table page for a split.',
    source:
      'one 4 KiB page per split huge SPTE (tdp_mmu_alloc_sp_for_split); Matlack 2022 bounds the GFP_NOWAIT allocation under the lock (4 of 40 runs above 20 us), typically far less',
    basis: estimate,
  },
  zapSpte: {
    doc: 'Zap one leaf SPTE (not counting the TLB flush).',
    source: 'tdp_mmu_zap_leafs per SPTE; small next to the TLB flush it needs (no figure)',
    basis: estimate,
  },
  tlbFlush: {
    doc: 'Remote TLB flush, fixed part: x86 local INVEPT and the wait for acks; arm64 the broadcast TLBI and DSB.',
    source:
      'kvm_flush_remote_tlbs: x86 kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH) with KVM_REQUEST_WAIT; arm64 __kvm_tlb_flush_vmid (TLBI VMALLS12E1IS, DSB ISH), no IPI; order of microseconds (no figure)',
    basis: estimate,
  },
  tlbFlushPerVcpu: {
    doc: 'x86 remote TLB flush: per vCPU in guest mode, the IPI sent and its ack awaited.',
    source:
      'kvm_make_all_cpus_request IPIs only vCPUs in IN_GUEST_MODE (kvm_request_needs_ipi); per target an x2APIC ICR write and the ack (no figure)',
    basis: estimate,
  },
  tlbFlushIpiTarget: {
    doc: 'x86: a vCPU in guest mode hit by a remote flush IPI (exit, INVEPT, TLB refill).',
    source:
      'the target exits, handles KVM_REQ_TLB_FLUSH (kvm_vcpu_flush_tlb_all) and refills its TLB: an exit plus a microsecond or so (no figure)',
    basis: estimate,
  },
  wrprotRangePerSpte: {
    doc: 'Write-protect or clear the D-bit of one SPTE in a range walk.',
    source:
      'Matlack 2022 enable dirty logging with eager split 1.547 s = split (~0.3 s) + write-protect of 25.2 M 4K SPTEs = ~50 ns per SPTE (an atomic cmpxchg each); with the split cost, 1.5 TiB splits in ~27 s against Google ~30 s for 1.5 TB',
    basis: derived('matlack-2022-g-enable-after', 'google-2021-eager-split-1.5tb'),
  },
  enableLogDirtyMask: {
    doc: 'kvm_arch_mmu_enable_log_dirty_pt_masked: fixed part per 64-page mask.',
    source:
      'Matlack 2022 INITIALLY_SET iteration 1 clear 0.0496 s before eager split = 393,216 masks with nothing to split',
    basis: derived('matlack-2022-initially-set-iter1-clear-before'),
  },
  enableLogDirtyPerPage: {
    doc: 'kvm_arch_mmu_enable_log_dirty_pt_masked: per page in the mask.',
    source:
      'Matlack 2022 INITIALLY_SET iteration 3 clear 1.42 s (before: 1.37 s) for 25.2 M present 4K SPTEs = ~52 ns per page after the per-mask part; charged only for 4K SPTEs present',
    basis: derived(
      'matlack-2022-initially-set-iter3-clear-before',
      'matlack-2022-initially-set-iter3-clear-after',
    ),
  },
  bitmapWordScan: {
    doc: 'Scan one 64-bit word of a dirty bitmap (GET / CLEAR).',
    source: 'one 64-bit load and test; cache-resident bitmap',
    basis: estimate,
  },
  bitmapCopyPerByte: {
    doc: 'Copy one byte of bitmap to or from userspace.',
    source: 'copy_to_user / copy_from_user at ~20 GB/s',
    basis: estimate,
  },
  markDirtyBitmap: {
    doc: 'Set one bit in the dirty bitmap (mark_page_dirty_in_slot), its cache line local.',
    source:
      'set_bit_le on the slot bitmap; a line another CPU set a bit in last costs cacheLineTransfer more',
    basis: estimate,
  },
  ringPush: {
    doc: 'Push one entry on a dirty ring.',
    source: 'kvm_dirty_ring_push: two stores and a release store of flags',
    basis: estimate,
  },
  ringHarvestPerEntry: {
    doc: 'Userspace harvest of one ring entry (read, mark RESET).',
    source: 'QEMU kvm_dirty_ring_reap_one per entry (load-acquire, bitmap set, store-release)',
    basis: estimate,
  },
  ringResetPerEntry: {
    doc: 'KVM_RESET_DIRTY_RINGS per entry walked.',
    source: 'kvm_dirty_ring_reset per entry walked, coalescing into masks',
    basis: estimate,
  },
  ringPoolClaim: {
    doc: 'Proposal: claim a ring from a shared pool.',
    source: 'proposal (not KVM): an atomic claim on a shared cache line',
    basis: estimate,
  },
  pmlLog: {
    doc: 'The CPU appends one GPA to the PML buffer (no exit).',
    source: 'hardware append to the 512-entry PML buffer; no VM exit',
    basis: estimate,
  },
  pmlDrainPerEntry: {
    doc: 'Drain one PML entry at a VM exit (vmx_flush_pml_buffer).',
    source: 'vmx_flush_pml_buffer per entry, before kvm_vcpu_mark_page_dirty',
    basis: estimate,
  },
  ioctl: {
    doc: 'A system call (ioctl) entry and return.',
    source: 'system call entry/exit with fd lookup; about a microsecond',
    basis: estimate,
  },
  kickVcpu: {
    doc: 'Kick one vCPU out of guest mode (IPI and exit).',
    source: 'kvm_vcpu_kick: IPI and VM exit on the target vCPU',
    basis: estimate,
  },
  srcuSynchronize: {
    doc: 'synchronize_srcu when a memslot is deleted or moved.',
    source:
      'synchronize_srcu_expedited in kvm_swap_active_memslots, once per memslot change (twice for DELETE/MOVE); Matlack 2022 enable dirty logging without eager split took 0.0017 s for 96 1G SPTEs',
    basis: derived('matlack-2022-g-enable-before'),
  },
  tlbMissWalk4k: {
    doc: 'Guest TLB miss whose two-dimensional walk ends on a 4K EPT/NPT leaf.',
    source:
      'a nested walk takes up to 24 memory references (Bhargava et al., "Accelerating Two-Dimensional Page Walks for Virtualized Systems", ASPLOS 2008); with 4K EPT leaves each guest level walks one more EPT level and the TLB caches 4K translations only; tens of ns with the paging-structure caches warm (no figure for this setup)',
    basis: estimate,
  },
  tlbMissWalkHuge: {
    doc: 'Guest TLB miss whose two-dimensional walk ends on a 2M or 1G EPT/NPT leaf.',
    source:
      'as tlbMissWalk4k with one EPT level fewer per nested walk: about half (no figure for this setup)',
    basis: estimate,
  },
  tlbMissWalkShadow: {
    doc: 'Guest TLB miss under shadow paging: a one-dimensional walk of the shadow page table.',
    source:
      'the hardware walks only the shadow page table KVM built, as natively: 4 references, the cost of a native TLB miss (Bhargava et al., ASPLOS 2008, against up to 24 nested); no figure for this setup',
    basis: estimate,
  },
  shadowGuestWalk: {
    doc: "Shadow paging: a fault's software walk of the guest page tables (FNAME(walk_addr)), on top of slow_page_fault.",
    source:
      'paging_tmpl.h FNAME(walk_addr_generic): four guest PTE reads through kvm_vcpu_read_guest and their A/D updates, then FNAME(fetch) builds the shadow pages; a few hundred ns (no figure)',
    basis: estimate,
  },
  rmapWalkPerGfn: {
    doc: 'Shadow or legacy MMU write protection: one rmap head visited.',
    source:
      'kvm_mmu_slot_remove_write_access walks the rmap head of every gfn at every level under mmu_lock: Zhou 2020, starting dirty logging on a 128 GiB guest with the MMU before the TDP MMU took 460 ms = ~13 ns per 4K gfn; also charged per gfn of a GET/CLEAR mask (kvm_mmu_write_protect_pt_masked)',
    basis: derived('zhou-2020-log-start'),
  },
});

/** Merge overrides onto the defaults, rejecting unknown names and bad values. */
export function resolveCosts(overrides: Partial<Costs> = {}): Costs {
  return resolveTable(DEFAULT_COSTS, overrides, 'cost');
}

/**
 * Merge `overrides` onto a cost table's `defaults`, rejecting names the table does
 * not have (`what` names the table in the message) and values that are not finite
 * numbers of ns >= 0.
 */
export function resolveTable<T extends object>(
  defaults: Readonly<T>,
  overrides: Partial<T>,
  what: string,
): T {
  const table = { ...defaults } as Record<string, number>;
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in defaults)) {
      throw new Error(
        `unknown ${what}: ${name}; known costs are ${Object.keys(defaults).join(', ')}`,
      );
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`cost ${name} must be a finite number of ns >= 0, got ${String(value)}`);
    }
    table[name] = value;
  }
  return table as T;
}
