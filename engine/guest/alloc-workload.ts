import type { Rng } from '../sim/rng.ts';
import type { BuddyAllocator } from './buddy.ts';

/**
 * What an allocate/free workload keeps: its live blocks (first page and order), so it
 * can free a random one and write into them. Shared by the vCPUs that run the
 * workload, as the processes of one guest share its page allocator.
 */
export class AllocState {
  readonly buddy: BuddyAllocator;
  /** Pages the workload aims to hold. */
  readonly targetPages: number;
  /** Largest order it allocates; order k is half as likely as order k-1. */
  readonly maxAllocOrder: number;
  /** Pages it held at boot before freeing down to the target (a guest that once used more). */
  readonly peakPages: number;
  /** Live blocks by order: first pages, and how many of each order. */
  private heads: Int32Array[];
  private counts: Int32Array;
  count = 0;
  usedPages = 0;
  /** Allocations that found no free block. */
  failures = 0;
  allocs = 0;
  frees = 0;

  constructor(
    buddy: BuddyAllocator,
    targetPages: number,
    maxAllocOrder: number,
    peakPages: number = targetPages,
  ) {
    if (!Number.isInteger(maxAllocOrder) || maxAllocOrder < 0 || maxAllocOrder >= buddy.maxOrder) {
      throw new Error(
        `an alloc workload's order must be a whole number from 0 to ${buddy.maxOrder - 1}, got ${maxAllocOrder}`,
      );
    }
    this.buddy = buddy;
    this.targetPages = targetPages;
    this.peakPages = Math.max(peakPages, targetPages);
    this.maxAllocOrder = maxAllocOrder;
    this.heads = Array.from({ length: maxAllocOrder + 1 }, () => new Int32Array(64));
    this.counts = new Int32Array(maxAllocOrder + 1);
  }

  /** An order from 0..maxAllocOrder, each half as likely as the one below. */
  drawOrder(rng: Rng): number {
    const u = rng.next32();
    let o = 0;
    let p = 0.5;
    let acc = p;
    // Truncated geometric: the tail mass goes to maxAllocOrder.
    while (o < this.maxAllocOrder && u >= acc) {
      o++;
      p /= 2;
      acc += p;
    }
    return o;
  }

  /**
   * One churn step: allocate while below the target (default: the workload's),
   * otherwise free a random live block. Returns the block allocated ([head, order]) or null (a free, or a failure).
   */
  step(rng: Rng, target: number = this.targetPages): { head: number; order: number } | null {
    const order = this.drawOrder(rng);
    if (this.usedPages + (1 << order) <= target || this.count === 0) {
      const head = this.buddy.alloc(order);
      if (head < 0) {
        this.failures++;
        return null;
      }
      this.push(head, order);
      this.allocs++;
      return { head, order };
    }
    // A block chosen uniformly: its order by the number of live blocks of each order.
    let k = Math.floor(rng.next32() * this.count);
    let o = 0;
    while (k >= this.counts[o]) k -= this.counts[o++];
    this.freeAt(o, k);
    return null;
  }

  /**
   * A page to access, uniform over the allocated pages: an order by the pages held in
   * blocks of that order, a block of that order, a page in it. -1 when nothing is held.
   */
  pickPage(rng: Rng): number {
    if (this.usedPages === 0) return -1;
    let u = Math.floor(rng.next32() * this.usedPages);
    let o = 0;
    while (u >= this.counts[o] << o) {
      u -= this.counts[o] << o;
      o++;
    }
    return this.heads[o][u >>> o] + (u & ((1 << o) - 1));
  }

  private push(head: number, order: number): void {
    let list = this.heads[order];
    const n = this.counts[order];
    if (n === list.length) {
      const grown = new Int32Array(n * 2);
      grown.set(list);
      this.heads[order] = list = grown;
    }
    list[n] = head;
    this.counts[order] = n + 1;
    this.count++;
    this.usedPages += 1 << order;
  }

  private freeAt(order: number, k: number): void {
    const list = this.heads[order];
    const head = list[k];
    const n = --this.counts[order];
    list[k] = list[n];
    this.count--;
    this.usedPages -= 1 << order;
    this.frees++;
    this.buddy.free(head, order);
  }
}
