import type { Backing, Gfn, Hva } from './types.ts';
import { PAGE_SHIFT, PAGES_PER_LEVEL, SpteLevel } from './types.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, makeSlotId } from './uapi.ts';
import { SlotTdp } from './tdp-mmu.ts';

/** `host_pfn_mapping_level` for each backing: the largest host page under the hva. */
export const HOST_MAPPING_LEVEL: Readonly<Record<Backing, SpteLevel>> = {
  '4k': SpteLevel.PG_LEVEL_4K,
  thp: SpteLevel.PG_LEVEL_2M,
  hugetlb_2m: SpteLevel.PG_LEVEL_2M,
  hugetlb_1g: SpteLevel.PG_LEVEL_1G,
};

/**
 * A memslot (`struct kvm_memory_slot`): a gfn range [baseGfn, baseGfn + npages)
 * backed by host memory at `userspaceAddr`, with its dirty bitmap when logging and
 * the SPTEs that map it (`tdp`).
 */
export class Memslot {
  readonly asId: number;
  readonly id: number;
  readonly baseGfn: Gfn;
  readonly npages: number;
  readonly userspaceAddr: Hva;
  readonly backing: Backing;
  flags: number;
  /**
   * The dirty bitmap, 1 bit per page, little-endian bit order inside 32-bit words,
   * which is byte-for-byte KVM's layout (`set_bit_le`). Length is ALIGN(npages, 64)/32
   * words; null while logging is off or in ring-only mode.
   */
  dirtyBitmap: Uint32Array | null = null;
  /**
   * Every bit of pages [dirtyBitmapOnesFrom, npages) is set, without its words
   * written (they stay 0): INITIALLY_SET's "every page dirty" over a 1 TiB slot is
   * 32 MiB the OS would fault in page by page, which the first pass's CLEARs, in order
   * from the start, only move this up through (simulator bookkeeping; a multiple of 64
   * or npages). Writers skip the words up there; readers see ones.
   */
  dirtyBitmapOnesFrom: number;
  /**
   * Who set a bit in each 64-byte cache line of the dirty bitmap last (512 pages per
   * line): a vCPU id + 1, BITMAP_LINE_IOCTL for the thread of a GET/CLEAR, 0 for none.
   * A vCPU marking a page in a line someone else wrote last pulls the line over
   * (`cacheLineTransfer`): vCPUs dirtying pages of the same 2M frames share lines, a
   * vCPU writing memory of its own does not.
   */
  readonly bitmapLineOwner: Uint16Array;
  /**
   * Simulator bookkeeping, not KVM's: per line of the dirty bitmap (as
   * `bitmapLineOwner`), 1 if a bit of it may have changed since the last
   * `getDirtyLogChanged` of the slot. Every writer of the bitmap sets it.
   */
  readonly bitmapLineChanged: Uint8Array;
  /**
   * Simulator bookkeeping, per line of the dirty bitmap below the all-set suffix: 1 if
   * its words are 0 without ever having been written (the suffix passed it by whole
   * CLEARs), unless `bitmapLineChanged` says a writer came since. A copy writes zeros
   * for such a line instead of reading it: the OS faults in a never-written page for a
   * read too.
   */
  readonly bitmapLineZero: Uint8Array;
  /** Whether some line of `bitmapLineZero` may be 1 (a copy otherwise reads every line). */
  bitmapHasZeroLines = false;
  /** The bitmap the last `getDirtyLogChanged` copied (a new one is copied whole). */
  deltaBitmap: Uint32Array | null = null;
  /** The SPTEs mapping this slot's gfn range; replaced on DELETE/MOVE (zapped). */
  tdp: SlotTdp;
  /** Per level, whether guest and host addresses are congruent within the huge page. */
  private readonly congruent: Readonly<Record<SpteLevel, boolean>>;
  /**
   * Transparent huge pages of the host that a discard smaller than them has split, one
   * flag per 2M frame of the slot (allocated at the first split). The host maps such a
   * frame with 4K pages from then on (MADV_DONTNEED of part of a THP splits the PMD:
   * mm/huge_memory.c `__split_huge_pmd`, and a later fault fills the PTE table, not a
   * new THP), so KVM maps it at 4K too: `host_pfn_mapping_level` in
   * arch/x86/kvm/mmu/mmu.c reads the host's page table. khugepaged, which may collapse
   * the frame again later, is not modelled.
   */
  private hostSplitFrames: Uint8Array | null = null;

  constructor(init: {
    asId: number;
    id: number;
    baseGfn: number;
    npages: number;
    userspaceAddr: number;
    backing: Backing;
    flags: number;
  }) {
    this.asId = init.asId;
    this.id = init.id;
    this.baseGfn = init.baseGfn as Gfn;
    this.npages = init.npages;
    this.userspaceAddr = init.userspaceAddr as Hva;
    this.backing = init.backing;
    this.flags = init.flags;
    const hvaPfn = Math.floor(init.userspaceAddr / 2 ** PAGE_SHIFT);
    const congruentAt = (level: SpteLevel): boolean =>
      (init.baseGfn - hvaPfn) % PAGES_PER_LEVEL[level] === 0;
    this.congruent = {
      [SpteLevel.PG_LEVEL_4K]: true,
      [SpteLevel.PG_LEVEL_2M]: congruentAt(SpteLevel.PG_LEVEL_2M),
      [SpteLevel.PG_LEVEL_1G]: congruentAt(SpteLevel.PG_LEVEL_1G),
    };
    this.tdp = new SlotTdp(init.baseGfn, init.npages);
    this.bitmapLineOwner = new Uint16Array(Math.ceil(init.npages / BITMAP_LINE_PAGES));
    this.bitmapLineChanged = new Uint8Array(this.bitmapLineOwner.length);
    this.bitmapLineZero = new Uint8Array(this.bitmapLineOwner.length);
    this.dirtyBitmapOnesFrom = init.npages;
  }

  /** The UAPI slot number, `(asId << 16) | id`. */
  get slotId(): number {
    return makeSlotId(this.asId, this.id);
  }

  get endGfn(): number {
    return this.baseGfn + this.npages;
  }

  get readonly(): boolean {
    return (this.flags & KVM_MEM_READONLY) !== 0;
  }

  /** `kvm_slot_dirty_track_enabled`: LOG_DIRTY_PAGES is set. */
  get dirtyLogging(): boolean {
    return (this.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
  }

  get hostMappingLevel(): SpteLevel {
    return HOST_MAPPING_LEVEL[this.backing];
  }

  /**
   * `disallow_lpage` of the huge frame at `level` containing `rel` (slot-relative):
   * true when the frame is not wholly inside the slot, or guest and host offsets are
   * not congruent within it (x86.c `kvm_alloc_memslot_metadata`; arm64's
   * `fault_supports_stage2_huge_mapping` applies the same two rules).
   */
  lpageDisallowed(level: SpteLevel, rel: number): boolean {
    if (level === SpteLevel.PG_LEVEL_4K) return false;
    if (!this.congruent[level]) return true;
    const pages = PAGES_PER_LEVEL[level];
    const gfn = this.baseGfn + rel;
    const frameStart = gfn - (gfn % pages);
    return frameStart < this.baseGfn || frameStart + pages > this.endGfn;
  }

  /**
   * `__kvm_mmu_max_mapping_level` without the dirty-logging cap: the largest level
   * allowed by the MMU, the slot's geometry and the host mapping.
   */
  maxMappingLevel(rel: number, maxHugeLevel: SpteLevel): SpteLevel {
    if (this.hostSplitFrames !== null && this.hostHugePageSplit(rel)) return SpteLevel.PG_LEVEL_4K;
    let level = Math.min(maxHugeLevel, this.hostMappingLevel) as SpteLevel;
    while (level > SpteLevel.PG_LEVEL_4K && this.lpageDisallowed(level, rel)) level--;
    return level;
  }

  /**
   * The host split the transparent huge page backing `rel`'s 2M frame (a discard of
   * part of it): see `hostSplitFrames`. Only THP backing splits; hugetlbfs pages never
   * do (QEMU skips a discard smaller than the backing's page).
   */
  splitHostHugePage(rel: number): void {
    if (this.backing !== 'thp') return;
    this.hostSplitFrames ??= new Uint8Array(this.hostFrameIndex(this.npages - 1) + 1);
    this.hostSplitFrames[this.hostFrameIndex(rel)] = 1;
  }

  /** Whether the host's huge page backing `rel`'s 2M frame was split by a discard. */
  hostHugePageSplit(rel: number): boolean {
    return this.hostSplitFrames !== null && this.hostSplitFrames[this.hostFrameIndex(rel)] === 1;
  }

  /** The slot's 2M frame holding `rel`, counted from the frame of the slot's first gfn. */
  private hostFrameIndex(rel: number): number {
    const pages = PAGES_PER_LEVEL[SpteLevel.PG_LEVEL_2M];
    return Math.floor((this.baseGfn + rel) / pages) - Math.floor(this.baseGfn / pages);
  }

  /** Bytes of dirty bitmap KVM allocates: 2 × ALIGN(npages, 64) / 8 (bitmap + scratch). */
  get dirtyBitmapAllocBytes(): number {
    return this.dirtyBitmap ? 2 * (Math.ceil(this.npages / 64) * 8) : 0;
  }
}

/**
 * A dirty bitmap word with every page of the slot set: the word starting at page
 * `page` of a slot of `npages` pages (the bits past the slot's end are 0).
 */
export function allPagesWord(npages: number, page: number): number {
  const n = npages - page;
  return n >= 32 ? 0xffffffff : n <= 0 ? 0 : (2 ** n - 1) >>> 0;
}

/**
 * Write out the ones of `slot`'s all-set suffix below page `to` (rounded up to 64),
 * so that the words there hold them: before anything reads or changes them word by word.
 */
export function writeDirtyBitmapOnesTo(slot: Memslot, to: number): void {
  const bitmap = slot.dirtyBitmap;
  const from = slot.dirtyBitmapOnesFrom;
  const end = Math.min(slot.npages, Math.ceil(to / 64) * 64);
  if (!bitmap || end <= from) return;
  for (let page = from; page < end; page += 32) bitmap[page / 32] = allPagesWord(slot.npages, page);
  slot.bitmapLineZero.fill(0, from >>> 9, ((end - 1) >>> 9) + 1);
  slot.dirtyBitmapOnesFrom = end;
}

/** Pages whose dirty bits share one 64-byte cache line of the bitmap. */
export const BITMAP_LINE_PAGES = 512;
/** `Memslot.bitmapLineOwner` of a line last written by an ioctl thread (GET, CLEAR). */
export const BITMAP_LINE_IOCTL = 0xffff;

/** Words of a bitmap of `npages` bits, rounded to 64 bits as KVM does. */
export function bitmapWords32(npages: number): number {
  return Math.ceil(npages / 64) * 2;
}
