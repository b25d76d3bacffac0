/**
 * Shared shapes of the KVM model. Names follow KVM's own vocabulary
 * (include/linux/kvm_host.h, arch/x86/kvm/mmu/spte.h) converted to camelCase.
 */

/** A guest frame number: gpa >> 12. Branded so a plain number (a slot-relative page, a byte address) is never passed where a gfn is expected. */
export type Gfn = number & { readonly __brand: 'Gfn' };
/** A host virtual (userspace) address in bytes. */
export type Hva = number & { readonly __brand: 'Hva' };

export const asGfn = (n: number): Gfn => n as Gfn;

/**
 * Page table level of an SPTE, as KVM's `enum pg_level`: order matters (a larger
 * level maps more memory), hence a numeric enum.
 */
export enum SpteLevel {
  PG_LEVEL_4K = 1,
  PG_LEVEL_2M = 2,
  PG_LEVEL_1G = 3,
}

/** 4 KiB pages mapped by one SPTE at each level. */
export const PAGES_PER_LEVEL: Readonly<Record<SpteLevel, number>> = {
  [SpteLevel.PG_LEVEL_4K]: 1,
  [SpteLevel.PG_LEVEL_2M]: 512,
  [SpteLevel.PG_LEVEL_1G]: 512 * 512,
};

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

export type Arch = 'x86_64' | 'arm64';

/**
 * How the host backs a memslot's userspace mapping; it decides the largest host
 * mapping (`host_pfn_mapping_level`): 4K pages, THP (2M), hugetlbfs 2M or 1G.
 */
export type Backing = '4k' | 'thp' | 'hugetlb_2m' | 'hugetlb_1g';

/**
 * What a write fault on a write-protected huge SPTE in a logged slot does when the
 * page was not split eagerly. `in-place`: Linux 6.2+ TDP MMU (`tdp_mmu_split_huge_page`
 * on fault, siblings stay mapped read-only); `zap`: before 6.2, and arm64's
 * break-before-make (the huge SPTE is zapped and every other page faults again).
 */
export type SplitOnFault = 'in-place' | 'zap';

/**
 * How a vCPU's last fault held mmu_lock: not at all (fast_page_fault is lockless),
 * shared (the TDP MMU's read_lock), or exclusive (write_lock, or the spinlock
 * mmu_lock was before the TDP MMU). Indexes per-mode tables, so kept numeric.
 */
export enum MmuLockMode {
  None = 0,
  Read = 1,
  Write = 2,
}

/** The dirty-log mode a VM ends up in, derived from its capabilities. */
export type DirtyLogMode =
  | 'bitmap' // KVM_GET_DIRTY_LOG clears on get
  | 'bitmap-manual' // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, CLEAR_DIRTY_LOG re-protects
  | 'bitmap-manual-initially-set' // ... with KVM_DIRTY_LOG_INITIALLY_SET
  | 'ring' // KVM_CAP_DIRTY_LOG_RING(_ACQ_REL), no bitmap
  | 'ring-with-bitmap'; // arm64: ring plus KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP

/**
 * Proposal (not KVM): where dirty-ring entries go. `per-vcpu` is KVM; `per-vm` is one
 * ring for the whole VM; `pool` is N rings shared by all vCPUs, claimed by a policy.
 */
export type RingTopology =
  | { readonly kind: 'per-vcpu' }
  | { readonly kind: 'per-vm' }
  | { readonly kind: 'pool'; readonly rings: number; readonly select: RingPoolSelect };

/** Proposal (not KVM): how a vCPU picks a ring from a shared pool. */
export type RingPoolSelect = 'round-robin' | 'lru' | 'last-used';

/** Proposal (not KVM): the granularity at which dirty pages are tracked and reported. */
export type DirtyGranularity = '4k' | '2m';

/** The errno names KVM returns from the ioctls the model implements. */
export type Errno =
  'EINVAL' | 'EEXIST' | 'ENOENT' | 'E2BIG' | 'EFAULT' | 'ENXIO' | 'ENOMEM' | 'EINTR';

/** Argument of `vm.setUserMemoryRegion`, after `struct kvm_userspace_memory_region`. */
export interface UserspaceMemoryRegion {
  /** `(asId << 16) | id`. */
  slot: number;
  /** KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY. */
  flags: number;
  /** Guest physical base address in bytes; must be 4 KiB aligned. */
  guestPhysAddr: number;
  /** Size in bytes; a multiple of 4 KiB; 0 deletes the slot. */
  memorySize: number;
  /**
   * Host virtual address of the backing mapping. Optional: the model then uses the
   * existing slot's address, or for a new slot one congruent with the guest address
   * modulo 1 GiB, as a VMM that mmaps hugetlbfs with the right alignment would.
   */
  userspaceAddr?: number;
  /** How the host backs the mapping; defaults to `4k`. */
  backing?: Backing;
}

/** Why a vCPU's KVM_RUN returned to userspace. */
export type VcpuExitReason = 'dirty-ring-full' | 'mmio';

/**
 * What KVM did for one guest access, from cheapest to dearest. A `no-fault` access
 * changed nothing KVM can see; `pml-logged` set a D-bit and wrote a PML entry without
 * a VM exit.
 */
export type AccessOutcome =
  | 'no-fault'
  | 'pml-logged'
  | 'pml-full-exit'
  | 'fast-fault'
  | 'slow-fault'
  | 'split-on-fault'
  | 'zap-on-fault'
  | 'mmio-exit'
  | 'dirty-ring-full';

/** Result of a single `vcpu.read` / `vcpu.write`. */
export interface AccessResult {
  outcome: AccessOutcome;
  /** Simulated vCPU time KVM added to this access, in ns (0 for `no-fault`). */
  costNs: number;
  /**
   * Set when the vCPU returned to userspace. With outcome `dirty-ring-full` the access
   * did not run (the ring was soft-full at entry); with any other outcome it reached
   * KVM, filled the ring, and the guest retries it after the VMM's RESET.
   */
  exit: VcpuExitReason | null;
}

/** A page KVM was asked to mark dirty and dropped (it would WARN); see `markPageDirtyInSlot`. */
export interface LostDirtyEvent {
  gfn: Gfn;
  /** `(asId << 16) | id` of the slot. */
  slot: number;
  /**
   * `no-running-vcpu-in-ring-mode`: KVM's mark_page_dirty_in_slot with a ring, no
   * running vCPU and no bitmap drops the page. `proposal-ring-overflow`: a ring was
   * hard-full when a vCPU pushed (a KVM WARN; the proposals' reserves are sized so
   * that it does not happen, see ring-topology.ts).
   */
  reason: 'no-running-vcpu-in-ring-mode' | 'proposal-ring-overflow';
}
