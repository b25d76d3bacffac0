/**
 * Shared helpers for tests of the KVM model (engine/kvm): sizes, a VM factory and
 * an assertion for ioctls that must fail with a given errno.
 */
import { expect } from 'vitest';
import { KVM_MEM_LOG_DIRTY_PAGES, Kvm, KvmError, PAGE_SIZE } from '../../engine/index.ts';
import type {
  Arch,
  Cap,
  DirtyRing,
  Errno,
  KvmParams,
  UserspaceMemoryRegion,
  Vcpu,
  Vm,
} from '../../engine/index.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
/** 4 KiB pages per 2 MiB and per 1 GiB frame. */
export const PAGES_2M = 512;
export const PAGES_1G = 512 * 512;

/** Options of `makeVm`: the host, its module parameters, and arm64's IPA size. */
export interface MakeVmOptions {
  arch?: Arch;
  params?: Partial<KvmParams>;
  ipaBits?: number;
  /** KVM_ENABLE_CAP calls made first, in order, as `[cap, ...args]`: `[Cap.DirtyLogRing, 4096]`. */
  caps?: ReadonlyArray<readonly [Cap, ...number[]]>;
  /** Memslots created after the caps (KVM_SET_USER_MEMORY_REGION, in order). */
  slots?: readonly UserspaceMemoryRegion[];
  /** vCPUs created last, with ids 0 .. vcpus - 1 (after the caps, as the dirty ring needs). */
  vcpus?: number;
}

/** A fresh VM on a fresh `/dev/kvm` (x86_64 with KVM's default parameters unless told). */
export function makeVm(options: MakeVmOptions = {}): Vm {
  const kvm = new Kvm({ arch: options.arch ?? 'x86_64', params: options.params });
  const vm = kvm.createVm(options.ipaBits === undefined ? {} : { ipaBits: options.ipaBits });
  for (const [cap, ...args] of options.caps ?? []) vm.enableCap(cap, ...args);
  for (const slot of options.slots ?? []) vm.setUserMemoryRegion(slot);
  for (let id = 0; id < (options.vcpus ?? 0); id++) vm.createVcpu(id);
  return vm;
}

/**
 * A KVM_SET_USER_MEMORY_REGION argument in pages rather than bytes:
 * `region({ slot: 1, baseGfn: 0x100, npages: 512 })`. Flags default to 0.
 */
export function region(r: {
  slot?: number;
  baseGfn: number;
  npages: number;
  flags?: number;
  userspaceAddr?: number;
  backing?: UserspaceMemoryRegion['backing'];
}): UserspaceMemoryRegion {
  const out: UserspaceMemoryRegion = {
    slot: r.slot ?? 0,
    flags: r.flags ?? 0,
    guestPhysAddr: r.baseGfn * PAGE_SIZE,
    memorySize: r.npages * PAGE_SIZE,
  };
  if (r.userspaceAddr !== undefined) out.userspaceAddr = r.userspaceAddr;
  if (r.backing !== undefined) out.backing = r.backing;
  return out;
}

/**
 * Assert that `fn` throws a KvmError with exactly `errno` (and, if given, a message
 * matching `message`). Calls `fn` once. Returns the error for further checks.
 */
export function expectKvmError(
  fn: () => unknown,
  errno: Errno,
  message?: RegExp | string,
): KvmError {
  let thrown: unknown;
  expect(() => {
    try {
      fn();
    } catch (e) {
      thrown = e;
      throw e;
    }
  }).toThrow(KvmError);
  const err = thrown as KvmError;
  expect(err.errno).toBe(errno);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}

// ---- pages per level, dirty logging on/off, touching memory, bitmaps and rings ----

/** Leaf SPTEs per level: KVM's `pages_4k`, `pages_2m`, `pages_1g` stats. */
export interface PageCounts {
  '4k': number;
  '2m': number;
  '1g': number;
}

export function pageCounts(vm: Vm): PageCounts {
  const s = vm.getStats();
  return { '4k': s.pages_4k, '2m': s.pages_2m, '1g': s.pages_1g };
}

/** `expectPages(vm).toEqual({ '4k': 512, '2m': 511, '1g': 0 })`. */
export function expectPages(vm: Vm) {
  return expect(pageCounts(vm));
}

/** A FLAGS_ONLY KVM_SET_USER_MEMORY_REGION that turns LOG_DIRTY_PAGES on or off, keeping the rest. */
export function setDirtyLogging(vm: Vm, slotId: number, on: boolean): void {
  const slot = vm.memslot(slotId);
  if (!slot) throw new Error(`no memslot ${slotId}`);
  vm.setUserMemoryRegion({
    slot: slotId,
    flags: on ? slot.flags | KVM_MEM_LOG_DIRTY_PAGES : slot.flags & ~KVM_MEM_LOG_DIRTY_PAGES,
    guestPhysAddr: slot.baseGfn * PAGE_SIZE,
    memorySize: slot.npages * PAGE_SIZE,
  });
}

/** The gfns [start, end), as `vcpu.runAccesses` takes them. */
export function gfnRange(start: number, end: number): Float64Array {
  const gfns = new Float64Array(end - start);
  for (let k = 0; k < gfns.length; k++) gfns[k] = start + k;
  return gfns;
}

/**
 * Access every page of [start, end) once on `vcpu` (reads or writes). Fails the test
 * if the vCPU exits to userspace on the way. Returns the batch result (outcomes in
 * `counts`, KVM-added ns in `costNs`).
 */
export function touchRange(vcpu: Vcpu, start: number, end: number, write: boolean) {
  const r = vcpu.runAccesses(gfnRange(start, end), write);
  expect(r.exit).toBeNull();
  return r;
}

/** Set bits of a KVM dirty bitmap (bit i of byte j is page 8j + i), in order. */
export function bitmapPages(bitmap: Uint8Array): number[] {
  const pages: number[] = [];
  for (let j = 0; j < bitmap.length; j++) {
    for (let i = 0; i < 8; i++) if (bitmap[j] & (1 << i)) pages.push(8 * j + i);
  }
  return pages;
}

/** A bitmap of `npages` bits (whole 64-bit words) with `pages` set, for KVM_CLEAR_DIRTY_LOG. */
export function bitmapOf(npages: number, pages: Iterable<number>): Uint8Array {
  const bitmap = new Uint8Array(Math.ceil(npages / 64) * 8);
  for (const p of pages) bitmap[p >>> 3] |= 1 << (p & 7);
  return bitmap;
}

/** One harvested dirty-ring entry, as userspace reads it. */
export interface RingEntry {
  slot: number;
  offset: number;
}

/** Harvest a ring as QEMU does (mark each DIRTY entry RESET); returns the entries in order. */
export function harvestRing(ring: DirtyRing, max = Infinity): RingEntry[] {
  const entries: RingEntry[] = [];
  ring.harvest((slot, offset) => entries.push({ slot, offset }), max);
  return entries;
}
