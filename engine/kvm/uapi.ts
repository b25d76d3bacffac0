/**
 * Constants of KVM's UAPI (include/uapi/linux/kvm.h) and kernel limits the model
 * enforces. Numbers are KVM's, so a kernel engineer can grep for them.
 */

/** struct kvm_userspace_memory_region flags. */
export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
export const KVM_MEM_READONLY = 1 << 1;
export const KVM_MEM_GUEST_MEMFD = 1 << 2;

/** include/linux/kvm_host.h: KVM_MEM_SLOTS_NUM = SHRT_MAX. */
export const KVM_MEM_SLOTS_NUM = 32767;
/** KVM_MEM_MAX_NR_PAGES = (1UL << 31) - 1. */
export const KVM_MEM_MAX_NR_PAGES = 2 ** 31 - 1;
/** Internal slots: x86 has 3 (TSS, identity map, APIC access page); arm64 none. */
export const KVM_INTERNAL_MEM_SLOTS = { x86_64: 3, arm64: 0 } as const;

/** KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 args[0] bits. */
export const KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1 << 0;
export const KVM_DIRTY_LOG_INITIALLY_SET = 1 << 1;
export const KVM_DIRTY_LOG_MANUAL_CAPS =
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;

/** struct kvm_dirty_gfn flags (include/uapi/linux/kvm.h). */
export const KVM_DIRTY_GFN_F_DIRTY = 1 << 0;
export const KVM_DIRTY_GFN_F_RESET = 1 << 1;

/** sizeof(struct kvm_dirty_gfn). */
export const KVM_DIRTY_GFN_SIZE = 16;
/** virt/kvm/dirty_ring.c: KVM_DIRTY_RING_RSVD_ENTRIES. */
export const KVM_DIRTY_RING_RSVD_ENTRIES = 64;
/** KVM_DIRTY_RING_MAX_ENTRIES: 65536 entries, 1 MiB. */
export const KVM_DIRTY_RING_MAX_ENTRIES = 65536;

/** arch/x86/kvm/vmx/vmx.h: PML_LOG_NR_ENTRIES. */
export const PML_LOG_NR_ENTRIES = 512;

/** KVM_EXIT_DIRTY_RING_FULL. */
export const KVM_EXIT_DIRTY_RING_FULL = 31;

/**
 * Capabilities the model implements, with KVM's numbers. Use with `vm.enableCap`
 * and `kvm.checkExtension`.
 */
export enum Cap {
  ManualDirtyLogProtect2 = 168,
  DirtyLogRing = 192,
  DirtyLogRingAcqRel = 223,
  DirtyLogRingWithBitmap = 225,
  ArmEagerSplitChunkSize = 228,
  ArmSupportedBlockSizes = 229,
  NrMemslots = 10,
  MultiAddressSpace = 118,
}

/** Block sizes arm64 advertises with a 4K granule (KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES). */
export const ARM64_SUPPORTED_BLOCK_SIZES = [4096, 2 * 1024 * 1024, 1024 * 1024 * 1024] as const;

/** `(asId << 16) | id`, the slot field of the UAPI. */
export function makeSlotId(asId: number, id: number): number {
  return ((asId << 16) | id) >>> 0;
}
