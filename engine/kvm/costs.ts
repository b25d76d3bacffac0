/**
 * The one table of per-operation costs, in simulated nanoseconds. Each entry has a
 * default and the source the default comes from; every entry can be overridden per
 * run (`new Kvm({ costs: { fastPageFault: 200 } })`) and from the language.
 *
 * Calibration targets (reference/kvm.md, "Published numbers"): Matlack's
 * dirty_log_perf_test table (96 vCPUs, 1 GiB each, 1 GiB HugeTLB) and Google's
 * "1.5 TB memslot takes ~30 s to split eagerly". test/engine/kvm/calibration.test.ts
 * keeps the model near both.
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
  /** Slow fault under mmu_lock: GUP, page-table walk/allocation, make_spte (on top of vmExit). */
  slowPageFault: number;
  /** Extra cost of taking mmu_lock for read, per other vCPU faulting at the same time (rwlock cache-line bouncing). */
  mmuLockReadBounce: number;
  /** Create one child SPTE when splitting a huge SPTE (make_huge_page_split_spte). */
  splitPerSpte: number;
  /** Allocate one page-table page for a split (drop/retake mmu_lock, GFP_KERNEL_ACCOUNT). */
  splitAllocPageTable: number;
  /** Zap one leaf SPTE (not counting the TLB flush). */
  zapSpte: number;
  /** Remote TLB flush: fixed part. */
  tlbFlush: number;
  /** Remote TLB flush: per vCPU kicked (IPI). */
  tlbFlushPerVcpu: number;
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
  /** Set one bit in the dirty bitmap (mark_page_dirty_in_slot). */
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
}

/** Where a cost's default comes from (the balloon table has only this). */
export interface CostSource {
  /** What the figure is and where it comes from. */
  source: string;
}

/** One entry of the cost table: what the operation is and where its default comes from. */
export interface CostInfo extends CostSource {
  /** One sentence on what the cost covers (the language's hover and docs show it). */
  doc: string;
}

export const DEFAULT_COSTS: Readonly<Costs> = Object.freeze({
  vmExit: 350,
  userspaceExit: 5_000,
  fastPageFault: 130,
  permissionFaultArm64: 900,
  slowPageFault: 2_500,
  mmuLockReadBounce: 85,
  splitPerSpte: 12,
  splitAllocPageTable: 300,
  zapSpte: 40,
  tlbFlush: 2_000,
  tlbFlushPerVcpu: 150,
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
});

export const COST_INFO: Readonly<Record<keyof Costs, CostInfo>> = Object.freeze({
  vmExit: {
    doc: 'VM exit and re-entry round trip, handled in the kernel.',
    source:
      'SVM VMRUN->#VMEXIT ~1,350 cycles, whole KVM_RUN ~2,500 cycles (LKML, Dec 2020); ~350 ns leaves room for the fault handler in the 0.48 us/page below',
  },
  userspaceExit: {
    doc: 'Exit all the way to userspace (KVM_RUN returns) and back.',
    source:
      'exit to userspace and back through KVM_RUN, a few microseconds (order of magnitude; no published figure)',
  },
  fastPageFault: {
    doc: 'fast_page_fault: lockless walk, cmpxchg, mark dirty (on top of vm_exit).',
    source:
      'derived: Matlack dlpt iteration 2 dirty memory after eager split 0.127 s / 262,144 pages = 0.48 us per page = vmExit + fastPageFault',
  },
  permissionFaultArm64: {
    doc: 'arm64 permission fault relaxed in place (kvm_pgtable_stage2_relax_perms).',
    source: 'arm64 relax_perms under mmu_lock read; assumed slower than x86 fast_page_fault',
  },
  slowPageFault: {
    doc: 'Slow fault under mmu_lock: GUP, page-table walk/allocation, make_spte (on top of vm_exit).',
    source:
      'derived: Matlack dlpt zap-on-fault 2.75 s / 262,144 pages = 10.5 us per page with 96 vCPUs = vmExit + slowPageFault + 95 x mmuLockReadBounce',
  },
  mmuLockReadBounce: {
    doc: 'Extra cost of taking mmu_lock for read, per other vCPU faulting at the same time.',
    source: 'derived with slowPageFault from the same row (rwlock cache line shared by 96 vCPUs)',
  },
  splitPerSpte: {
    doc: 'Create one child SPTE when splitting a huge SPTE (make_huge_page_split_spte).',
    source:
      'derived: Matlack dlpt (96 x 1 GiB, 1G HugeTLB = 25.2 M 4K pages) INITIALLY_SET iteration 1 clear with eager split 1.668 s minus the re-arm cost of iteration 3 (1.42 s) = ~0.25 s of splitting = ~10 ns per child SPTE (children are written non-atomically into an unlinked page)',
  },
  splitAllocPageTable: {
    doc: 'Allocate one page-table page for a split.',
    source:
      'one 4 KiB page per split huge SPTE (tdp_mmu_alloc_sp_for_split); GFP_NOWAIT allocations under the lock rarely exceed 20 us (Matlack v2 series), typically far less',
  },
  zapSpte: {
    doc: 'Zap one leaf SPTE (not counting the TLB flush).',
    source: 'tdp_mmu_zap_leafs per SPTE; small next to the TLB flush it needs',
  },
  tlbFlush: {
    doc: 'Remote TLB flush: fixed part.',
    source: 'kvm_flush_remote_tlbs: INVEPT or Hyper-V hypercall plus IPIs; order of microseconds',
  },
  tlbFlushPerVcpu: {
    doc: 'Remote TLB flush: per vCPU kicked (IPI).',
    source: 'one IPI per running vCPU kicked by a remote flush',
  },
  wrprotRangePerSpte: {
    doc: 'Write-protect or clear the D-bit of one SPTE in a range walk.',
    source:
      'derived: dlpt enable dirty logging with eager split 1.547 s = split (~0.3 s) + write-protect of 25.2 M 4K SPTEs = ~50 ns per SPTE (an atomic cmpxchg each); with the split cost gives 1.5 TiB in ~27 s against Google ~30 s for 1.5 TB',
  },
  enableLogDirtyMask: {
    doc: 'kvm_arch_mmu_enable_log_dirty_pt_masked: fixed part per 64-page mask.',
    source:
      'derived: dlpt INITIALLY_SET iteration 1 clear 0.0496 s before eager split = 393,216 masks with nothing to split',
  },
  enableLogDirtyPerPage: {
    doc: 'kvm_arch_mmu_enable_log_dirty_pt_masked: per page in the mask.',
    source:
      'derived: dlpt INITIALLY_SET iteration 3 clear 1.42 s (before: 1.37 s) for 25.2 M present 4K SPTEs = ~52 ns per page after the per-mask part; charged only for 4K SPTEs present',
  },
  bitmapWordScan: {
    doc: 'Scan one 64-bit word of a dirty bitmap (GET / CLEAR).',
    source: 'one 64-bit load and test; cache-resident bitmap',
  },
  bitmapCopyPerByte: {
    doc: 'Copy one byte of bitmap to or from userspace.',
    source: 'copy_to_user / copy_from_user at ~20 GB/s',
  },
  markDirtyBitmap: {
    doc: 'Set one bit in the dirty bitmap (mark_page_dirty_in_slot).',
    source: 'set_bit_le on the slot bitmap',
  },
  ringPush: {
    doc: 'Push one entry on a dirty ring.',
    source: 'kvm_dirty_ring_push: two stores and a release store of flags',
  },
  ringHarvestPerEntry: {
    doc: 'Userspace harvest of one ring entry (read, mark RESET).',
    source: 'QEMU kvm_dirty_ring_reap_one per entry (load-acquire, bitmap set, store-release)',
  },
  ringResetPerEntry: {
    doc: 'KVM_RESET_DIRTY_RINGS per entry walked.',
    source: 'kvm_dirty_ring_reset per entry walked, coalescing into masks',
  },
  ringPoolClaim: {
    doc: 'Proposal: claim a ring from a shared pool.',
    source: 'proposal (not KVM): an atomic claim on a shared cache line',
  },
  pmlLog: {
    doc: 'The CPU appends one GPA to the PML buffer (no exit).',
    source: 'hardware append to the 512-entry PML buffer; no VM exit',
  },
  pmlDrainPerEntry: {
    doc: 'Drain one PML entry at a VM exit (vmx_flush_pml_buffer).',
    source: 'vmx_flush_pml_buffer per entry, before kvm_vcpu_mark_page_dirty',
  },
  ioctl: {
    doc: 'A system call (ioctl) entry and return.',
    source: 'system call entry/exit with fd lookup; about a microsecond',
  },
  kickVcpu: {
    doc: 'Kick one vCPU out of guest mode (IPI and exit).',
    source: 'kvm_vcpu_kick: IPI and VM exit on the target vCPU',
  },
  srcuSynchronize: {
    doc: 'synchronize_srcu when a memslot is deleted or moved.',
    source:
      'synchronize_srcu_expedited in kvm_swap_active_memslots, once per memslot change (twice for DELETE/MOVE); derived: dlpt enable dirty logging without eager split 0.0017 s for 96 1G SPTEs',
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
