import { SpteLevel } from './types.ts';
import {
  SPTE_DIRTY,
  SPTE_LEAF,
  SPTE_MMU_WRITABLE,
  SPTE_PRESENT,
  SPTE_TABLE,
  SPTE_WRITABLE,
  describeSpte,
  isLastSpte,
  makeHugePageSplitSpte,
} from './spte.ts';
import { SimInvariantError, hex } from './errors.ts';

/** Counts of one split operation, for costs and stats. */
export interface SplitCount {
  /** Huge SPTEs split (`tdp_mmu_split_huge_page` calls). */
  splits: number;
  /** Child SPTEs created. */
  sptes: number;
  /** Page-table pages allocated. */
  tables: number;
}

/** What a split that found no huge page returns (shared: never written). */
const NO_SPLIT: Readonly<SplitCount> = Object.freeze({ splits: 0, sptes: 0, tables: 0 });

/** Result of a range walk that changes SPTEs. */
export interface WalkCount {
  /** Leaf SPTEs visited. */
  walked: number;
  /** True if an SPTE changed and the TLB must be flushed. */
  flush: boolean;
}

/**
 * Told whenever SPTEs of the slot lose WRITABLE or DIRTY or are zapped, so the next
 * write to those pages changes KVM state again (a fault, a PML entry). Ranges are
 * slot-relative and may be a superset of what changed. The simulator's guest uses it
 * to skip writes that KVM cannot see.
 */
export interface SpteProtectListener {
  rangeProtected(start: number, end: number): void;
  maskProtected(relBase: number, mask: number): void;
}

const PTES_PER_TABLE = 512;
const PAGES_1G = 512 * 512;
/** A byte mask repeated in the four bytes of a 32-bit word. */
const REPEAT4 = 0x01010101;

/** How SlotTdp keeps the 4K SPTEs of a freshly split 2M frame. */
export interface SlotTdpOptions {
  /**
   * True (the default): as one uniform value per frame until one of them changes
   * (see `uniform4k`). False: 512 bytes at once, the plain representation the
   * uniform one is tested against.
   */
  uniformFrames?: boolean;
}

/**
 * The TDP page tables that map one memslot's gfn range, kept as one byte per SPTE
 * per level (R3: no object per page). A 1.5 TiB slot has 400 M 4K SPTEs; the 4K
 * array is allocated zero-filled and the OS commits it only where SPTEs exist, so
 * memory follows what is actually mapped at 4K (a region mapped huge costs one byte).
 *
 * Indexing: `rel` is the slot-relative page (gfn - baseGfn). A 2M or 1G frame index
 * is counted from the frame containing baseGfn, so frames are aligned in gfn space
 * as KVM's are.
 *
 * Invariants: under a 1G leaf every 2M and 4K SPTE is 0; under a 2M leaf every 4K
 * SPTE is 0; a present 4K SPTE has a 2M table (SPTE_TABLE) above it, which has a 1G
 * table above it. The root is implicit.
 *
 * Uniform frames: a split makes 512 identical 4K SPTEs. Writing them would make the OS
 * fault in the 4K array (400 MB, over a second, for a 1.5 TiB slot) only to hold
 * copies of one byte, so a split 2M frame keeps its children's value in `uniform4k`
 * and its 4K bytes stay 0 until one child has to differ. Then the frame is written
 * out (`expandUniform`). Bulk walks change a whole uniform frame in O(1); everything
 * that reads or writes a single 4K SPTE goes through `leafLevel`, `getSpte` or a
 * mutator here, which resolve it. Counts, walks and listener calls are those of the
 * plain representation (test/engine/kvm/uniform-frames.test.ts holds them equal).
 *
 * Every mutator below takes a half-open range [start, end) of slot-relative pages
 * and, where it returns `flush`, means "true if an SPTE changed and the TLB must be
 * flushed" (R5). Callers account costs; this file only moves bits.
 */
export class SlotTdp {
  readonly npages: number;
  /**
   * One byte per 4K SPTE. Read directly only by fast paths that take a present byte
   * as the SPTE and hand anything else to `leafLevel` (a uniform frame's bytes are 0);
   * after `leafLevel(rel)` returns 4K, `spte4k[rel]` is rel's SPTE.
   */
  readonly spte4k: Uint8Array;
  /**
   * Per 2M frame: the value every 4K SPTE of the frame has, while the frame is uniform
   * (its 2M SPTE is a table and its bytes in `spte4k` are all 0); 0 otherwise. A
   * uniform value is a present leaf, so it is never 0.
   */
  private readonly uniform4k: Uint8Array;
  /** False: splits write the 4K bytes at once (the reference representation). */
  private readonly uniformFrames: boolean;
  readonly spte2m: Uint8Array;
  readonly spte1g: Uint8Array;
  /** baseGfn modulo the 2M and 1G frame sizes. */
  private readonly off2m: number;
  private readonly off1g: number;
  private readonly words4k: Uint32Array;
  /** KVM's `pages_4k`, `pages_2m`, `pages_1g` stats: leaf SPTEs per level. */
  pages4k = 0;
  pages2m = 0;
  pages1g = 0;
  /** Page-table pages below the root (one per non-leaf 1G or 2M SPTE). */
  tablePages = 0;
  /** Observer of protections and zaps (see SpteProtectListener), or null. */
  listener: SpteProtectListener | null = null;
  /** Present 4K SPTEs visited by `clearBitsMasked`, running total (for costs). */
  maskWalked = 0;
  /** The bits the last clear4kBitsIn found set (its second result). */
  private clearedBits = 0;

  constructor(baseGfn: number, npages: number, options: SlotTdpOptions = {}) {
    this.npages = npages;
    this.uniformFrames = options.uniformFrames ?? true;
    this.off2m = baseGfn % PTES_PER_TABLE;
    this.off1g = baseGfn % PAGES_1G;
    // Round up to whole 32-bit words so the bulk walks can work four SPTEs at a time.
    const buffer = new ArrayBuffer(Math.ceil(npages / 4) * 4);
    this.spte4k = new Uint8Array(buffer, 0, npages);
    this.words4k = new Uint32Array(buffer);
    this.spte2m = new Uint8Array(((npages - 1 + this.off2m) >>> 9) + 1);
    this.uniform4k = new Uint8Array(this.spte2m.length);
    this.spte1g = new Uint8Array(Math.floor((npages - 1 + this.off1g) / PAGES_1G) + 1);
  }

  idx2m(rel: number): number {
    return (rel + this.off2m) >>> 9;
  }

  idx1g(rel: number): number {
    return Math.floor((rel + this.off1g) / PAGES_1G);
  }

  /** First slot-relative page of 2M frame `j` (negative if the frame starts before the slot). */
  relOf2m(j: number): number {
    return j * PTES_PER_TABLE - this.off2m;
  }

  relOf1g(i: number): number {
    return i * PAGES_1G - this.off1g;
  }

  /**
   * Level of the leaf SPTE mapping `rel`, or 0 if the page is not mapped. A uniform
   * frame holding `rel` is written out first, so that `spte4k[rel]` is its SPTE.
   */
  leafLevel(rel: number): SpteLevel | 0 {
    if (this.spte4k[rel] & SPTE_PRESENT) return SpteLevel.PG_LEVEL_4K;
    const j = this.idx2m(rel);
    const s2 = this.spte2m[j];
    if (s2 & SPTE_LEAF) return SpteLevel.PG_LEVEL_2M;
    if (s2 & SPTE_PRESENT) {
      if (this.uniform4k[j] === 0) return 0;
      this.expandUniform(j);
      return SpteLevel.PG_LEVEL_4K;
    }
    return this.spte1g[this.idx1g(rel)] & SPTE_LEAF ? SpteLevel.PG_LEVEL_1G : 0;
  }

  /** The SPTE at `level` on the walk to `rel` (0 if none). Changes nothing. */
  getSpte(level: SpteLevel, rel: number): number {
    switch (level) {
      case SpteLevel.PG_LEVEL_4K:
        // At most one of the two is non-zero (see uniform4k).
        return this.spte4k[rel] | this.uniform4k[this.idx2m(rel)];
      case SpteLevel.PG_LEVEL_2M:
        return this.spte2m[this.idx2m(rel)];
      case SpteLevel.PG_LEVEL_1G:
        return this.spte1g[this.idx1g(rel)];
    }
  }

  /** Replace a leaf SPTE's bits in place (same level, still a leaf). */
  setLeafSpte(level: SpteLevel, rel: number, spte: number): void {
    if (!isLastSpte(spte)) {
      throw new SimInvariantError(
        `setLeafSpte: not a leaf rel=${hex(rel)} spte=${describeSpte(spte)}`,
      );
    }
    switch (level) {
      case SpteLevel.PG_LEVEL_4K: {
        const j = this.idx2m(rel);
        if (this.uniform4k[j] !== 0) this.expandUniform(j);
        this.spte4k[rel] = spte;
        return;
      }
      case SpteLevel.PG_LEVEL_2M:
        this.spte2m[this.idx2m(rel)] = spte;
        return;
      case SpteLevel.PG_LEVEL_1G:
        this.spte1g[this.idx1g(rel)] = spte;
        return;
    }
  }

  /**
   * Install a leaf at `level` for the frame containing `rel`, allocating the tables
   * above it. Precondition: no leaf maps `rel`. Returns page-table pages allocated.
   */
  mapLeaf(rel: number, level: SpteLevel, spte: number): number {
    const i = this.idx1g(rel);
    let tables = 0;
    if (level === SpteLevel.PG_LEVEL_1G) {
      if (this.spte1g[i] !== 0) {
        throw new SimInvariantError(
          `mapLeaf 1G over a present SPTE rel=${hex(rel)} oldSpte=${describeSpte(this.spte1g[i])}`,
        );
      }
      this.spte1g[i] = spte;
      this.pages1g++;
      return 0;
    }
    if (this.spte1g[i] === 0) {
      this.spte1g[i] = SPTE_TABLE;
      this.tablePages++;
      tables++;
    } else if (this.spte1g[i] & SPTE_LEAF) {
      throw new SimInvariantError(
        `mapLeaf under a 1G leaf rel=${hex(rel)} level=${level} oldSpte=${describeSpte(this.spte1g[i])}`,
      );
    }
    const j = this.idx2m(rel);
    if (level === SpteLevel.PG_LEVEL_2M) {
      if (this.spte2m[j] !== 0) {
        throw new SimInvariantError(
          `mapLeaf 2M over a present SPTE rel=${hex(rel)} oldSpte=${describeSpte(this.spte2m[j])}`,
        );
      }
      this.spte2m[j] = spte;
      this.pages2m++;
      return tables;
    }
    if (this.spte2m[j] === 0) {
      this.spte2m[j] = SPTE_TABLE;
      this.tablePages++;
      tables++;
    } else if (this.spte2m[j] & SPTE_LEAF) {
      throw new SimInvariantError(
        `mapLeaf under a 2M leaf rel=${hex(rel)} oldSpte=${describeSpte(this.spte2m[j])}`,
      );
    }
    if (this.spte4k[rel] !== 0 || this.uniform4k[j] !== 0) {
      throw new SimInvariantError(
        `mapLeaf 4K over a present SPTE rel=${hex(rel)} oldSpte=${describeSpte(this.getSpte(level, rel))}`,
      );
    }
    this.spte4k[rel] = spte;
    this.pages4k++;
    return tables;
  }

  /**
   * `tdp_mmu_split_huge_page`: replace the huge leaf at `level` containing `rel` with
   * a table of 512 children one level down, each with the parent's permissions.
   * No TLB flush is needed: the children map the same memory with the same rights.
   */
  splitHugeSpte(level: SpteLevel.PG_LEVEL_2M | SpteLevel.PG_LEVEL_1G, rel: number): SplitCount {
    if (level === SpteLevel.PG_LEVEL_1G) {
      const i = this.idx1g(rel);
      const huge = this.spte1g[i];
      if (!isLastSpte(huge))
        throw new SimInvariantError(
          `split: no 1G leaf at rel=${hex(rel)} oldSpte=${describeSpte(huge)}`,
        );
      const j0 = this.idx2m(this.relOf1g(i));
      this.spte1g[i] = SPTE_TABLE;
      this.spte2m.fill(makeHugePageSplitSpte(huge), j0, j0 + PTES_PER_TABLE);
      this.pages1g--;
      this.pages2m += PTES_PER_TABLE;
      this.tablePages++;
      return { splits: 1, sptes: PTES_PER_TABLE, tables: 1 };
    }
    const j = this.idx2m(rel);
    const huge = this.spte2m[j];
    if (!isLastSpte(huge))
      throw new SimInvariantError(
        `split: no 2M leaf at rel=${hex(rel)} oldSpte=${describeSpte(huge)}`,
      );
    const r0 = this.relOf2m(j);
    this.spte2m[j] = SPTE_TABLE;
    // The 4K bytes under a 2M leaf are 0 (invariant): the frame can start uniform.
    if (this.uniformFrames) this.uniform4k[j] = makeHugePageSplitSpte(huge);
    else this.spte4k.fill(makeHugePageSplitSpte(huge), r0, r0 + PTES_PER_TABLE);
    this.pages2m--;
    this.pages4k += PTES_PER_TABLE;
    this.tablePages++;
    return { splits: 1, sptes: PTES_PER_TABLE, tables: 1 };
  }

  /**
   * `tdp_mmu_split_huge_pages_root`: split every huge SPTE overlapping [start, end)
   * down to `targetLevel`, top-down (a 1G is split to 2M, then the 2M children that
   * overlap the range are split to 4K).
   */
  splitHugePages(start: number, end: number, targetLevel: SpteLevel): SplitCount {
    // Allocated at the first split: a CLEAR re-arms 64 pages at a time and calls this
    // for each, and after the first pass almost every call splits nothing.
    let count: SplitCount | null = null;
    if (start >= end || targetLevel >= SpteLevel.PG_LEVEL_1G) return NO_SPLIT;
    const iEnd = this.idx1g(end - 1);
    for (let i = this.idx1g(start); i <= iEnd; i++) {
      const huge = this.spte1g[i];
      if (!isLastSpte(huge)) continue;
      const r0 = this.relOf1g(i);
      if (targetLevel === SpteLevel.PG_LEVEL_4K && r0 >= start && r0 + PAGES_1G <= end) {
        // Inline of 513 tdp_mmu_split_huge_page calls: the children of a 1G split are
        // identical, so the whole frame becomes 512 uniform 2M frames in two fills.
        count ??= { splits: 0, sptes: 0, tables: 0 };
        const j0 = this.idx2m(r0);
        const child = makeHugePageSplitSpte(huge);
        this.spte1g[i] = SPTE_TABLE;
        this.spte2m.fill(SPTE_TABLE, j0, j0 + PTES_PER_TABLE);
        if (this.uniformFrames) this.uniform4k.fill(child, j0, j0 + PTES_PER_TABLE);
        else this.spte4k.fill(child, r0, r0 + PAGES_1G);
        this.pages1g--;
        this.pages4k += PAGES_1G;
        this.tablePages += 1 + PTES_PER_TABLE;
        count.splits += 1 + PTES_PER_TABLE;
        count.sptes += PTES_PER_TABLE + PAGES_1G;
        count.tables += 1 + PTES_PER_TABLE;
        continue;
      }
      count = addSplit(count, this.splitHugeSpte(SpteLevel.PG_LEVEL_1G, r0));
    }
    if (targetLevel === SpteLevel.PG_LEVEL_4K) {
      const jEnd = this.idx2m(end - 1);
      for (let j = this.idx2m(start); j <= jEnd; j++) {
        if (isLastSpte(this.spte2m[j])) {
          count = addSplit(count, this.splitHugeSpte(SpteLevel.PG_LEVEL_2M, this.relOf2m(j)));
        }
      }
    }
    return count ?? NO_SPLIT;
  }

  /** Zap the leaf at `level` containing `rel`. Returns true (a present SPTE changed). */
  zapLeaf(level: SpteLevel, rel: number): boolean {
    this.notifyFrame(level, rel);
    switch (level) {
      case SpteLevel.PG_LEVEL_1G:
        this.spte1g[this.idx1g(rel)] = 0;
        this.pages1g--;
        return true;
      case SpteLevel.PG_LEVEL_2M:
        this.spte2m[this.idx2m(rel)] = 0;
        this.pages2m--;
        return true;
      case SpteLevel.PG_LEVEL_4K: {
        const j = this.idx2m(rel);
        if (this.uniform4k[j] !== 0) this.expandUniform(j);
        this.spte4k[rel] = 0;
        this.pages4k--;
        return true;
      }
    }
  }

  /**
   * `wrprot_gfn_range`: clear WRITABLE (keeping MMU_WRITABLE) on every leaf SPTE of
   * level >= minLevel overlapping [start, end).
   */
  wrprotRange(start: number, end: number, minLevel: SpteLevel): WalkCount {
    const huge = this.clearHugeBits(start, end, SPTE_WRITABLE);
    if (minLevel > SpteLevel.PG_LEVEL_4K) return huge;
    const small = this.clear4kBits(start, end, SPTE_WRITABLE);
    return { walked: huge.walked + small.walked, flush: huge.flush || small.flush };
  }

  /** `clear_dirty_gfn_range` (PML): clear the D-bit of every 4K leaf in [start, end). */
  clearDirtyRange(start: number, end: number): WalkCount {
    return this.clear4kBits(start, end, SPTE_DIRTY);
  }

  /**
   * The 4K part of `kvm_arch_mmu_enable_log_dirty_pt_masked`: for each set bit of the
   * 32-bit `mask`, clear `bit` (WRITABLE, or DIRTY with PML) of the 4K leaf at
   * `relBase + bit`. Huge SPTEs are left alone. Returns true if any SPTE changed.
   */
  clearBitsMasked(relBase: number, mask: number, bit: number): boolean {
    // No 2M table above these pages: no 4K SPTE to clear (the walk skips them too).
    // Not reading the 4K bytes matters: an untouched part of a large slot's array
    // would be faulted in by the OS just to be read as zeros.
    if (!this.has4k(relBase) && !this.has4k(relBase + 31)) return false;
    const ja = this.idx2m(relBase);
    const jb = this.idx2m(Math.min(relBase + 31, this.npages - 1));
    if (this.uniform4k[ja] !== 0 || this.uniform4k[jb] !== 0) {
      // A uniform frame whose SPTEs have `bit` changes: written out, it takes the byte
      // path below. One that keeps its value only counts its present SPTEs.
      if (this.uniform4k[ja] & bit) this.expandUniform(ja);
      if (this.uniform4k[jb] & bit) this.expandUniform(jb);
      if (ja === jb && this.uniform4k[ja] !== 0) {
        const inSlot = this.npages - relBase;
        this.maskWalked += popcount(inSlot >= 32 ? mask : mask & ((1 << inSlot) - 1));
        return false;
      }
      if (this.uniform4k[ja] !== 0 || this.uniform4k[jb] !== 0) {
        return this.clearBitsMaskedAcross(relBase, mask, bit);
      }
    }
    if (mask === -1 || mask === 0xffffffff) {
      if ((relBase & 3) === 0 && relBase + 32 <= this.npages)
        return this.clearBitsFull32(relBase, bit);
    }
    let flush = false;
    const origMask = mask;
    const s4 = this.spte4k;
    while (mask !== 0) {
      const low = mask & -mask;
      const rel = relBase + 31 - Math.clz32(low);
      mask ^= low;
      const spte = s4[rel];
      this.maskWalked += spte & SPTE_PRESENT;
      if (spte & bit) {
        s4[rel] = spte & ~bit;
        flush = true;
      }
    }
    if (flush && this.listener) this.listener.maskProtected(relBase, origMask);
    return flush;
  }

  /**
   * clearBitsMasked for 32 pages across two 2M frames, one of them uniform without
   * `bit` (so nothing there changes): SPTE by SPTE, reading through the uniform value.
   */
  private clearBitsMaskedAcross(relBase: number, mask: number, bit: number): boolean {
    let flush = false;
    const s4 = this.spte4k;
    for (let m = mask; m !== 0;) {
      const low = m & -m;
      const rel = relBase + 31 - Math.clz32(low);
      m ^= low;
      if (rel >= this.npages) continue;
      const spte = s4[rel] | this.uniform4k[this.idx2m(rel)];
      this.maskWalked += spte & SPTE_PRESENT;
      if (spte & bit) {
        s4[rel] = spte & ~bit;
        flush = true;
      }
    }
    if (flush && this.listener) this.listener.maskProtected(relBase, mask);
    return flush;
  }

  /**
   * clearBitsMasked for a full 32-page mask at a 4-aligned base: eight 32-bit words,
   * four SPTEs each, skipping unmapped ones for free. Inline for performance: a CLEAR
   * of a mostly unmapped 1 TiB slot with INITIALLY_SET goes through here 8 M times.
   */
  private clearBitsFull32(relBase: number, bit: number): boolean {
    const words = this.words4k;
    const keep = ~(bit * REPEAT4);
    const presentMask = SPTE_PRESENT * REPEAT4;
    let changed = 0;
    const w0 = relBase >>> 2;
    for (let w = w0; w < w0 + 8; w++) {
      const v = words[w];
      if (v === 0) continue;
      this.maskWalked += Math.imul(v & presentMask, REPEAT4) >>> 24;
      changed |= v & ~keep;
      words[w] = v & keep;
    }
    if (changed !== 0 && this.listener) this.listener.maskProtected(relBase, 0xffffffff);
    return changed !== 0;
  }

  /**
   * `kvm_mmu_slot_gfn_write_protect(..., PG_LEVEL_2M)` on the huge leaf (2M or 1G)
   * covering `rel`, if any. It goes through `write_protect_gfn`, which clears
   * MMU_WRITABLE as well (commit 7c8a4742c4ab): the pages then need the slow path.
   */
  wrprotHugeCovering(rel: number): boolean {
    const clear = SPTE_WRITABLE | SPTE_MMU_WRITABLE;
    const j = this.idx2m(rel);
    const s2 = this.spte2m[j];
    if (isLastSpte(s2)) {
      if (s2 & clear) {
        this.spte2m[j] = s2 & ~clear;
        this.notifyFrame(SpteLevel.PG_LEVEL_2M, rel);
        return (s2 & SPTE_WRITABLE) !== 0;
      }
      return false;
    }
    const i = this.idx1g(rel);
    const s1 = this.spte1g[i];
    if (isLastSpte(s1) && s1 & clear) {
      this.spte1g[i] = s1 & ~clear;
      this.notifyFrame(SpteLevel.PG_LEVEL_1G, rel);
      return (s1 & SPTE_WRITABLE) !== 0;
    }
    return false;
  }

  /**
   * True if no SPTE maps pages [start, last] (`last` inclusive): no 1G leaf covers
   * them and their 2M entries are empty (no leaf, no table of 4K SPTEs), so a walk of
   * any kind over them finds nothing.
   */
  emptyAt(start: number, last: number): boolean {
    for (let j = this.idx2m(start), jEnd = this.idx2m(last); j <= jEnd; j++) {
      if (this.spte2m[j] !== 0) return false;
    }
    for (let i = this.idx1g(start), iEnd = this.idx1g(last); i <= iEnd; i++) {
      if (isLastSpte(this.spte1g[i])) return false;
    }
    return true;
  }

  /**
   * `kvm_mmu_recover_huge_pages` / zap collapsible SPTEs: drop the tables of every
   * frame in [start, end) that `maxLevel` allows to be mapped huge again, so the next
   * fault maps it huge. Returns leaf SPTEs zapped and whether to flush.
   */
  zapCollapsible(start: number, end: number, maxLevel: (rel: number) => SpteLevel): WalkCount {
    let walked = 0;
    if (start >= end) return { walked, flush: false };
    const iEnd = this.idx1g(end - 1);
    for (let i = this.idx1g(start); i <= iEnd; i++) {
      if (this.spte1g[i] !== SPTE_TABLE) continue;
      const r0 = this.relOf1g(i);
      if (r0 >= 0 && maxLevel(r0) === SpteLevel.PG_LEVEL_1G) {
        walked += this.zapTable1g(i);
        continue;
      }
      const j0 = this.idx2m(Math.max(r0, start));
      const j1 = this.idx2m(Math.min(r0 + PAGES_1G, end) - 1);
      for (let j = j0; j <= j1; j++) {
        const q0 = this.relOf2m(j);
        if (this.spte2m[j] === SPTE_TABLE && q0 >= 0 && maxLevel(q0) >= SpteLevel.PG_LEVEL_2M) {
          walked += this.zapTable2m(j);
        }
      }
    }
    return { walked, flush: walked > 0 };
  }

  /** Zap every leaf in [start, end) and free empty tables (DELETE/MOVE, `kvm_arch_flush_shadow_memslot`). */
  zapAll(): WalkCount {
    const walked = this.pages4k + this.pages2m + this.pages1g;
    this.listener?.rangeProtected(0, this.npages);
    // Only frames with 4K bytes written: filling the rest would fault them in.
    for (let j = 0; j < this.spte2m.length; j++) {
      if (this.spte2m[j] === SPTE_TABLE && this.uniform4k[j] === 0) {
        const r0 = this.relOf2m(j);
        this.spte4k.fill(0, Math.max(r0, 0), Math.min(r0 + PTES_PER_TABLE, this.npages));
      }
    }
    this.uniform4k.fill(0);
    this.spte2m.fill(0);
    this.spte1g.fill(0);
    this.pages4k = this.pages2m = this.pages1g = this.tablePages = 0;
    return { walked, flush: walked > 0 };
  }

  /**
   * `for_each_tdp_pte_min_level` restricted to leaves: yields each leaf SPTE mapping
   * any page of [start, end), in gfn order, with its level. For inspection and tests;
   * the bulk operations above walk the arrays directly.
   */
  *forEachLeaf(
    start: number,
    end: number,
  ): Generator<{ rel: number; level: SpteLevel; spte: number }> {
    let rel = start;
    while (rel < end) {
      const level = this.leafLevel(rel);
      if (level === SpteLevel.PG_LEVEL_1G || level === SpteLevel.PG_LEVEL_2M) {
        const frameStart =
          level === SpteLevel.PG_LEVEL_1G
            ? this.relOf1g(this.idx1g(rel))
            : this.relOf2m(this.idx2m(rel));
        yield { rel: frameStart, level, spte: this.getSpte(level, rel) };
        rel = frameStart + (level === SpteLevel.PG_LEVEL_1G ? PAGES_1G : PTES_PER_TABLE);
        continue;
      }
      if (level === SpteLevel.PG_LEVEL_4K) yield { rel, level, spte: this.spte4k[rel] };
      rel++;
    }
  }

  /** The leaf SPTE mapping `rel` and its level, or null. */
  lookup(rel: number): { level: SpteLevel; spte: number } | null {
    const level = this.leafLevel(rel);
    return level === 0 ? null : { level, spte: this.getSpte(level, rel) };
  }

  /** Bytes of page-table pages this slot's mappings use (4 KiB each). */
  get pageTableBytes(): number {
    return this.tablePages * 4096;
  }

  private clearHugeBits(start: number, end: number, bit: number): WalkCount {
    let walked = 0;
    let flush = false;
    if (start >= end) return { walked, flush };
    const iEnd = this.idx1g(end - 1);
    for (let i = this.idx1g(start); i <= iEnd; i++) {
      const s1 = this.spte1g[i];
      if (isLastSpte(s1)) {
        walked++;
        if (s1 & bit) {
          this.spte1g[i] = s1 & ~bit;
          flush = true;
          this.notifyFrame(SpteLevel.PG_LEVEL_1G, Math.max(this.relOf1g(i), 0));
        }
        continue;
      }
      if (s1 === 0) continue;
      const r0 = this.relOf1g(i);
      const j0 = this.idx2m(Math.max(r0, start));
      const j1 = this.idx2m(Math.min(r0 + PAGES_1G, end) - 1);
      for (let j = j0; j <= j1; j++) {
        const s2 = this.spte2m[j];
        if (isLastSpte(s2)) {
          walked++;
          if (s2 & bit) {
            this.spte2m[j] = s2 & ~bit;
            flush = true;
            this.notifyFrame(SpteLevel.PG_LEVEL_2M, Math.max(this.relOf2m(j), 0));
          }
        }
      }
    }
    return { walked, flush };
  }

  /**
   * Clear `bit` in every 4K SPTE of [start, end). Inline for performance: four SPTEs
   * per 32-bit word (a 1.5 TiB slot has 400 M of them). Non-present SPTEs are 0, so
   * clearing a bit in them changes nothing.
   */
  private clear4kBits(start: number, end: number, bit: number): WalkCount {
    let walked = 0;
    let changed = 0;
    // 2M frame by 2M frame, skipping those without a table: they have no 4K SPTE, and
    // their part of the 4K array may never have been touched (see clearBitsMasked).
    for (let rel = start; rel < end;) {
      const j = this.idx2m(rel);
      const frameEnd = Math.min(end, this.relOf2m(j) + PTES_PER_TABLE);
      if (this.spte2m[j] === SPTE_TABLE) {
        const u = this.uniform4k[j];
        if (u !== 0 && (!(u & bit) || this.coversFrame(j, rel, frameEnd))) {
          // Uniform and either unchanged or changed as a whole: every SPTE is present.
          walked += frameEnd - rel;
          changed |= u & bit;
          this.uniform4k[j] = u & ~bit;
        } else {
          if (u !== 0) this.expandUniform(j);
          walked += this.clear4kBitsIn(rel, frameEnd, bit);
          changed |= this.clearedBits;
        }
      }
      rel = frameEnd;
    }
    if (changed !== 0 && this.listener) this.listener.rangeProtected(start, end);
    return { walked, flush: changed !== 0 };
  }

  /** True if [start, end) holds every page of 2M frame `j` that lies in the slot. */
  private coversFrame(j: number, start: number, end: number): boolean {
    const r0 = this.relOf2m(j);
    return start <= Math.max(r0, 0) && end >= Math.min(r0 + PTES_PER_TABLE, this.npages);
  }

  /** Write uniform frame `j` out as bytes: one of its SPTEs is about to differ. */
  private expandUniform(j: number): void {
    const r0 = this.relOf2m(j);
    this.spte4k.fill(
      this.uniform4k[j],
      Math.max(r0, 0),
      Math.min(r0 + PTES_PER_TABLE, this.npages),
    );
    this.uniform4k[j] = 0;
  }

  /** True if a 2M table maps the frame of `rel` (4K SPTEs may exist there). */
  private has4k(rel: number): boolean {
    return this.spte2m[this.idx2m(rel)] === SPTE_TABLE;
  }

  /**
   * clear4kBits for a range inside one 2M frame; returns the present SPTEs walked and
   * leaves the cleared bits (OR of the old values & bit) in `clearedBits`.
   */
  private clear4kBitsIn(start: number, end: number, bit: number): number {
    const s4 = this.spte4k;
    let walked = 0;
    let changed = 0;
    let rel = start;
    while (rel < end && (rel & 3) !== 0) {
      const spte = s4[rel];
      walked += spte & SPTE_PRESENT;
      changed |= spte & bit;
      s4[rel++] = spte & ~bit;
    }
    const words = this.words4k;
    const wEnd = (end >>> 2) | 0;
    const keep = ~(bit * REPEAT4);
    const presentMask = SPTE_PRESENT * REPEAT4;
    // Split regions repeat one word; remember the last word's results.
    let prev = 0;
    let prevWalked = 0;
    for (let w = rel >>> 2; w < wEnd; w++) {
      const v = words[w];
      if (v === 0) continue;
      if (v !== prev) {
        prev = v;
        // Sum the four PRESENT bits (bit 0 of each byte) with one multiply.
        prevWalked = Math.imul(v & presentMask, REPEAT4) >>> 24;
        changed |= v & ~keep;
      }
      walked += prevWalked;
      words[w] = v & keep;
    }
    rel = Math.max(rel, wEnd * 4);
    while (rel < end) {
      const spte = s4[rel];
      walked += spte & SPTE_PRESENT;
      changed |= spte & bit;
      s4[rel++] = spte & ~bit;
    }
    this.clearedBits = changed;
    return walked;
  }

  /** Tell the listener the frame at `level` containing `rel` was protected or zapped. */
  private notifyFrame(level: SpteLevel, rel: number): void {
    const listener = this.listener;
    if (!listener) return;
    let start = rel;
    let end = rel + 1;
    if (level === SpteLevel.PG_LEVEL_2M) {
      start = this.relOf2m(this.idx2m(rel));
      end = start + PTES_PER_TABLE;
    } else if (level === SpteLevel.PG_LEVEL_1G) {
      start = this.relOf1g(this.idx1g(rel));
      end = start + PAGES_1G;
    }
    listener.rangeProtected(Math.max(start, 0), Math.min(end, this.npages));
  }

  private zapTable2m(j: number): number {
    const r0 = this.relOf2m(j);
    const lo = Math.max(r0, 0);
    const hi = Math.min(r0 + PTES_PER_TABLE, this.npages);
    let walked = 0;
    if (this.uniform4k[j] !== 0) {
      // Every SPTE of a uniform frame is present, and its bytes are already 0.
      walked = hi - lo;
      this.uniform4k[j] = 0;
    } else {
      for (let r = lo; r < hi; r++) walked += this.spte4k[r] & SPTE_PRESENT;
      this.spte4k.fill(0, lo, hi);
    }
    this.listener?.rangeProtected(Math.max(r0, 0), Math.min(r0 + PTES_PER_TABLE, this.npages));
    this.spte2m[j] = 0;
    this.pages4k -= walked;
    this.tablePages--;
    return walked;
  }

  private zapTable1g(i: number): number {
    const r0 = this.relOf1g(i);
    const j0 = this.idx2m(r0);
    let walked = 0;
    for (let j = j0; j < j0 + PTES_PER_TABLE; j++) {
      const s2 = this.spte2m[j];
      if (s2 === SPTE_TABLE) walked += this.zapTable2m(j);
      else if (isLastSpte(s2)) {
        this.spte2m[j] = 0;
        this.pages2m--;
        this.notifyFrame(SpteLevel.PG_LEVEL_2M, this.relOf2m(j));
        walked++;
      }
    }
    this.spte1g[i] = 0;
    this.tablePages--;
    return walked;
  }
}

/** Set bits in a 32-bit word. */
function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** `into` (a new count if null) plus `add`; returns `into`. */
function addSplit(into: SplitCount | null, add: SplitCount): SplitCount {
  const sum = into ?? { splits: 0, sptes: 0, tables: 0 };
  sum.splits += add.splits;
  sum.sptes += add.sptes;
  sum.tables += add.tables;
  return sum;
}
