import type { UserspaceMemoryRegion } from './types.ts';
import type { Vm } from './vm.ts';
import { KvmError } from './errors.ts';
import { Memslot, bitmapWords32 } from './memslot.ts';
import { slotApplyLoggingChange } from './dirty-log.ts';
import { OpCost } from './stats.ts';
import { PAGE_SIZE } from './types.ts';
import {
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_MAX_NR_PAGES,
  KVM_MEM_READONLY,
  KVM_MEM_SLOTS_NUM,
} from './uapi.ts';
import { INTERNAL } from './internal.ts';

/** The kinds of change `kvm_set_memory_region` classifies a call into. */
export type MemslotChange = 'create' | 'delete' | 'move' | 'flags-only' | 'none';

/** Top of the user address space: x86-64 4-level paging (47 bits), arm64 48-bit VA. */
const TASK_SIZE = { x86_64: 2 ** 47, arm64: 2 ** 48 } as const;

/**
 * KVM_SET_USER_MEMORY_REGION (virt/kvm/kvm_main.c `kvm_set_memory_region`), checks
 * in KVM's order, then the commit with its side effects: DELETE and MOVE zap the
 * slot's SPTEs; toggling LOG_DIRTY_PAGES allocates or frees the bitmap and runs the
 * arch's write-protection and splitting. Returns what kind of change it was.
 */
export function setUserMemoryRegion(vm: Vm, region: UserspaceMemoryRegion): MemslotChange {
  const { slot: slotId, flags, guestPhysAddr: gpa, memorySize: size } = region;
  const validFlags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
  if (!Number.isInteger(flags) || (flags & ~validFlags) !== 0 || flags < 0) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: unknown flags 0x${flags.toString(16)}; valid are KVM_MEM_LOG_DIRTY_PAGES (1) and KVM_MEM_READONLY (2)`,
    );
  }
  const asId = slotId >>> 16;
  const id = slotId & 0xffff;
  if (id >= vm.userMemSlots) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: slot id ${id} is not below KVM_USER_MEM_SLOTS (${vm.userMemSlots})`,
    );
  }
  if (asId >= vm.nrAddressSpaces || id >= KVM_MEM_SLOTS_NUM) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: address space ${asId} does not exist (this VM has ${vm.nrAddressSpaces})`,
    );
  }
  if (size % PAGE_SIZE !== 0 || size < 0) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: memory_size ${size} is not a multiple of 4096`,
    );
  }
  if (gpa % PAGE_SIZE !== 0 || gpa < 0) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: guest_phys_addr 0x${gpa.toString(16)} is not 4 KiB aligned`,
    );
  }
  const existing = vm.memslot(slotId);
  const uaddr =
    region.userspaceAddr ?? existing?.userspaceAddr ?? vm[INTERNAL].defaultUserspaceAddr(gpa);
  if (uaddr % PAGE_SIZE !== 0 || uaddr < 0) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: userspace_addr 0x${uaddr.toString(16)} is not 4 KiB aligned`,
    );
  }
  if (uaddr + size > TASK_SIZE[vm.arch]) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: userspace range ends past the user address space (access_ok fails)`,
    );
  }
  if (gpa + size > 2 ** 64) {
    throw new KvmError('EINVAL', `KVM_SET_USER_MEMORY_REGION: guest_phys_addr + memory_size wraps`);
  }
  const npages = size / PAGE_SIZE;
  if (npages > KVM_MEM_MAX_NR_PAGES) {
    throw new KvmError(
      'EINVAL',
      `KVM_SET_USER_MEMORY_REGION: ${npages} pages exceed KVM_MEM_MAX_NR_PAGES (${KVM_MEM_MAX_NR_PAGES}); split it into several slots`,
    );
  }
  const baseGfn = gpa / PAGE_SIZE;
  const backing = region.backing ?? existing?.backing ?? '4k';

  let change: MemslotChange;
  if (size === 0) {
    if (!existing) {
      throw new KvmError(
        'EINVAL',
        `KVM_SET_USER_MEMORY_REGION: cannot delete slot ${slotId}: it does not exist`,
      );
    }
    change = 'delete';
  } else if (!existing) {
    change = 'create';
  } else {
    if (uaddr !== existing.userspaceAddr || npages !== existing.npages) {
      throw new KvmError(
        'EINVAL',
        `KVM_SET_USER_MEMORY_REGION: slot ${slotId} exists; its size and userspace_addr cannot change (delete it and create it again)`,
      );
    }
    if (((flags ^ existing.flags) & KVM_MEM_READONLY) !== 0) {
      throw new KvmError(
        'EINVAL',
        `KVM_SET_USER_MEMORY_REGION: KVM_MEM_READONLY cannot be toggled on existing slot ${slotId}`,
      );
    }
    if (baseGfn !== existing.baseGfn) change = 'move';
    else if (flags !== existing.flags) change = 'flags-only';
    else return 'none';
  }

  if (change === 'create' || change === 'move') {
    const other = vm[INTERNAL].overlappingSlot(asId, baseGfn, npages, slotId);
    if (other) {
      throw new KvmError(
        'EEXIST',
        `KVM_SET_USER_MEMORY_REGION: gfns [0x${baseGfn.toString(16)}, 0x${(baseGfn + npages).toString(16)}) overlap slot ${other.slotId} at [0x${other.baseGfn.toString(16)}, 0x${other.endGfn.toString(16)})`,
      );
    }
    vm[INTERNAL].checkGuestPhysRange(baseGfn + npages);
  }

  const cost = new OpCost();
  // kvm_swap_active_memslots: every change publishes a new memslot array and waits
  // for SRCU readers (DELETE and MOVE publish twice, see zapSlot).
  cost.add(vm.costs.ioctl + vm.costs.srcuSynchronize);
  switch (change) {
    case 'delete': {
      const old = existing as Memslot;
      zapSlot(vm, old, cost);
      vm[INTERNAL].removeMemslot(old);
      if (old.dirtyLogging) vm[INTERNAL].updateDirtyLoggingCount(-1);
      break;
    }
    case 'move': {
      const old = existing as Memslot;
      zapSlot(vm, old, cost);
      vm[INTERNAL].removeMemslot(old);
      const moved = new Memslot({
        asId,
        id,
        baseGfn,
        npages,
        userspaceAddr: uaddr,
        backing,
        flags,
      });
      // A MOVE of a logged slot carries the old bitmap over as-is; a MOVE that also
      // clears LOG_DIRTY_PAGES drops it (kvm_prepare_memory_region).
      moved.dirtyBitmap = moved.dirtyLogging ? old.dirtyBitmap : null;
      if (moved.dirtyBitmap) moved.dirtyBitmapOnesFrom = old.dirtyBitmapOnesFrom;
      if (moved.dirtyLogging && !moved.dirtyBitmap) allocDirtyBitmap(vm, moved);
      vm[INTERNAL].insertMemslot(moved);
      if (moved.dirtyLogging !== old.dirtyLogging)
        vm[INTERNAL].updateDirtyLoggingCount(moved.dirtyLogging ? 1 : -1);
      break;
    }
    case 'create': {
      const slot = new Memslot({ asId, id, baseGfn, npages, userspaceAddr: uaddr, backing, flags });
      if (slot.dirtyLogging) allocDirtyBitmap(vm, slot);
      vm[INTERNAL].insertMemslot(slot);
      if (slot.dirtyLogging) vm[INTERNAL].updateDirtyLoggingCount(1);
      break;
    }
    case 'flags-only': {
      const slot = existing as Memslot;
      const wasLogging = slot.dirtyLogging;
      slot.flags = flags;
      if (slot.dirtyLogging !== wasLogging) {
        // Bits do not survive an off/on cycle: a fresh bitmap each time logging starts.
        if (slot.dirtyLogging) allocDirtyBitmap(vm, slot);
        else {
          slot.dirtyBitmap = null;
          slot.dirtyBitmapOnesFrom = slot.npages;
        }
        vm[INTERNAL].updateDirtyLoggingCount(slot.dirtyLogging ? 1 : -1);
        slotApplyLoggingChange(vm, slot, cost);
      }
      break;
    }
  }
  vm[INTERNAL].finishIoctl(cost);
  return change;
}

/**
 * `kvm_alloc_dirty_bitmap` when `kvm_use_dirty_bitmap` for `slot`: zeroed, or all ones
 * with manual protect + INITIALLY_SET ("every page dirty"), held as the slot's
 * all-set suffix from page 0 (Memslot.dirtyBitmapOnesFrom) rather than written. Null
 * in ring-only mode.
 */
function allocDirtyBitmap(vm: Vm, slot: Memslot): void {
  slot.dirtyBitmap = vm.useDirtyBitmap ? new Uint32Array(bitmapWords32(slot.npages)) : null;
  if (slot.bitmapHasZeroLines) slot.bitmapLineZero.fill(0);
  slot.bitmapHasZeroLines = false;
  slot.dirtyBitmapOnesFrom =
    slot.dirtyBitmap && vm.manualProtect & KVM_DIRTY_LOG_INITIALLY_SET ? 0 : slot.npages;
}

/** DELETE/MOVE: the slot is marked invalid, SRCU synchronises, its SPTEs are zapped. */
function zapSlot(vm: Vm, slot: Memslot, cost: OpCost): void {
  cost.add(vm.costs.srcuSynchronize);
  const zapped = slot.tdp.zapAll();
  cost.underWriteLock(zapped.walked * vm.costs.zapSpte);
  if (zapped.flush) vm[INTERNAL].flushRemoteTlbs(cost);
}
