import { checkRange } from './range.ts';

/**
 * A set of page indices in [0, capacity) for sampling uniformly among the pages of a range
 * ("pages whose next write would change state"), sized for a whole memslot: a 2^31-page
 * (8 TiB) slot costs 256 MiB of bitmap and 3 MiB of counts.
 *
 * Layout: one bit per page in `words` (bit i & 31 of word i >>> 5, the dirty bitmap's
 * order); pages are grouped in blocks of PAGE_SET_BLOCK_PAGES with a member count per
 * block, and a Fenwick tree over the block counts answers "members before block b" and
 * "which block holds the k-th member" in O(log blocks). Counting or selecting inside any
 * range then costs O(log blocks) plus a scan of at most two partial blocks' words.
 *
 * The tree is brought up to date lazily: a change only records its block's delta, and
 * the next count or select over more than a block applies the deltas (or rebuilds the
 * tree when many blocks changed). A guest that removes pages one by one between
 * queries (rejection sampling asks none) pays O(1) per change instead of O(log blocks).
 */

/** log2 of the pages per block. */
export const PAGE_SET_BLOCK_SHIFT = 12;
/** Pages per block (the unit of `blockCount` and of the Fenwick tree). */
export const PAGE_SET_BLOCK_PAGES = 1 << PAGE_SET_BLOCK_SHIFT;
/** 32-bit words per block. */
const BLOCK_WORDS = PAGE_SET_BLOCK_PAGES >>> 5;
const BLOCK_WORD_SHIFT = PAGE_SET_BLOCK_SHIFT - 5;
/** Largest capacity: block counts fit a Uint16Array and prefix sums a Uint32Array. */
export const PAGE_SET_MAX_CAPACITY = 2 ** 31;

// Invariants (checked by the randomized test against a naive set):
// - no bit at or above `capacity` is ever set;
// - blockCount[b] = popcount of block b's words, and `size` = sum of blockCount;
// - tree is the Fenwick tree of (blockCount - treeDelta): tree[j] (1-based) = sum over
//   blocks [j - lowbit(j), j); treeDelta[b] !== 0 only for blocks in staleBlocks[0..staleCount)
//   (each listed once, marked in isStale).
export class PageSet {
  readonly capacity: number;
  private readonly words: Uint32Array;
  private readonly blockCount: Uint16Array;
  private readonly tree: Uint32Array;
  /** Per block: members gained since the tree last saw the block. */
  private readonly treeDelta: Int32Array;
  private readonly staleBlocks: Uint32Array;
  private readonly isStale: Uint8Array;
  private staleCount = 0;
  private readonly nBlocks: number;
  /** Highest power of two <= nBlocks (start of the Fenwick descent); 0 when empty. */
  private readonly topStep: number;
  /** Bits of the last word below capacity. */
  private readonly lastWordMask: number;
  /**
   * With more stale blocks than this the tree is rebuilt in O(blocks) instead of
   * updated per block in O(log blocks) each.
   */
  private readonly rebuildThreshold: number;
  private size = 0;
  private mutations = 0;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 0 || n > PAGE_SET_MAX_CAPACITY) {
      throw new RangeError(`page set capacity must be an integer in [0, 2^31], got ${n}`);
    }
    this.capacity = n;
    const nWords = Math.ceil(n / 32);
    this.words = new Uint32Array(nWords);
    this.nBlocks = Math.ceil(n / PAGE_SET_BLOCK_PAGES);
    this.blockCount = new Uint16Array(this.nBlocks);
    this.tree = new Uint32Array(this.nBlocks + 1);
    this.treeDelta = new Int32Array(this.nBlocks);
    this.staleBlocks = new Uint32Array(this.nBlocks);
    this.isStale = new Uint8Array(this.nBlocks);
    this.topStep = this.nBlocks === 0 ? 0 : 2 ** Math.floor(Math.log2(this.nBlocks));
    this.lastWordMask = n % 32 === 0 ? 0xffffffff : (1 << (n % 32)) - 1;
    this.rebuildThreshold = Math.floor((2 * this.nBlocks) / (Math.log2(this.nBlocks + 1) + 1));
  }

  /** Number of members. */
  get count(): number {
    return this.size;
  }

  /**
   * A counter that increases whenever membership changes (never when an operation leaves
   * the set as it was), so a cached countRange stays valid while the version is equal.
   */
  get version(): number {
    return this.mutations;
  }

  /** Bytes of typed arrays held. */
  get bytes(): number {
    return (
      this.words.byteLength +
      this.blockCount.byteLength +
      this.tree.byteLength +
      this.treeDelta.byteLength +
      this.staleBlocks.byteLength +
      this.isStale.byteLength
    );
  }

  /** True if i is a member; false for anything that is not an integer in [0, capacity). */
  has(i: number): boolean {
    if (!((i | 0) === i && i >= 0 && i < this.capacity)) return false;
    return ((this.words[i >>> 5] >>> (i & 31)) & 1) !== 0;
  }

  /** Add page i, 0 <= i < capacity. Returns true if it was not a member before. */
  add(i: number): boolean {
    this.checkIndex(i);
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const old = this.words[w];
    if ((old & bit) !== 0) return false;
    this.words[w] = old | bit;
    this.adjustBlock(w >>> BLOCK_WORD_SHIFT, 1);
    return true;
  }

  /** Remove page i, 0 <= i < capacity. Returns true if it was a member. */
  delete(i: number): boolean {
    this.checkIndex(i);
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const old = this.words[w];
    if ((old & bit) === 0) return false;
    this.words[w] = old & ~bit;
    this.adjustBlock(w >>> BLOCK_WORD_SHIFT, -1);
    return true;
  }

  /** Add every page of [start, end), 0 <= start <= end <= capacity. */
  addRange(start: number, end: number): void {
    checkRange(start, end, this.capacity);
    this.updateRange(start, end, true);
  }

  /** Remove every page of [start, end), 0 <= start <= end <= capacity. */
  deleteRange(start: number, end: number): void {
    checkRange(start, end, this.capacity);
    this.updateRange(start, end, false);
  }

  /**
   * Add base + k for every set bit k (0..31) of `mask`; base is any integer >= 0 and need
   * not be word-aligned. Pages at or above capacity are ignored.
   */
  addMask32(base: number, mask: number): void {
    if (!Number.isInteger(base) || base < 0) {
      throw new RangeError(`addMask32 base must be an integer >= 0, got ${base}`);
    }
    if (mask === 0 || base >= this.capacity) return;
    const w = base >>> 5;
    const shift = base & 31;
    if (shift === 0) {
      this.orWord(w, mask);
    } else {
      // The mask straddles two words: its low 32 - shift bits land in word w.
      this.orWord(w, mask << shift);
      this.orWord(w + 1, mask >>> (32 - shift));
    }
  }

  /** Number of members in [start, end), 0 <= start <= end <= capacity. */
  countRange(start: number, end: number): number {
    checkRange(start, end, this.capacity);
    // Short ranges: a direct scan of at most BLOCK_WORDS + 1 words beats two prefix sums.
    if (end - start <= PAGE_SET_BLOCK_PAGES) return this.countBits(start, end);
    return this.countBefore(end) - this.countBefore(start);
  }

  /**
   * The k-th (0-based) member of [start, end) in index order.
   * Throws RangeError unless 0 <= k < countRange(start, end).
   */
  selectInRange(start: number, end: number, k: number): number {
    checkRange(start, end, this.capacity);
    if (!Number.isInteger(k) || k < 0) {
      throw new RangeError(`selectInRange k must be an integer >= 0, got ${k}`);
    }
    // Select globally and check the result against `end`, which saves counting up to end.
    const target = this.countBefore(start) + k;
    const i = target < this.size ? this.selectGlobal(target) : end;
    if (i >= end) {
      throw new RangeError(
        `selectInRange k=${k} is not below countRange(${start}, ${end}) = ${this.countRange(start, end)}`,
      );
    }
    return i;
  }

  /**
   * The smallest member in [from, end), or -1 if there is none. Requires
   * 0 <= from <= capacity and end <= capacity; from >= end gives -1. Skips empty blocks
   * by their counts, so sparse sets are scanned 128 words at a time.
   */
  nextMember(from: number, end: number): number {
    if (!Number.isInteger(from) || !Number.isInteger(end) || from < 0 || end > this.capacity) {
      throw new RangeError(`nextMember range [${from}, ${end}) is outside [0, ${this.capacity}]`);
    }
    if (from >= end) return -1;
    const words = this.words;
    const lastWord = (end - 1) >>> 5;
    let w = from >>> 5;
    let word = words[w] & (-1 << (from & 31));
    while (true) {
      if (word !== 0) {
        const i = w * 32 + (31 - Math.clz32(word & -word));
        return i < end ? i : -1;
      }
      w++;
      if ((w & (BLOCK_WORDS - 1)) === 0) {
        while (w <= lastWord && this.blockCount[w >>> BLOCK_WORD_SHIFT] === 0) w += BLOCK_WORDS;
      }
      if (w > lastWord) return -1;
      word = words[w];
    }
  }

  /** Remove every member. */
  clear(): void {
    this.words.fill(0);
    this.blockCount.fill(0);
    this.tree.fill(0);
    this.treeDelta.fill(0);
    this.isStale.fill(0);
    this.staleCount = 0;
    if (this.size !== 0) this.mutations++;
    this.size = 0;
  }

  private checkIndex(i: number): void {
    // (i | 0) === i rejects fractions and NaN; capacity <= 2^31 keeps i in int32 range.
    if (!((i | 0) === i && i >= 0 && i < this.capacity)) {
      throw new RangeError(`page ${i} is outside [0, ${this.capacity})`);
    }
  }

  /** Record `delta` members gained in block b (count and block count; the tree later). */
  private adjustBlock(b: number, delta: number): void {
    this.blockCount[b] += delta;
    this.size += delta;
    this.mutations++;
    this.treeDelta[b] += delta;
    if (this.isStale[b] === 0) {
      this.isStale[b] = 1;
      this.staleBlocks[this.staleCount++] = b;
    }
  }

  /** Bring the tree up to date with the blocks changed since it was last used. */
  private syncTree(): void {
    const k = this.staleCount;
    if (k === 0) return;
    const stale = this.staleBlocks;
    if (k > this.rebuildThreshold) {
      for (let q = 0; q < k; q++) {
        const b = stale[q];
        this.treeDelta[b] = 0;
        this.isStale[b] = 0;
      }
      this.staleCount = 0;
      this.rebuildTree();
      return;
    }
    const tree = this.tree;
    const n = this.nBlocks;
    for (let q = 0; q < k; q++) {
      const b = stale[q];
      const delta = this.treeDelta[b];
      this.treeDelta[b] = 0;
      this.isStale[b] = 0;
      if (delta !== 0) for (let j = b + 1; j <= n; j += j & -j) tree[j] += delta;
    }
    this.staleCount = 0;
  }

  /** OR `bits` into word w, ignoring words and bits at or above capacity. */
  private orWord(w: number, bits: number): void {
    if (w >= this.words.length) return;
    if (w === this.words.length - 1) bits &= this.lastWordMask;
    const old = this.words[w];
    const added = popcount32(bits & ~old);
    if (added === 0) return;
    this.words[w] = old | bits;
    this.adjustBlock(w >>> BLOCK_WORD_SHIFT, added);
  }

  /** Members in blocks [0, b). */
  private prefixBlocks(b: number): number {
    this.syncTree();
    const tree = this.tree;
    let sum = 0;
    for (let j = b; j > 0; j -= j & -j) sum += tree[j];
    return sum;
  }

  /** Members below x, 0 <= x <= capacity: the tree plus the nearer half of x's block. */
  private countBefore(x: number): number {
    const b = x >>> PAGE_SET_BLOCK_SHIFT;
    const off = x & (PAGE_SET_BLOCK_PAGES - 1);
    if (off === 0) return this.prefixBlocks(b);
    const blockStart = x - off;
    if (off <= PAGE_SET_BLOCK_PAGES / 2)
      return this.prefixBlocks(b) + this.countBits(blockStart, x);
    const blockEnd = Math.min(blockStart + PAGE_SET_BLOCK_PAGES, this.capacity);
    return this.prefixBlocks(b + 1) - this.countBits(x, blockEnd);
  }

  /** Popcount of [start, end) by words, 0 <= start <= end <= capacity. */
  private countBits(start: number, end: number): number {
    if (start >= end) return 0;
    const words = this.words;
    const w0 = start >>> 5;
    const w1 = (end - 1) >>> 5;
    const loMask = -1 << (start & 31);
    const hiMask = -1 >>> (31 - ((end - 1) & 31));
    if (w0 === w1) return popcount32(words[w0] & loMask & hiMask);
    let c = popcount32(words[w0] & loMask) + popcount32(words[w1] & hiMask);
    for (let w = w0 + 1; w < w1; w++) c += popcount32(words[w]);
    return c;
  }

  /** The member of global rank `target`, 0 <= target < count. */
  private selectGlobal(target: number): number {
    // Fenwick descent: the largest `pos` with prefixBlocks(pos) <= target, so block `pos`
    // holds the member and `rem` is its rank inside that block.
    this.syncTree();
    const tree = this.tree;
    const n = this.nBlocks;
    let pos = 0;
    let rem = target;
    for (let step = this.topStep; step > 0; step >>>= 1) {
      const next = pos + step;
      if (next <= n && tree[next] <= rem) {
        pos = next;
        rem -= tree[next];
      }
    }
    const words = this.words;
    const wStart = pos << BLOCK_WORD_SHIFT;
    const wEnd = Math.min((pos + 1) << BLOCK_WORD_SHIFT, words.length);
    const inBlock = this.blockCount[pos];
    if (2 * rem < inBlock) {
      for (let w = wStart; w < wEnd; w++) {
        const word = words[w];
        const c = popcount32(word);
        if (rem < c) return w * 32 + selectBit32(word, rem);
        rem -= c;
      }
    } else {
      // The upper half of the block's members: scan down from its end (half the words
      // on average), by the member's rank from the top.
      let top = inBlock - 1 - rem;
      for (let w = wEnd - 1; w >= wStart; w--) {
        const word = words[w];
        const c = popcount32(word);
        if (top < c) return w * 32 + selectBit32(word, c - 1 - top);
        top -= c;
      }
    }
    // Only reachable if blockCount or the tree disagree with the bitmap.
    throw new Error(`page-set counts are inconsistent: rank ${target} not found in block ${pos}`);
  }

  /** Set (or clear) every bit of [start, end) and keep the counts consistent. */
  private updateRange(start: number, end: number, set: boolean): void {
    if (start >= end) return;
    const b0 = start >>> PAGE_SET_BLOCK_SHIFT;
    const b1 = (end - 1) >>> PAGE_SET_BLOCK_SHIFT;
    const blockCount = this.blockCount;
    // Whole blocks [wb0, wb1) are filled with one call and counted from blockCount; a
    // partial block at either end goes word by word. A partial last block (capacity not
    // a multiple of the block size) is never whole, as end <= capacity.
    const headPartial = (start & (PAGE_SET_BLOCK_PAGES - 1)) !== 0;
    const tailPartial = end !== (b1 + 1) * PAGE_SET_BLOCK_PAGES;
    if (b0 === b1 && (headPartial || tailPartial)) {
      this.applyBlockDelta(b0, this.updateBits(start, end, set));
      return;
    }
    const wb0 = headPartial ? b0 + 1 : b0;
    const wb1 = tailPartial ? b1 : b1 + 1;
    if (headPartial) {
      this.applyBlockDelta(b0, this.updateBits(start, wb0 * PAGE_SET_BLOCK_PAGES, set));
    }
    if (wb1 > wb0) {
      this.words.fill(set ? 0xffffffff : 0, wb0 * BLOCK_WORDS, wb1 * BLOCK_WORDS);
      const full = set ? PAGE_SET_BLOCK_PAGES : 0;
      for (let b = wb0; b < wb1; b++) this.applyBlockDelta(b, full - blockCount[b]);
    }
    if (tailPartial) {
      this.applyBlockDelta(b1, this.updateBits(b1 * PAGE_SET_BLOCK_PAGES, end, set));
    }
  }

  private applyBlockDelta(b: number, delta: number): void {
    if (delta !== 0) this.adjustBlock(b, delta);
  }

  /** Set or clear the bits of [start, end) word by word; returns the change in members. */
  private updateBits(start: number, end: number, set: boolean): number {
    if (start >= end) return 0;
    const words = this.words;
    const w0 = start >>> 5;
    const w1 = (end - 1) >>> 5;
    let delta = 0;
    for (let w = w0; w <= w1; w++) {
      let mask = -1;
      if (w === w0) mask &= -1 << (start & 31);
      if (w === w1) mask &= -1 >>> (31 - ((end - 1) & 31));
      const old = words[w];
      if (set) {
        delta += popcount32(mask & ~old);
        words[w] = old | mask;
      } else {
        delta -= popcount32(mask & old);
        words[w] = old & ~mask;
      }
    }
    return delta;
  }

  /** Rebuild the Fenwick tree from blockCount in O(blocks) (no block may be stale). */
  private rebuildTree(): void {
    const tree = this.tree;
    const n = this.nBlocks;
    tree[0] = 0;
    for (let j = 1; j <= n; j++) tree[j] = this.blockCount[j - 1];
    for (let j = 1; j <= n; j++) {
      const parent = j + (j & -j);
      if (parent <= n) tree[parent] += tree[j];
    }
  }
}

/** Set bits of a 32-bit word (SWAR popcount, no loop over bits). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Position (0..31) of the set bit of rank r (0-based, from bit 0 up) in `word`;
 * requires r < popcount32(word). Binary search by halves: five popcounts.
 */
export function selectBit32(word: number, r: number): number {
  let pos = 0;
  let w = word >>> 0;
  let c = popcount32(w & 0xffff);
  if (r >= c) {
    r -= c;
    w >>>= 16;
    pos += 16;
  }
  c = popcount32(w & 0xff);
  if (r >= c) {
    r -= c;
    w >>>= 8;
    pos += 8;
  }
  c = popcount32(w & 0xf);
  if (r >= c) {
    r -= c;
    w >>>= 4;
    pos += 4;
  }
  c = (w & 1) + ((w >>> 1) & 1);
  if (r >= c) {
    r -= c;
    w >>>= 2;
    pos += 2;
  }
  return r >= (w & 1) ? pos + 1 : pos;
}
