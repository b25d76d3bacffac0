/**
 * A table of invalid calls, each with the errno KVM returns (virt/kvm/kvm_main.c,
 * virt/kvm/dirty_ring.c, api.rst). Every row asserts KvmError, the exact errno, and that the message names
 * what was wrong; most rows carry a passing twin, the same call made valid (Langium).
 * A failed ioctl must also leave the VM as it was.
 */
import { describe, expect, it } from 'vitest';
import {
  ARM64_SUPPORTED_BLOCK_SIZES,
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_MAX_NR_PAGES,
  KVM_MEM_READONLY,
  PAGE_SIZE,
  makeSlotId,
} from '../../../engine/index.ts';
import type { Arch, Errno, Vm } from '../../../engine/index.ts';
import { GiB, KiB, MiB, expectKvmError, makeVm, region } from '../../helpers/kvm.ts';
import type { MakeVmOptions } from '../../helpers/kvm.ts';

const LOG = KVM_MEM_LOG_DIRTY_PAGES;
const RO = KVM_MEM_READONLY;
const PROTECT = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
const INITIALLY_SET = KVM_DIRTY_LOG_INITIALLY_SET;
/** A ring size every configuration accepts (4096 entries, the size api.rst recommends). */
const RING_64K = 64 * KiB;
/** Pages of the logged slot the GET/CLEAR rows use: not a multiple of 64 on purpose. */
const CLEAR_NPAGES = 200;
/** ALIGN(200, 64) / 8: the bitmap bytes a whole-slot CLEAR reads. */
const CLEAR_BYTES = 32;

/** A row: a VM built for `arch`, `setup` run on it, then `call` must fail with `errno`. */
interface ErrnoRow {
  name: string;
  arch: Arch;
  /** Module parameters and arm64 IPA size of the VM, beyond the arch. */
  vm?: Omit<MakeVmOptions, 'arch'>;
  setup?: (vm: Vm) => void;
  call: (vm: Vm) => unknown;
  errno: Errno;
  /** What the message must say (the bad value or the check that failed). */
  message: RegExp;
  /** The same call made valid: it succeeds (and returns `returns`, when given). */
  twin?: { name: string; setup?: (vm: Vm) => void; call: (vm: Vm) => unknown; returns?: unknown };
}

/** The VM state an ioctl could change, to check that a failed one changed nothing. */
function fingerprint(vm: Vm): unknown {
  return {
    slots: vm
      .memslots()
      .map((s) => [s.slotId, s.baseGfn, s.npages, s.flags, s.userspaceAddr, s.dirtyBitmap?.join()]),
    manualProtect: vm.manualProtect,
    dirtyRingSize: vm.dirtyRingSize,
    dirtyRingWithBitmap: vm.dirtyRingWithBitmap,
    eagerSplitChunkSize: vm.eagerSplitChunkSize,
    vcpus: vm.vcpus.map((v) => v.id),
  };
}

function runTable(rows: readonly ErrnoRow[]): void {
  // Tuples with '%s' rather than '$name': vitest quotes and truncates '$name' values.
  const failing = rows.map((row) => [row.name, row] as const);
  it.each(failing)('%s', (_name, { arch, vm: options, setup, call, errno, message }) => {
    const vm = makeVm({ arch, ...options });
    setup?.(vm);
    const before = fingerprint(vm);
    expectKvmError(() => call(vm), errno, message);
    expect(fingerprint(vm)).toEqual(before);
  });
  const twins = rows.flatMap((row) => (row.twin ? [[row.twin.name, row] as const] : []));
  if (twins.length === 0) return;
  it.each(twins)('%s', (_name, row) => {
    const twin = row.twin as NonNullable<ErrnoRow['twin']>;
    const vm = makeVm({ arch: row.arch, ...row.vm });
    (twin.setup ?? row.setup)?.(vm);
    const result = twin.call(vm);
    if ('returns' in twin) expect(result).toEqual(twin.returns);
  });
}

// ---- setups shared by several rows ----

/** Slot 0: 2 MiB at gfn 0. */
const slot0 = (vm: Vm, flags = 0): void => {
  vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 512, flags }));
};
/** Manual protect on, and a logged slot 0 of CLEAR_NPAGES pages. */
const manualLoggedSlot = (vm: Vm): void => {
  vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT);
  vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: CLEAR_NPAGES, flags: LOG }));
};
/** Ring-only mode (no bitmap) with a logged slot 0. */
const ringOnlyLoggedSlot = (vm: Vm): void => {
  vm.enableCap(vm.arch === 'arm64' ? Cap.DirtyLogRingAcqRel : Cap.DirtyLogRing, RING_64K);
  vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: CLEAR_NPAGES, flags: LOG }));
};
const clear = (vm: Vm, slot: number, first: number, num: number, bytes = CLEAR_BYTES): void =>
  vm.clearDirtyLog(slot, first, num, new Uint8Array(bytes));

describe('KVM_SET_USER_MEMORY_REGION', () => {
  const MAX_GPA_X86 = 2 ** 52;
  const IPA_40 = 2 ** 40;
  runTable([
    {
      name: 'rejects an unknown flag bit (1 << 3) with EINVAL',
      arch: 'x86_64',
      call: (vm) => vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: 1 << 3 })),
      errno: 'EINVAL',
      message: /unknown flags 0x8/,
      twin: {
        name: 'accepts LOG_DIRTY_PAGES | READONLY, the flags the v1 ioctl knows',
        call: (vm) => vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: LOG | RO })),
        returns: 'create',
      },
    },
    {
      name: 'rejects KVM_MEM_GUEST_MEMFD on a VM without private memory with EINVAL',
      arch: 'x86_64',
      call: (vm) =>
        vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: KVM_MEM_GUEST_MEMFD })),
      errno: 'EINVAL',
      message: /unknown flags 0x4/,
    },
    {
      name: 'rejects LOG_DIRTY_PAGES | GUEST_MEMFD with EINVAL',
      arch: 'arm64',
      call: (vm) =>
        vm.setUserMemoryRegion(
          region({ baseGfn: 0, npages: 512, flags: LOG | KVM_MEM_GUEST_MEMFD }),
        ),
      errno: 'EINVAL',
      message: /unknown flags 0x5/,
    },
    {
      name: 'rejects x86 slot id 32764 (KVM_USER_MEM_SLOTS: 3 internal slots) with EINVAL',
      arch: 'x86_64',
      call: (vm) => vm.setUserMemoryRegion(region({ slot: 32764, baseGfn: 0, npages: 1 })),
      errno: 'EINVAL',
      message: /slot id 32764 is not below KVM_USER_MEM_SLOTS \(32764\)/,
      twin: {
        name: 'accepts x86 slot id 32763, the last user slot',
        call: (vm) => vm.setUserMemoryRegion(region({ slot: 32763, baseGfn: 0, npages: 1 })),
        returns: 'create',
      },
    },
    {
      name: 'rejects arm64 slot id 32767 (KVM_USER_MEM_SLOTS: no internal slots) with EINVAL',
      arch: 'arm64',
      call: (vm) => vm.setUserMemoryRegion(region({ slot: 32767, baseGfn: 0, npages: 1 })),
      errno: 'EINVAL',
      message: /slot id 32767 is not below KVM_USER_MEM_SLOTS \(32767\)/,
      twin: {
        name: 'accepts arm64 slot id 32766, which x86 would reject',
        call: (vm) => vm.setUserMemoryRegion(region({ slot: 32766, baseGfn: 0, npages: 1 })),
        returns: 'create',
      },
    },
    {
      name: 'rejects x86 address space 2 (x86 has normal + SMM) with EINVAL',
      arch: 'x86_64',
      call: (vm) =>
        vm.setUserMemoryRegion(region({ slot: makeSlotId(2, 0), baseGfn: 0, npages: 1 })),
      errno: 'EINVAL',
      message: /address space 2 does not exist \(this VM has 2\)/,
      twin: {
        name: 'accepts x86 address space 1 (SMM)',
        call: (vm) =>
          vm.setUserMemoryRegion(region({ slot: makeSlotId(1, 0), baseGfn: 0, npages: 1 })),
        returns: 'create',
      },
    },
    {
      name: 'rejects arm64 address space 1 (arm64 has one) with EINVAL',
      arch: 'arm64',
      call: (vm) =>
        vm.setUserMemoryRegion(region({ slot: makeSlotId(1, 0), baseGfn: 0, npages: 1 })),
      errno: 'EINVAL',
      message: /address space 1 does not exist \(this VM has 1\)/,
    },
    {
      name: 'rejects a memory_size that is not a multiple of 4096 with EINVAL',
      arch: 'x86_64',
      call: (vm) =>
        vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 2 * MiB + 1 }),
      errno: 'EINVAL',
      message: /memory_size 2097153 is not a multiple of 4096/,
      twin: {
        name: 'accepts a memory_size that is a multiple of 4096',
        call: (vm) =>
          vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 2 * MiB }),
        returns: 'create',
      },
    },
    {
      name: 'rejects a guest_phys_addr that is not 4 KiB aligned with EINVAL',
      arch: 'x86_64',
      call: (vm) =>
        vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0x1800, memorySize: 8192 }),
      errno: 'EINVAL',
      message: /guest_phys_addr 0x1800 is not 4 KiB aligned/,
      twin: {
        name: 'accepts a 4 KiB aligned guest_phys_addr',
        call: (vm) =>
          vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0x2000, memorySize: 8192 }),
        returns: 'create',
      },
    },
    {
      name: 'rejects a userspace_addr that is not 4 KiB aligned with EINVAL',
      arch: 'arm64',
      call: (vm) =>
        vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 2, userspaceAddr: 2 ** 40 + 0x800 })),
      errno: 'EINVAL',
      message: /userspace_addr 0x10000000800 is not 4 KiB aligned/,
      twin: {
        name: 'accepts a 4 KiB aligned userspace_addr',
        call: (vm) =>
          vm.setUserMemoryRegion(
            region({ baseGfn: 0, npages: 2, userspaceAddr: 2 ** 40 + 0x1000 }),
          ),
        returns: 'create',
      },
    },
    {
      name: 'rejects a userspace range past the user address space (access_ok) with EINVAL',
      arch: 'x86_64',
      call: (vm) =>
        vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, userspaceAddr: 2 ** 47 - MiB })),
      errno: 'EINVAL',
      message: /access_ok/,
      twin: {
        name: 'accepts a userspace range inside the user address space',
        call: (vm) =>
          vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, userspaceAddr: 2 ** 46 })),
        returns: 'create',
      },
    },
    {
      name: 'rejects guest_phys_addr + memory_size that wraps past 2^64 with EINVAL',
      arch: 'x86_64',
      call: (vm) =>
        vm.setUserMemoryRegion({
          slot: 0,
          flags: 0,
          guestPhysAddr: 2 ** 64 - PAGE_SIZE,
          memorySize: 2 * PAGE_SIZE,
        }),
      errno: 'EINVAL',
      message: /wraps/,
    },
    {
      name: 'rejects npages > KVM_MEM_MAX_NR_PAGES (2^31 - 1) with EINVAL',
      arch: 'x86_64',
      call: (vm) => vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 2 ** 31 })),
      errno: 'EINVAL',
      message: /2147483648 pages exceed KVM_MEM_MAX_NR_PAGES \(2147483647\)/,
      twin: {
        name: 'accepts a slot of exactly KVM_MEM_MAX_NR_PAGES pages',
        call: (vm) => vm.setUserMemoryRegion(region({ baseGfn: 0, npages: KVM_MEM_MAX_NR_PAGES })),
        returns: 'create',
      },
    },
    {
      name: 'rejects deleting (size 0) a slot that does not exist with EINVAL',
      arch: 'x86_64',
      setup: (vm) => slot0(vm),
      call: (vm) => vm.setUserMemoryRegion(region({ slot: 3, baseGfn: 0, npages: 0 })),
      errno: 'EINVAL',
      message: /cannot delete slot 3: it does not exist/,
      twin: {
        name: 'deletes a slot that exists',
        call: (vm) => vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 0 })),
        returns: 'delete',
      },
    },
    {
      name: 'rejects changing the size of an existing slot with EINVAL',
      arch: 'x86_64',
      setup: (vm) => slot0(vm),
      call: (vm) => vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 1024 })),
      errno: 'EINVAL',
      message: /slot 0 exists; its size and userspace_addr cannot change/,
      twin: {
        name: 'returns none (a no-op, not an error) for identical parameters',
        call: (vm) => vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 512 })),
        returns: 'none',
      },
    },
    {
      name: 'rejects changing the userspace_addr of an existing slot with EINVAL',
      arch: 'arm64',
      setup: (vm) =>
        vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, userspaceAddr: 2 ** 40 })),
      call: (vm) =>
        vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, userspaceAddr: 2 ** 41 })),
      errno: 'EINVAL',
      message: /size and userspace_addr cannot change/,
      twin: {
        name: 'accepts a flags-only change that keeps the userspace_addr',
        call: (vm) =>
          vm.setUserMemoryRegion(
            region({ baseGfn: 0, npages: 512, userspaceAddr: 2 ** 40, flags: LOG }),
          ),
        returns: 'flags-only',
      },
    },
    {
      name: 'rejects turning KVM_MEM_READONLY on for an existing slot with EINVAL',
      arch: 'x86_64',
      setup: (vm) => slot0(vm),
      call: (vm) => slot0(vm, RO),
      errno: 'EINVAL',
      message: /KVM_MEM_READONLY cannot be toggled on existing slot 0/,
    },
    {
      name: 'rejects turning KVM_MEM_READONLY off for an existing slot with EINVAL',
      arch: 'arm64',
      setup: (vm) => slot0(vm, RO),
      call: (vm) => slot0(vm, LOG),
      errno: 'EINVAL',
      message: /KVM_MEM_READONLY cannot be toggled/,
      twin: {
        name: 'accepts LOG_DIRTY_PAGES on a READONLY slot when READONLY stays set',
        call: (vm) =>
          vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 512, flags: RO | LOG })),
        returns: 'flags-only',
      },
    },
    {
      name: 'rejects creating a slot that overlaps another in the same address space with EEXIST',
      arch: 'x86_64',
      setup: (vm) => slot0(vm),
      call: (vm) => vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 256, npages: 512 })),
      errno: 'EEXIST',
      message: /gfns \[0x100, 0x300\) overlap slot 0 at \[0x0, 0x200\)/,
      twin: {
        name: 'accepts the same range in another address space (SMM): not EEXIST',
        call: (vm) =>
          vm.setUserMemoryRegion(region({ slot: makeSlotId(1, 1), baseGfn: 256, npages: 512 })),
        returns: 'create',
      },
    },
    {
      name: 'rejects a slot that overlaps another inside address space 1 with EEXIST',
      arch: 'x86_64',
      setup: (vm) =>
        vm.setUserMemoryRegion(region({ slot: makeSlotId(1, 0), baseGfn: 0, npages: 512 })),
      call: (vm) =>
        vm.setUserMemoryRegion(region({ slot: makeSlotId(1, 1), baseGfn: 511, npages: 512 })),
      errno: 'EEXIST',
      message: /overlap slot 65536/,
      twin: {
        name: 'accepts that range in address space 0 while address space 1 uses it',
        call: (vm) => vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 511, npages: 512 })),
        returns: 'create',
      },
    },
    {
      name: 'rejects moving a slot onto another slot with EEXIST',
      arch: 'arm64',
      setup: (vm) => {
        slot0(vm);
        vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 1024, npages: 512 }));
      },
      call: (vm) => vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 256, npages: 512 })),
      errno: 'EEXIST',
      message: /overlap slot 0/,
      twin: {
        name: 'moves a slot next to another slot',
        call: (vm) => vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 512, npages: 512 })),
        returns: 'move',
      },
    },
    {
      name: 'rejects an x86 slot ending past kvm_mmu_max_gfn with EINVAL',
      arch: 'x86_64',
      call: (vm) =>
        vm.setUserMemoryRegion({
          slot: 0,
          flags: 0,
          guestPhysAddr: MAX_GPA_X86 - PAGE_SIZE,
          memorySize: 2 * PAGE_SIZE,
        }),
      errno: 'EINVAL',
      message: /beyond kvm_mmu_max_gfn/,
      twin: {
        name: 'accepts an x86 slot ending exactly at kvm_mmu_max_gfn + 1',
        call: (vm) =>
          vm.setUserMemoryRegion({
            slot: 0,
            flags: 0,
            guestPhysAddr: MAX_GPA_X86 - 2 * PAGE_SIZE,
            memorySize: 2 * PAGE_SIZE,
          }),
        returns: 'create',
      },
    },
    {
      name: 'rejects moving an x86 slot past kvm_mmu_max_gfn with EINVAL',
      arch: 'x86_64',
      setup: (vm) => slot0(vm),
      call: (vm) =>
        vm.setUserMemoryRegion({
          slot: 0,
          flags: 0,
          guestPhysAddr: MAX_GPA_X86 - 2 * MiB + PAGE_SIZE,
          memorySize: 2 * MiB,
        }),
      errno: 'EINVAL',
      message: /beyond kvm_mmu_max_gfn/,
      twin: {
        name: 'moves an x86 slot to the top of the guest physical address space',
        call: (vm) =>
          vm.setUserMemoryRegion({
            slot: 0,
            flags: 0,
            guestPhysAddr: MAX_GPA_X86 - 2 * MiB,
            memorySize: 2 * MiB,
          }),
        returns: 'move',
      },
    },
    {
      name: 'rejects an arm64 slot ending past the 40-bit IPA space with EFAULT',
      arch: 'arm64',
      vm: { ipaBits: 40 },
      call: (vm) =>
        vm.setUserMemoryRegion({
          slot: 0,
          flags: 0,
          guestPhysAddr: IPA_40 - PAGE_SIZE,
          memorySize: 2 * PAGE_SIZE,
        }),
      errno: 'EFAULT',
      message: /40-bit IPA space/,
      twin: {
        name: 'accepts an arm64 slot ending exactly at the IPA limit',
        call: (vm) =>
          vm.setUserMemoryRegion({
            slot: 0,
            flags: 0,
            guestPhysAddr: IPA_40 - 2 * PAGE_SIZE,
            memorySize: 2 * PAGE_SIZE,
          }),
        returns: 'create',
      },
    },
    {
      name: 'rejects moving an arm64 slot past the IPA space with EFAULT',
      arch: 'arm64',
      vm: { ipaBits: 40 },
      setup: (vm) => slot0(vm),
      call: (vm) =>
        vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: IPA_40, memorySize: 2 * MiB }),
      errno: 'EFAULT',
      message: /IPA space/,
      twin: {
        name: 'moves an arm64 slot to the top of the 40-bit IPA space',
        call: (vm) =>
          vm.setUserMemoryRegion({
            slot: 0,
            flags: 0,
            guestPhysAddr: IPA_40 - 2 * MiB,
            memorySize: 2 * MiB,
          }),
        returns: 'move',
      },
    },
  ]);
});

describe('KVM_GET_DIRTY_LOG', () => {
  runTable([
    {
      name: 'returns ENXIO in ring-only mode (x86 ring, no bitmap)',
      arch: 'x86_64',
      setup: ringOnlyLoggedSlot,
      call: (vm) => vm.getDirtyLog(0),
      errno: 'ENXIO',
      message: /dirty ring without a bitmap/,
    },
    {
      name: 'returns ENXIO in ring-only mode before checking the slot number',
      arch: 'arm64',
      setup: ringOnlyLoggedSlot,
      call: (vm) => vm.getDirtyLog(makeSlotId(5, 0)),
      errno: 'ENXIO',
      message: /dirty ring without a bitmap/,
      twin: {
        name: 'returns the bitmap when the arm64 ring has KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP',
        setup: (vm) => {
          vm.enableCap(Cap.DirtyLogRingAcqRel, RING_64K);
          vm.enableCap(Cap.DirtyLogRingWithBitmap);
          vm.setUserMemoryRegion(region({ baseGfn: 0, npages: CLEAR_NPAGES, flags: LOG }));
        },
        call: (vm) => vm.getDirtyLog(0).byteLength,
        returns: CLEAR_BYTES,
      },
    },
    {
      name: 'rejects an address space the VM does not have with EINVAL',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => vm.getDirtyLog(makeSlotId(2, 0)),
      errno: 'EINVAL',
      message: /slot 131072 is out of range/,
      twin: {
        name: 'reads the log of a logged slot',
        call: (vm) => vm.getDirtyLog(0).byteLength,
        returns: CLEAR_BYTES,
      },
    },
    {
      name: 'rejects a slot id >= KVM_USER_MEM_SLOTS with EINVAL',
      arch: 'x86_64',
      call: (vm) => vm.getDirtyLog(32764),
      errno: 'EINVAL',
      message: /slot 32764 is out of range/,
    },
    {
      name: 'returns ENOENT for a slot that does not exist',
      arch: 'arm64',
      setup: manualLoggedSlot,
      call: (vm) => vm.getDirtyLog(1),
      errno: 'ENOENT',
      message: /slot 1 does not exist/,
    },
    {
      name: 'returns EFAULT when the user buffer is shorter than ALIGN(npages, 64) / 8 bytes',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => vm.getDirtyLog(0, new Uint8Array(CLEAR_BYTES - 8)),
      errno: 'EFAULT',
      message: /the bitmap has 24 bytes, 32 are needed for slot 0 \(200 pages\)/,
      twin: {
        name: 'writes the log into a user buffer of ALIGN(npages, 64) / 8 bytes',
        call: (vm) => vm.getDirtyLog(0, new Uint8Array(CLEAR_BYTES)).byteLength,
        returns: CLEAR_BYTES,
      },
    },
    {
      name: 'returns ENOENT for a slot that is not logging dirty pages',
      arch: 'x86_64',
      setup: (vm) => slot0(vm),
      call: (vm) => vm.getDirtyLog(0),
      errno: 'ENOENT',
      message: /slot 0 is not logging dirty pages/,
      twin: {
        name: 'reads the log once KVM_MEM_LOG_DIRTY_PAGES is set',
        call: (vm) => {
          slot0(vm, LOG);
          return vm.getDirtyLog(0).byteLength;
        },
        returns: 512 / 8,
      },
    },
  ]);
});

describe('KVM_CLEAR_DIRTY_LOG', () => {
  runTable([
    {
      name: 'returns ENXIO in ring-only mode',
      arch: 'x86_64',
      setup: ringOnlyLoggedSlot,
      call: (vm) => clear(vm, 0, 0, CLEAR_NPAGES),
      errno: 'ENXIO',
      message: /dirty ring without a bitmap/,
    },
    {
      name: 'rejects a bad address space with EINVAL before checking first_page',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, makeSlotId(2, 0), 1, 64),
      errno: 'EINVAL',
      message: /slot 131072 is out of range/,
    },
    {
      name: 'rejects a CLEAR whose first_page is not a multiple of 64 with EINVAL',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, 0, 1, 64),
      errno: 'EINVAL',
      message: /first_page 1 is not a multiple of 64/,
      twin: {
        name: 'clears from a first_page that is a multiple of 64',
        call: (vm) => clear(vm, 0, 64, 64),
      },
    },
    {
      name: 'checks first_page alignment (EINVAL) before the slot exists (ENOENT)',
      arch: 'arm64',
      call: (vm) => clear(vm, 0, 63, 64),
      errno: 'EINVAL',
      message: /first_page 63/,
    },
    {
      name: 'returns ENOENT for a slot that does not exist',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, 7, 0, 64),
      errno: 'ENOENT',
      message: /slot 7 does not exist/,
    },
    {
      name: 'returns ENOENT for a slot that is not logging',
      arch: 'arm64',
      setup: (vm) => {
        vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT);
        slot0(vm);
      },
      call: (vm) => clear(vm, 0, 0, 64),
      errno: 'ENOENT',
      message: /slot 0 is not logging dirty pages/,
    },
    {
      name: 'rejects a first_page beyond npages with EINVAL',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, 0, 256, 0),
      errno: 'EINVAL',
      message: /pages \[256, 256\) run past the slot's 200 pages/,
      twin: {
        name: 'accepts the last 64-aligned first_page with a range that reaches the end',
        call: (vm) => clear(vm, 0, 192, 8),
      },
    },
    {
      name: 'rejects num_pages > npages - first_page with EINVAL',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, 0, 64, 137),
      errno: 'EINVAL',
      message: /pages \[64, 201\) run past the slot's 200 pages/,
      twin: {
        name: 'accepts num_pages == npages - first_page',
        call: (vm) => clear(vm, 0, 64, 136),
      },
    },
    {
      name: 'rejects a num_pages that is not a multiple of 64 and stops short of the end with EINVAL',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, 0, 0, 100),
      errno: 'EINVAL',
      message: /num_pages 100 must be a multiple of 64 unless the range reaches the slot's end/,
      twin: {
        name: 'accepts a num_pages that is a multiple of 64',
        call: (vm) => clear(vm, 0, 0, 128),
      },
    },
    {
      name: 'rejects num_pages 71 from page 128 of a 200-page slot (one short of the end) with EINVAL',
      arch: 'arm64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, 0, 128, 71),
      errno: 'EINVAL',
      message: /num_pages 71 must be a multiple of 64/,
      twin: {
        name: 'accepts num_pages 72 from page 128: not a multiple of 64, but it reaches the end',
        call: (vm) => clear(vm, 0, 128, 72),
      },
    },
    {
      name: 'returns EFAULT when the bitmap is shorter than ALIGN(num_pages, 64) / 8 bytes',
      arch: 'x86_64',
      setup: manualLoggedSlot,
      call: (vm) => clear(vm, 0, 0, CLEAR_NPAGES, 24),
      errno: 'EFAULT',
      message: /the bitmap has 24 bytes, 32 are needed for 200 pages/,
      twin: {
        name: 'accepts a bitmap of exactly ALIGN(num_pages, 64) / 8 bytes',
        call: (vm) => clear(vm, 0, 0, CLEAR_NPAGES, CLEAR_BYTES),
      },
    },
  ]);
});

describe('KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)', () => {
  runTable([
    {
      name: 'rejects cap.flags != 0 with EINVAL',
      arch: 'x86_64',
      call: (vm) => vm.enableCapRaw({ cap: Cap.ManualDirtyLogProtect2, flags: 1, args: [PROTECT] }),
      errno: 'EINVAL',
      message: /flags=1/,
      twin: {
        name: 'enables manual protect with cap.flags == 0',
        call: (vm) => {
          vm.enableCapRaw({ cap: Cap.ManualDirtyLogProtect2, flags: 0, args: [PROTECT] });
          return vm.dirtyLogMode;
        },
        returns: 'bitmap-manual',
      },
    },
    {
      name: 'rejects an unknown bit in args[0] with EINVAL',
      arch: 'arm64',
      call: (vm) => vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT | INITIALLY_SET | (1 << 2)),
      errno: 'EINVAL',
      message: /args\[0\]=0x7/,
      twin: {
        name: 'enables PROTECT_ENABLE | INITIALLY_SET (KVM_DIRTY_LOG_MANUAL_CAPS)',
        call: (vm) => {
          vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT | INITIALLY_SET);
          return vm.dirtyLogMode;
        },
        returns: 'bitmap-manual-initially-set',
      },
    },
    {
      name: 'rejects INITIALLY_SET without PROTECT_ENABLE with EINVAL',
      arch: 'x86_64',
      call: (vm) => vm.enableCap(Cap.ManualDirtyLogProtect2, INITIALLY_SET),
      errno: 'EINVAL',
      message: /args\[0\]=0x2.*INITIALLY_SET \(2\) needs PROTECT_ENABLE \(1\)/,
      twin: {
        name: 'accepts args[0] = 0, which turns manual protect off',
        setup: (vm) => vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT),
        call: (vm) => {
          vm.enableCap(Cap.ManualDirtyLogProtect2, 0);
          return vm.dirtyLogMode;
        },
        returns: 'bitmap',
      },
    },
  ]);
});

describe('KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING / _ACQ_REL)', () => {
  const ringSize = (vm: Vm): number => vm.dirtyRingSize;
  const perCap = (cap: Cap.DirtyLogRing | Cap.DirtyLogRingAcqRel): ErrnoRow[] => {
    const c = Cap[cap];
    const enable =
      (size: number) =>
      (vm: Vm): number => {
        vm.enableCap(cap, size);
        return ringSize(vm);
      };
    return [
      {
        name: `${c}: rejects a size that is not a power of two (12 KiB) with EINVAL`,
        arch: 'x86_64',
        call: enable(12 * KiB),
        errno: 'EINVAL',
        message: /dirty ring size 12288 bytes is not a power of two/,
        twin: { name: `${c}: accepts 16 KiB`, call: enable(16 * KiB), returns: 16 * KiB },
      },
      {
        name: `${c}: rejects 8 KiB with PML (below 576 reserved entries x 16 = 9216) with EINVAL`,
        arch: 'x86_64',
        call: enable(8 * KiB),
        errno: 'EINVAL',
        message: /dirty ring size 8192 bytes is below the minimum 9216/,
        twin: {
          name: `${c}: accepts 16 KiB with PML, the smallest legal size`,
          call: enable(16 * KiB),
          returns: 16 * KiB,
        },
      },
      {
        name: `${c}: rejects 2 KiB without PML (below a page) with EINVAL`,
        arch: 'x86_64',
        vm: { params: { enablePml: false } },
        call: enable(2 * KiB),
        errno: 'EINVAL',
        message: /dirty ring size 2048 bytes is below the minimum 4096/,
        twin: {
          name: `${c}: accepts 4 KiB without PML, the smallest legal size`,
          call: enable(4 * KiB),
          returns: 4 * KiB,
        },
      },
      {
        name: `${c}: rejects 2 MiB (more than 65536 entries) with E2BIG`,
        arch: 'x86_64',
        call: enable(2 * MiB),
        errno: 'E2BIG',
        message: /dirty ring size 2097152 bytes exceeds the 1 MiB maximum/,
        twin: { name: `${c}: accepts 1 MiB, the largest size`, call: enable(MiB), returns: MiB },
      },
      {
        name: `${c}: rejects enabling the ring a second time with EINVAL`,
        arch: 'x86_64',
        setup: (vm) => vm.enableCap(cap, RING_64K),
        call: enable(RING_64K),
        errno: 'EINVAL',
        message: /the dirty ring can only be enabled once/,
      },
      {
        name: `${c}: rejects enabling the ring after a vCPU exists with EINVAL`,
        arch: 'x86_64',
        setup: (vm) => vm.createVcpu(0),
        call: enable(RING_64K),
        errno: 'EINVAL',
        message: /the dirty ring must be enabled before any vCPU is created/,
        twin: {
          name: `${c}: enables the ring before the first vCPU and gives that vCPU a ring`,
          setup: () => {},
          call: (vm) => {
            vm.enableCap(cap, RING_64K);
            return vm.createVcpu(0).dirtyRing?.size;
          },
          returns: RING_64K / 16,
        },
      },
    ];
  };
  runTable([
    ...perCap(Cap.DirtyLogRing),
    ...perCap(Cap.DirtyLogRingAcqRel),
    {
      name: 'rejects DIRTY_LOG_RING after DIRTY_LOG_RING_ACQ_REL (one ring per VM) with EINVAL',
      arch: 'x86_64',
      setup: (vm) => vm.enableCap(Cap.DirtyLogRingAcqRel, RING_64K),
      call: (vm) => vm.enableCap(Cap.DirtyLogRing, RING_64K),
      errno: 'EINVAL',
      message: /only be enabled once/,
    },
    {
      name: 'rejects KVM_CAP_DIRTY_LOG_RING (192, x86/TSO only) on arm64 with EINVAL',
      arch: 'arm64',
      call: (vm) => vm.enableCap(Cap.DirtyLogRing, RING_64K),
      errno: 'EINVAL',
      message: /DirtyLogRing is not supported on arm64/,
      twin: {
        name: 'enables KVM_CAP_DIRTY_LOG_RING_ACQ_REL (223) on arm64',
        call: (vm) => {
          vm.enableCap(Cap.DirtyLogRingAcqRel, RING_64K);
          return vm.dirtyLogMode;
        },
        returns: 'ring',
      },
    },
    {
      name: 'rejects an arm64 ACQ_REL ring below a page (arm64 reserves 64 entries) with EINVAL',
      arch: 'arm64',
      call: (vm) => vm.enableCap(Cap.DirtyLogRingAcqRel, 2 * KiB),
      errno: 'EINVAL',
      message: /below the minimum 4096/,
      twin: {
        name: 'accepts a 4 KiB ACQ_REL ring on arm64',
        call: (vm) => {
          vm.enableCap(Cap.DirtyLogRingAcqRel, 4 * KiB);
          return vm.dirtyRingSize;
        },
        returns: 4 * KiB,
      },
    },
    {
      name: 'rejects a 2 MiB ACQ_REL ring on arm64 with E2BIG',
      arch: 'arm64',
      call: (vm) => vm.enableCap(Cap.DirtyLogRingAcqRel, 2 * MiB),
      errno: 'E2BIG',
      message: /exceeds the 1 MiB maximum/,
    },
  ]);
});

describe('KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP)', () => {
  const enableRing = (vm: Vm): void => vm.enableCap(Cap.DirtyLogRingAcqRel, RING_64K);
  runTable([
    {
      name: 'rejects WITH_BITMAP on x86 (not advertised) with EINVAL',
      arch: 'x86_64',
      setup: enableRing,
      call: (vm) => vm.enableCap(Cap.DirtyLogRingWithBitmap),
      errno: 'EINVAL',
      message: /not supported on x86_64/,
    },
    {
      name: 'rejects WITH_BITMAP before the ring is enabled with EINVAL',
      arch: 'arm64',
      call: (vm) => vm.enableCap(Cap.DirtyLogRingWithBitmap),
      errno: 'EINVAL',
      message: /enable the dirty ring first/,
      twin: {
        name: 'enables WITH_BITMAP on arm64 after the ring',
        setup: enableRing,
        call: (vm) => {
          vm.enableCap(Cap.DirtyLogRingWithBitmap);
          return vm.dirtyLogMode;
        },
        returns: 'ring-with-bitmap',
      },
    },
    {
      name: 'rejects WITH_BITMAP with cap.flags != 0 with EINVAL',
      arch: 'arm64',
      setup: enableRing,
      call: (vm) => vm.enableCapRaw({ cap: Cap.DirtyLogRingWithBitmap, flags: 1 }),
      errno: 'EINVAL',
      message: /flags must be 0/,
    },
    {
      name: 'rejects WITH_BITMAP once a memslot exists with EINVAL',
      arch: 'arm64',
      setup: (vm) => {
        enableRing(vm);
        slot0(vm);
      },
      call: (vm) => vm.enableCap(Cap.DirtyLogRingWithBitmap),
      errno: 'EINVAL',
      message: /memslots exist; KVM takes this cap only before the first memslot/,
      twin: {
        name: 'enables WITH_BITMAP again once every memslot is deleted',
        call: (vm) => {
          vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 0 }));
          vm.enableCap(Cap.DirtyLogRingWithBitmap);
          return vm.dirtyRingWithBitmap;
        },
        returns: true,
      },
    },
  ]);
});

describe('KVM_ENABLE_CAP(KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE)', () => {
  runTable([
    {
      name: 'rejects the arm64 eager-split chunk size on x86 with EINVAL',
      arch: 'x86_64',
      call: (vm) => vm.enableCap(Cap.ArmEagerSplitChunkSize, 2 * MiB),
      errno: 'EINVAL',
      message: /arm64-only/,
    },
    {
      name: 'rejects cap.flags != 0 with EINVAL',
      arch: 'arm64',
      call: (vm) => vm.enableCapRaw({ cap: Cap.ArmEagerSplitChunkSize, flags: 1, args: [2 * MiB] }),
      errno: 'EINVAL',
      message: /flags must be 0/,
    },
    {
      name: 'rejects a chunk size that is not a supported block size (8 KiB) with EINVAL',
      arch: 'arm64',
      call: (vm) => vm.enableCap(Cap.ArmEagerSplitChunkSize, 8 * KiB),
      errno: 'EINVAL',
      message: /8192 is not a supported block size/,
      twin: {
        name: 'accepts a 2 MiB chunk size',
        call: (vm) => {
          vm.enableCap(Cap.ArmEagerSplitChunkSize, 2 * MiB);
          return vm.eagerSplitChunkSize;
        },
        returns: 2 * MiB,
      },
    },
    {
      name: 'rejects a chunk size once a memslot exists with EINVAL',
      arch: 'arm64',
      setup: (vm) => slot0(vm),
      call: (vm) => vm.enableCap(Cap.ArmEagerSplitChunkSize, 2 * MiB),
      errno: 'EINVAL',
      message: /set it before creating memslots/,
    },
  ]);

  it.each([0, ...ARM64_SUPPORTED_BLOCK_SIZES])('accepts a chunk size of %i bytes on arm64', (n) => {
    expect(ARM64_SUPPORTED_BLOCK_SIZES).toEqual([4 * KiB, 2 * MiB, GiB]);
    const vm = makeVm({ arch: 'arm64' });
    vm.enableCap(Cap.ArmEagerSplitChunkSize, n);
    expect(vm.eagerSplitChunkSize).toBe(n);
  });
});

describe('KVM_RESET_DIRTY_RINGS and KVM_CREATE_VCPU', () => {
  runTable([
    {
      name: 'rejects KVM_RESET_DIRTY_RINGS without a dirty ring with EINVAL',
      arch: 'x86_64',
      setup: (vm) => vm.createVcpu(0),
      call: (vm) => vm.resetDirtyRings(),
      errno: 'EINVAL',
      message: /the dirty ring is not enabled/,
      twin: {
        name: 'resets nothing (returns 0) when the ring is enabled and empty',
        setup: (vm) => {
          vm.enableCap(Cap.DirtyLogRing, RING_64K);
          vm.createVcpu(0);
        },
        call: (vm) => vm.resetDirtyRings(),
        returns: 0,
      },
    },
    {
      name: 'rejects KVM_CREATE_VCPU with an id that already exists with EEXIST',
      arch: 'arm64',
      setup: (vm) => vm.createVcpu(0),
      call: (vm) => vm.createVcpu(0),
      errno: 'EEXIST',
      message: /vcpu 0 already exists/,
      twin: {
        name: 'creates a second vCPU with a new id',
        call: (vm) => {
          vm.createVcpu(1);
          return vm.vcpus.map((v) => v.id);
        },
        returns: [0, 1],
      },
    },
  ]);
});
