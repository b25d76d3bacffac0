import type { Memslot } from '../kvm/memslot.ts';
import { SpteLevel } from '../kvm/types.ts';
import { SPTE_DIRTY, SPTE_WRITABLE } from '../kvm/spte.ts';
import { PageSet } from './page-set.ts';
import { PageGenerations } from './generations.ts';

/** One memslot of guest RAM as the simulator sees it. */
export interface RamSlot {
  /** Index in RAM order (slots sorted by guest physical address). */
  index: number;
  memslot: Memslot;
  /** First page of this slot in RAM page space (slots concatenated in gpa order). */
  ramStart: number;
  npages: number;
  /**
   * Write generation of each page: 0 for a page never written (zero content), then
   * +1 on the first write after the page was last sent. Writes between two sends are
   * one generation: the destination can only ever hold the last of them.
   */
  gen: PageGenerations;
  /**
   * Pages whose next write would change state: KVM would see it (a fault, a PML
   * entry: the SPTE is not writable and dirty) or the write is a new generation
   * (`gen.isBehind` is false). Every other write is invisible and changes nothing, so the guest
   * skips it in bulk; this set is a superset of the pages that matter, never less.
   */
  sensitive: PageSet;
}

/**
 * The guest's RAM: one RamSlot per memslot, the truth about what each page holds
 * (its generation), and the set of pages whose next write matters. KVM's SPTE
 * protections reach `sensitive` through the SlotTdp listener.
 */
export class GuestMemory {
  readonly slots: RamSlot[];
  readonly ramPages: number;

  constructor(memslots: readonly Memslot[]) {
    const sorted = [...memslots].sort((a, b) => a.baseGfn - b.baseGfn);
    let ramStart = 0;
    this.slots = sorted.map((memslot, index) => {
      const slot: RamSlot = {
        index,
        memslot,
        ramStart,
        npages: memslot.npages,
        gen: new PageGenerations(memslot.npages),
        sensitive: new PageSet(memslot.npages),
      };
      ramStart += memslot.npages;
      const set = slot.sensitive;
      memslot.tdp.listener = {
        rangeProtected: (start, end) => set.addRange(start, end),
        maskProtected: (base, mask) => set.addMask32(base, mask),
      };
      return slot;
    });
    this.ramPages = ramStart;
    // Before anything is mapped every write faults: every page is sensitive.
    for (const s of this.slots) s.sensitive.addRange(0, s.npages);
  }

  /** The slot holding RAM page `ramPage`. */
  slotOfRamPage(ramPage: number): RamSlot {
    const slots = this.slots;
    let lo = 0;
    let hi = slots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (slots[mid].ramStart <= ramPage) lo = mid;
      else hi = mid - 1;
    }
    return slots[lo];
  }

  /** Split the RAM page range [start, end) into per-slot relative ranges. */
  splitRange(start: number, end: number): { slot: RamSlot; start: number; end: number }[] {
    const out: { slot: RamSlot; start: number; end: number }[] = [];
    for (const s of this.slots) {
      const a = Math.max(start, s.ramStart);
      const b = Math.min(end, s.ramStart + s.npages);
      if (a < b) out.push({ slot: s, start: a - s.ramStart, end: b - s.ramStart });
    }
    return out;
  }

  /**
   * Record a guest write to `rel` of `slot` for the truth: a new generation if the
   * destination had the current one (or the page was never written).
   */
  recordWrite(slot: RamSlot, rel: number): void {
    slot.gen.write(rel);
  }

  /** Mark every page of `[0, fraction × npages)` of each slot as holding data (generation 1). */
  prefill(fraction: number): void {
    if (fraction <= 0) return;
    for (const s of this.slots) s.gen.fillWritten(0, Math.floor(s.npages * Math.min(1, fraction)));
  }

  get bytes(): number {
    let n = 0;
    for (const s of this.slots) n += s.gen.allocatedBytes + s.sensitive.bytes;
    return n;
  }
}

/** A write to `rel` changes nothing KVM can see: its leaf SPTE is writable and dirty. */
export function writeIsInvisibleToKvm(memslot: Memslot, rel: number): boolean {
  const tdp = memslot.tdp;
  const level = tdp.leafLevel(rel);
  if (level === 0) return false;
  const spte = level === SpteLevel.PG_LEVEL_4K ? tdp.spte4k[rel] : tdp.getSpte(level, rel);
  return (spte & (SPTE_WRITABLE | SPTE_DIRTY)) === (SPTE_WRITABLE | SPTE_DIRTY);
}
