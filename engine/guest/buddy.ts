/**
 * The guest's buddy allocator (mm/page_alloc.c), over RAM pages (slots concatenated
 * in gpa order): free lists per order 0..maxOrder-1, blocks naturally aligned, a freed
 * block merged with its free buddy (`__free_one_page`), an allocation split from the
 * smallest larger block (`__rmqueue_smallest` + `expand`). One zone, one migratetype.
 * Per-page state lives in typed arrays; the free lists are doubly linked through
 * `next`/`prev` indexed by a block's first page.
 */

/** Linux before 6.4: MAX_ORDER 11, orders 0..10 (4 MiB blocks on x86-64). */
export const DEFAULT_MAX_ORDER = 11;
/** pageblock_order with 4 KiB pages and 2 MiB huge pages (x86-64). */
export const PAGEBLOCK_ORDER = 9;

/** What a page is, from the allocator's point of view (one byte per page). */
export const PAGE_ALLOCATED = 0;
/** In a block on a free list. */
export const PAGE_FREE = 1;
/** Taken off the free list by page reporting while the device works on it. */
export const PAGE_ISOLATED = 2;
/** Allocated by the balloon driver for free page hinting, held until the host is done. */
export const PAGE_HINTED = 3;

const NIL = -1;

export class BuddyAllocator {
  readonly npages: number;
  readonly maxOrder: number;
  /** PAGE_* per page. */
  readonly state: Uint8Array;
  /** Free blocks per order (`zone->free_area[order].nr_free`). */
  readonly nrFree: Int32Array;
  /** Pages in free blocks (not isolated, not hinted). */
  freePages = 0;
  /**
   * Called after a block is freed into the lists with its final (merged) order, unless
   * the caller asked to skip it (FPI_SKIP_REPORT_NOTIFY): where page reporting hooks
   * `page_reporting_notify_free` and s390 `arch_free_page`.
   */
  onFree: ((head: number, order: number, freedHead: number, freedOrder: number) => void) | null =
    null;
  /** An allocation found no block: a shrinker may give pages back (returns true if it did). */
  onShortage: (() => boolean) | null = null;
  /** Order of the free block starting at a page, or -1. */
  private readonly headOrder: Int8Array;
  /** PageReported on a free block's first page. */
  private readonly reported: Uint8Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly listHead: Int32Array;
  private readonly listTail: Int32Array;
  /** [start, end) page ranges a block may not cross (memslots: no merging across them). */
  private readonly segments: readonly (readonly [number, number])[];

  /** Every page starts allocated; `freeRange` hands memory to the allocator. */
  constructor(
    npages: number,
    maxOrder: number = DEFAULT_MAX_ORDER,
    segments: readonly (readonly [number, number])[] = [[0, npages]],
  ) {
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 20) {
      throw new Error(`maxOrder must be a whole number from 1 to 20, got ${maxOrder}`);
    }
    this.npages = npages;
    this.maxOrder = maxOrder;
    this.segments = segments;
    this.state = new Uint8Array(npages);
    this.headOrder = new Int8Array(npages).fill(-1);
    this.reported = new Uint8Array(npages);
    this.next = new Int32Array(npages).fill(NIL);
    this.prev = new Int32Array(npages).fill(NIL);
    this.listHead = new Int32Array(maxOrder).fill(NIL);
    this.listTail = new Int32Array(maxOrder).fill(NIL);
    this.nrFree = new Int32Array(maxOrder);
  }

  /** Free every page of [start, end) as the largest aligned blocks (memblock_free_all at boot). */
  freeRange(start: number, end: number): void {
    let p = start;
    while (p < end) {
      let order = this.maxOrder - 1;
      while (order > 0 && (p % (1 << order) !== 0 || p + (1 << order) > end)) order--;
      this.free(p, order, { notify: false });
      p += 1 << order;
    }
  }

  /**
   * Allocate a block of 2^order pages (`__rmqueue_smallest`): the first block of the
   * smallest order that has one, split down with the upper halves going back to the
   * lists (`expand`). Returns its first page, or -1 when no block is large enough.
   */
  alloc(order: number, as: typeof PAGE_ALLOCATED | typeof PAGE_HINTED = PAGE_ALLOCATED): number {
    let o = order;
    while (o < this.maxOrder && this.listHead[o] === NIL) o++;
    if (o === this.maxOrder) {
      if (this.onShortage?.()) return this.alloc(order, as);
      return NIL;
    }
    const head = this.listHead[o];
    this.unlink(head, o);
    // expand(): the halves lose PageReported (their host pages may already be gone;
    // reporting them again later discards nothing new).
    while (o > order) {
      o--;
      this.link(head + (1 << o), o, false, false);
    }
    this.state.fill(as, head, head + (1 << order));
    return head;
  }

  /**
   * Free the block [head, head + 2^order) (`__free_one_page`): merge with free buddies
   * inside the same segment up to maxOrder-1, then add it to the head of its list (the
   * tail with `toTail`, as `__putback_isolated_page` does for reported pages). Returns
   * the merged block's first page and order.
   */
  free(
    head: number,
    order: number,
    opts: { toTail?: boolean; notify?: boolean } = {},
  ): { head: number; order: number } {
    const freedHead = head;
    const freedOrder = order;
    this.state.fill(PAGE_FREE, head, head + (1 << order));
    while (order < this.maxOrder - 1) {
      const buddy = head ^ (1 << order);
      if (buddy >= this.npages || this.headOrder[buddy] !== order) break;
      const lo = Math.min(head, buddy);
      if (!this.inOneSegment(lo, lo + (2 << order))) break;
      this.unlink(buddy, order);
      head = lo;
      order++;
    }
    this.link(head, order, opts.toTail ?? false, false);
    if (opts.notify ?? true) this.onFree?.(head, order, freedHead, freedOrder);
    return { head, order };
  }

  /** Take a free block off its list for reporting (`__isolate_free_page`). */
  isolate(head: number, order: number): void {
    this.unlink(head, order);
    this.state.fill(PAGE_ISOLATED, head, head + (1 << order));
  }

  /**
   * Return a reported block (`__putback_isolated_page`): freed to the tail without a
   * report notification, and marked PageReported if it did not merge.
   */
  putbackReported(head: number, order: number): void {
    const merged = this.free(head, order, { toTail: true, notify: false });
    if (merged.head === head && merged.order === order) this.reported[head] = 1;
  }

  /** First block on the free list of `order`, or -1. */
  firstFree(order: number): number {
    return this.listHead[order];
  }

  /** The block after `head` on its free list, or -1. */
  nextFree(head: number): number {
    return this.next[head];
  }

  isReported(head: number): boolean {
    return this.reported[head] === 1;
  }

  /** The page is in a block on a free list (neither allocated, isolated nor hinted). */
  isFree(page: number): boolean {
    return this.state[page] === PAGE_FREE;
  }

  /** Pages in free blocks of `order` and above. */
  freePagesAtOrAbove(order: number): number {
    let n = 0;
    for (let o = order; o < this.maxOrder; o++) n += this.nrFree[o] << o;
    return n;
  }

  /** Bytes of the allocator's per-page arrays. */
  get bytes(): number {
    return this.npages * 11;
  }

  private inOneSegment(start: number, end: number): boolean {
    for (const [a, b] of this.segments) if (start >= a && start < b) return end <= b;
    return false;
  }

  private link(head: number, order: number, toTail: boolean, reported: boolean): void {
    this.headOrder[head] = order;
    this.reported[head] = reported ? 1 : 0;
    if (toTail) {
      const t = this.listTail[order];
      this.prev[head] = t;
      this.next[head] = NIL;
      if (t === NIL) this.listHead[order] = head;
      else this.next[t] = head;
      this.listTail[order] = head;
    } else {
      const h = this.listHead[order];
      this.next[head] = h;
      this.prev[head] = NIL;
      if (h === NIL) this.listTail[order] = head;
      else this.prev[h] = head;
      this.listHead[order] = head;
    }
    this.nrFree[order]++;
    this.freePages += 1 << order;
  }

  private unlink(head: number, order: number): void {
    const n = this.next[head];
    const p = this.prev[head];
    if (p === NIL) this.listHead[order] = n;
    else this.next[p] = n;
    if (n === NIL) this.listTail[order] = p;
    else this.prev[n] = p;
    this.next[head] = NIL;
    this.prev[head] = NIL;
    this.headOrder[head] = -1;
    this.reported[head] = 0;
    this.nrFree[order]--;
    this.freePages -= 1 << order;
  }
}
