import type { Memslot } from './memslot.ts';
import type { OpCost } from './stats.ts';
import type { LostDirtyEvent } from './types.ts';
import type { Vcpu } from './vcpu.ts';

/**
 * The key of a Vm's internal entry points: what KVM's own code calls and the UAPI
 * does not offer (kvm_flush_remote_tlbs, the memslot list, ioctl bookkeeping). Only
 * engine/kvm/ imports it; an ESLint rule keeps the VMM, the guest and the
 * simulation to the UAPI.
 */
export const INTERNAL: unique symbol = Symbol('kvm-internal');

/** What `vm[INTERNAL]` offers to the ioctl implementations in engine/kvm/. */
export interface VmInternal {
  /** KVM dropped the write of `rel` in `slot` from the dirty log: count and record it. */
  recordLostDirty(slot: Memslot, rel: number, reason: LostDirtyEvent['reason']): void;
  /** kvm_flush_remote_tlbs: charged to `cost`. */
  flushRemoteTlbs(cost: OpCost): void;
  /**
   * A remote TLB flush issued outside an ioctl, by faulting `vcpu` or (null) a host
   * thread such as an MMU notifier; returns its cost to the issuer in ns.
   */
  flushRemoteTlbsFromVcpu(vcpu: Vcpu | null): number;
  /** kvm_arch_sync_dirty_log: x86 with PML kicks every vCPU to drain its buffer. */
  syncDirtyLog(cost: OpCost): void;
  /** Close an ioctl: add its lock time to the stats and publish its cost as `lastIoctl`. */
  finishIoctl(cost: OpCost): void;
  /** The userspace address a VMM would map guest RAM at, for a region given without one. */
  defaultUserspaceAddr(gpa: number): number;
  /** The slot in `asId` overlapping [baseGfn, baseGfn + npages), other than `except`. */
  overlappingSlot(asId: number, baseGfn: number, npages: number, except: number): Memslot | null;
  /** x86 kvm_mmu_max_gfn (EINVAL) / arm64 IPA limit (EFAULT) for a slot ending at `endGfn`. */
  checkGuestPhysRange(endGfn: number): void;
  insertMemslot(slot: Memslot): void;
  removeMemslot(slot: Memslot): void;
  /** Commit-time bookkeeping of `nr_memslots_dirty_logging` (PML on at 0 -> 1). */
  updateDirtyLoggingCount(delta: number): void;
}
