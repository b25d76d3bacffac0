import type { RamSlot } from '../guest/memory.ts';
import { PagedU32 } from '../guest/paged-u32.ts';
import { ChunkedBitset } from './chunked-bitset.ts';

/** A page whose destination copy differs from the source when migration completed. */
export interface StalePage {
  gfn: number;
  /** Generation on the source and on the destination (-1: never received). */
  sourceGeneration: number;
  destinationGeneration: number;
}

/**
 * The destination's copy of guest RAM: for each page, the generation it received
 * (PagedU32, so a 1 TiB guest costs memory only where pages were written) and
 * whether it received the page at all (a ChunkedBitset: a first pass fills it in
 * order without touching 32 MiB per TiB).
 */
export class Destination {
  private readonly gen: PagedU32[];
  private readonly received: ChunkedBitset[];
  private readonly slots: readonly RamSlot[];

  constructor(slots: readonly RamSlot[]) {
    this.slots = slots;
    this.gen = slots.map((s) => new PagedU32(s.npages));
    this.received = slots.map((s) => new ChunkedBitset(s.npages));
  }

  /**
   * The pages [start, end) of `slot` arrive with the source's current generations.
   * Returns how many of them were never written (generation 0: zero pages).
   */
  receiveRange(slot: RamSlot, start: number, end: number): number {
    this.received[slot.index].setRange(start, end);
    return slot.gen.received(this.gen[slot.index], start, end);
  }

  receivedCount(): number {
    return this.received.reduce((n, r) => n + r.count, 0);
  }

  /** Count of pages whose destination copy is not the source's current one. */
  countStale(): number {
    let n = 0;
    for (const s of this.slots) {
      n += s.npages - this.received[s.index].count;
      n += this.gen[s.index].countDiff(s.gen.settled(), 0, s.npages);
    }
    // A page never received is counted once, even if its generation also differs.
    for (const s of this.slots) {
      const r = this.received[s.index];
      if (r.count === s.npages) continue;
      for (let p = r.nextClear(0, s.npages); p >= 0; p = r.nextClear(p + 1, s.npages)) {
        if (this.gen[s.index].get(p) !== s.gen.get(p)) n--;
      }
    }
    return n;
  }

  /**
   * Count of stale pages among those `keep` accepts (slot index, slot-relative page):
   * with a balloon, the pages the guest uses; a free page's content is the guest's to
   * ignore, and QEMU does not send what it discarded or was hinted.
   */
  countStaleWhere(keep: (slot: number, rel: number) => boolean): number {
    let n = 0;
    for (const s of this.slots) {
      const r = this.received[s.index];
      for (let p = r.nextClear(0, s.npages); p >= 0; p = r.nextClear(p + 1, s.npages)) {
        if (keep(s.index, p)) n++;
      }
      for (const p of this.gen[s.index].diff(s.gen.settled(), 0, s.npages, Infinity)) {
        if (r.has(p) && keep(s.index, p)) n++;
      }
    }
    return n;
  }

  /** The stale pages (those `keep` accepts, if given), in gfn order, at most `limit`. */
  listStale(limit: number, keep?: (slot: number, rel: number) => boolean): StalePage[] {
    const out: StalePage[] = [];
    for (const s of this.slots) {
      const r = this.received[s.index];
      const base = s.memslot.baseGfn;
      const seen = new Set<number>();
      for (
        let p = r.nextClear(0, s.npages);
        p >= 0 && out.length < limit;
        p = r.nextClear(p + 1, s.npages)
      ) {
        seen.add(p);
        if (keep && !keep(s.index, p)) continue;
        out.push({ gfn: base + p, sourceGeneration: s.gen.get(p), destinationGeneration: -1 });
      }
      for (const p of this.gen[s.index].diff(
        s.gen.settled(),
        0,
        s.npages,
        keep ? Infinity : limit,
      )) {
        if (out.length >= limit) break;
        if (seen.has(p) || (keep && !keep(s.index, p))) continue;
        out.push({
          gfn: base + p,
          sourceGeneration: s.gen.get(p),
          destinationGeneration: this.gen[s.index].get(p),
        });
      }
    }
    return out.sort((a, b) => a.gfn - b.gfn).slice(0, limit);
  }

  /**
   * The run is over: the received generations' chunks go back to the thread's pool
   * (PagedU32.release). Nothing may use the destination after.
   */
  release(): void {
    for (const g of this.gen) g.release();
  }

  get bytes(): number {
    let n = 0;
    for (let k = 0; k < this.gen.length; k++)
      n += this.gen[k].allocatedBytes + this.received[k].bytes;
    return n;
  }
}
