import { SimInvariantError, hex } from './errors.ts';
import {
  KVM_DIRTY_GFN_F_DIRTY,
  KVM_DIRTY_GFN_F_RESET,
  KVM_DIRTY_GFN_SIZE,
  KVM_DIRTY_RING_RSVD_ENTRIES,
} from './uapi.ts';

/**
 * Receives one coalesced (slot, offset, mask) run from a ring reset, the arguments
 * of `kvm_reset_dirty_gfn`. The 64-bit mask comes as two 32-bit halves.
 */
export type ResetDirtyGfn = (slot: number, offset: number, maskLo: number, maskHi: number) => void;

/**
 * One dirty ring (`struct kvm_dirty_ring`, virt/kvm/dirty_ring.c) and the entries
 * userspace maps (`struct kvm_dirty_gfn[]`): flags, slot and offset per entry in
 * typed arrays. `dirtyIndex` and `resetIndex` are free-running; position is
 * index & (size - 1).
 */
export class DirtyRing {
  /** Entries (a power of two). */
  readonly size: number;
  /**
   * `soft_limit = size - rsvd`: at or above it the vCPU exits with DIRTY_RING_FULL. A
   * per-VM ring (proposal) lowers it by one reserve per vCPU (ring-topology.ts).
   */
  softLimit: number;
  readonly flags: Uint32Array;
  readonly slot: Uint32Array;
  readonly offset: Float64Array;
  dirtyIndex = 0;
  resetIndex = 0;
  /** Userspace's own read position (QEMU keeps it beside the mmap, `fetch_index`). */
  fetchIndex = 0;
  /** Proposal pools: when this ring was last returned, for LRU selection. */
  lastReleased = 0;

  constructor(size: number, reservedEntries: number) {
    this.size = size;
    this.softLimit = size - reservedEntries;
    this.flags = new Uint32Array(size);
    this.slot = new Uint32Array(size);
    this.offset = new Float64Array(size);
  }

  /** Entries pushed and not yet reset. */
  get used(): number {
    return this.dirtyIndex - this.resetIndex;
  }

  /** `kvm_dirty_ring_soft_full`. */
  get softFull(): boolean {
    return this.used >= this.softLimit;
  }

  get hardFull(): boolean {
    return this.used >= this.size;
  }

  /** Bytes userspace maps and KVM allocates for the entries. */
  get bytes(): number {
    return this.size * KVM_DIRTY_GFN_SIZE;
  }

  /**
   * `kvm_dirty_ring_push`: write slot and offset, then publish DIRTY. Returns true if
   * the ring is soft-full afterwards (KVM then raises KVM_REQ_DIRTY_RING_SOFT_FULL).
   * Pushing into a hard-full ring is a KVM bug (WARN); callers check `hardFull`.
   */
  push(slot: number, offset: number): boolean {
    if (this.hardFull) {
      throw new SimInvariantError(
        `dirty ring push into a full ring: size=${this.size} dirtyIndex=${hex(this.dirtyIndex)} resetIndex=${hex(this.resetIndex)}`,
      );
    }
    const pos = this.dirtyIndex & (this.size - 1);
    this.slot[pos] = slot;
    this.offset[pos] = offset;
    this.flags[pos] = KVM_DIRTY_GFN_F_DIRTY;
    this.dirtyIndex++;
    return this.softFull;
  }

  /**
   * Userspace harvest (QEMU `kvm_dirty_ring_reap_one`): from `fetchIndex`, read each
   * entry that has DIRTY, hand (slot, offset) to `onEntry` and mark it RESET; stop at
   * the first entry without DIRTY or after `max` entries. Returns entries harvested.
   */
  harvest(onEntry: (slot: number, offset: number) => void, max = Infinity): number {
    let n = 0;
    const mask = this.size - 1;
    while (n < max) {
      const pos = this.fetchIndex & mask;
      const f = this.flags[pos];
      if ((f & KVM_DIRTY_GFN_F_DIRTY) === 0 || (f & KVM_DIRTY_GFN_F_RESET) !== 0) break;
      onEntry(this.slot[pos], this.offset[pos]);
      this.flags[pos] = f | KVM_DIRTY_GFN_F_RESET;
      this.fetchIndex++;
      n++;
    }
    return n;
  }

  /**
   * `kvm_dirty_ring_reset`: walk from `resetIndex` over entries userspace marked
   * RESET (in order; the first unmarked entry stops the walk), clear their flags and
   * coalesce them into (slot, offset, 64-bit mask) runs exactly as KVM does, handing
   * each run to `resetGfn`. Returns the number of entries reset.
   */
  reset(resetGfn: ResetDirtyGfn): number {
    const mask = this.size - 1;
    let count = 0;
    let curSlot = 0;
    let curOffset = 0;
    let lo = 0;
    let hi = 0;
    let have = false;
    while (this.resetIndex !== this.dirtyIndex) {
      const pos = this.resetIndex & mask;
      if ((this.flags[pos] & KVM_DIRTY_GFN_F_RESET) === 0) break;
      this.flags[pos] = 0;
      const slot = this.slot[pos];
      const offset = this.offset[pos];
      this.resetIndex++;
      count++;
      if (have && slot === curSlot) {
        const delta = offset - curOffset;
        if (delta >= 0 && delta < 64) {
          if (delta < 32) lo = (lo | (1 << delta)) >>> 0;
          else hi = (hi | (1 << (delta - 32))) >>> 0;
          continue;
        }
        // Backwards by less than 64, if shifting the mask left loses no set bit.
        if (delta < 0 && delta > -64 && fls64(lo, hi) - delta <= 63) {
          [lo, hi] = shl64(lo, hi, -delta);
          lo = (lo | 1) >>> 0;
          curOffset = offset;
          continue;
        }
      }
      if (have) resetGfn(curSlot, curOffset, lo, hi);
      have = true;
      curSlot = slot;
      curOffset = offset;
      lo = 1;
      hi = 0;
    }
    if (have) resetGfn(curSlot, curOffset, lo, hi);
    return count;
  }
}

/** Index of the highest set bit of a 64-bit (lo, hi) mask; -1 if empty. */
export function fls64(lo: number, hi: number): number {
  if (hi !== 0) return 63 - Math.clz32(hi);
  if (lo !== 0) return 31 - Math.clz32(lo);
  return -1;
}

function shl64(lo: number, hi: number, s: number): [number, number] {
  if (s >= 32) return [0, (lo << (s - 32)) >>> 0];
  return [(lo << s) >>> 0, ((hi << s) | (lo >>> (32 - s))) >>> 0];
}

/**
 * `kvm_dirty_ring_get_rsvd_entries`: 64 plus the CPU's dirty-log buffer (512 with
 * PML), so a PML buffer drained at the exit after the soft limit still fits.
 */
export function ringReservedEntries(pml: boolean): number {
  return KVM_DIRTY_RING_RSVD_ENTRIES + (pml ? 512 : 0);
}
