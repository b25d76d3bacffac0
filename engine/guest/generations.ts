import { PagedU32, PAGED_U32_DEFAULT_CHUNK_SHIFT } from './paged-u32.ts';
import { checkRange } from './range.ts';

/** log2 of the pages per group of `behindGroups` (one 4 KiB page of `bits`). */
const GROUP_SHIFT = 14;
/** Pages per group, a literal: `2 ** GROUP_SHIFT` in a loop is a Math.pow call per use. */
const GROUP_PAGES = 16_384;
/** `received` takes runs up to this long in one fused pass (receivedShortRun). */
const SHORT_RUN = 64;

/**
 * The write generation of each page of one slot (DESIGN "Verification"): 0 for a page
 * never written, +1 on the first write after the destination received the page's
 * current generation (or on the first write ever). Writes in between are one
 * generation: the destination can only ever hold the last of them.
 *
 * Two bits per page keep a guest write off the generations themselves:
 * - `behind`: the page holds data (generation > 0) and the destination does not hold
 *   its current generation. A write to such a page is not a new generation; a write
 *   to any other page is. This is the rule `generation === 0 || destination current`
 *   without reading either generation.
 * - `pending`: a new generation not yet added to `base`. Adding it waits until the
 *   generation is read (the page is sent, or checked at the end), so a write costs two
 *   bit operations on one cache line instead of a random read of two 4-byte-per-page
 *   arrays (source and destination), which dominated a large guest's run.
 * The two bits of 32 pages are neighbours: bits[2w] holds `behind` and bits[2w + 1]
 * `pending` of pages [32w, 32w + 32).
 * Invariant: pending => behind (a write sets both; only `received` clears `behind`,
 * after adding the pending generations of its range).
 * Invariant: behind[i] === (get(i) !== 0 && the destination does not hold get(i)).
 * Invariant: behindGroups[g] === 0 => no `behind` bit in group g (so a send of a
 * never-written region does not touch, and make the OS fault in, its bitmap pages).
 * Generations only grow, so a generation set here is one the destination never saw.
 */
export class PageGenerations {
  readonly length: number;
  /** Generations with the pending ones not yet added. */
  private readonly base: PagedU32;
  private readonly bits: Uint32Array;
  /** Per `base` chunk: 1 if some page of it may have a pending generation. */
  private readonly pendingChunks: Uint8Array;
  /** Per group of 2^GROUP_SHIFT pages: 1 if some page of it may be behind. */
  private readonly behindGroups: Uint8Array;
  private readonly chunkShift: number;
  private readonly chunkSize: number;

  constructor(n: number, chunkShift: number = PAGED_U32_DEFAULT_CHUNK_SHIFT) {
    this.base = new PagedU32(n, chunkShift);
    this.length = n;
    this.chunkShift = chunkShift;
    this.chunkSize = 2 ** chunkShift;
    this.bits = new Uint32Array(2 * Math.ceil(n / 32));
    this.pendingChunks = new Uint8Array(Math.ceil(n / this.chunkSize));
    this.behindGroups = new Uint8Array(Math.ceil(n / GROUP_PAGES));
  }

  /** Bytes of typed arrays held (the bitmaps are committed by the OS only where written). */
  get allocatedBytes(): number {
    return this.base.allocatedBytes + this.bits.byteLength;
  }

  /** The generation of page i, 0 <= i < length. */
  get(i: number): number {
    const v = this.base.get(i);
    return (this.bits[2 * (i >>> 5) + 1] >>> (i & 31)) & 1 ? v + 1 : v;
  }

  /**
   * A guest write to page i (0 <= i < length, unchecked: the caller's page is in its
   * slot): a new generation unless the page is behind. Returns true if it was new.
   */
  write(i: number): boolean {
    const w = 2 * (i >>> 5);
    const bit = 1 << (i & 31);
    const b = this.bits[w];
    if ((b & bit) !== 0) return false;
    this.bits[w] = b | bit;
    this.bits[w + 1] |= bit;
    this.pendingChunks[i >>> this.chunkShift] = 1;
    this.behindGroups[i >>> GROUP_SHIFT] = 1;
    return true;
  }

  /** True if page i holds data the destination does not have (a write is not a new generation). */
  isBehind(i: number): boolean {
    return ((this.bits[2 * (i >>> 5)] >>> (i & 31)) & 1) !== 0;
  }

  /**
   * The word holding page i's bits, read for its side effect: the cache line arrives
   * before the page's write needs it (VcpuThread reads ahead of a plan of accesses).
   */
  readAhead(i: number): number {
    return this.bits[2 * (i >>> 5)];
  }

  /**
   * Set page i's generation to v, which must be larger than its current one
   * (generations only grow: the destination has never held v).
   */
  set(i: number, v: number): void {
    const old = this.get(i);
    if (!(Number.isInteger(v) && v > old && v < 2 ** 32)) {
      throw new RangeError(
        `page ${i}: a generation only grows, from ${old} to an integer below 2^32, got ${v}`,
      );
    }
    const w = 2 * (i >>> 5);
    const bit = 1 << (i & 31);
    this.bits[w + 1] &= ~bit;
    this.base.set(i, v);
    this.bits[w] |= bit;
    this.behindGroups[i >>> GROUP_SHIFT] = 1;
  }

  /** Page i gets a new generation (its content changed without a guest write: a discard). */
  increment(i: number): void {
    this.set(i, this.get(i) + 1);
  }

  /**
   * Pages [start, end), never written, hold data from before the run (generation 1).
   * Throws if one of them has a generation already.
   */
  fillWritten(start: number, end: number): void {
    checkRange(start, end, this.length);
    this.settle(start, end);
    if (this.base.countEqual(start, end, 0) !== end - start) {
      throw new RangeError(`pages [${start}, ${end}) were written already: cannot prefill them`);
    }
    if (start === end) return;
    this.base.fillRange(start, end, 1);
    const w0 = start >>> 5;
    const w1 = (end - 1) >>> 5;
    for (let w = w0; w <= w1; w++) {
      this.bits[2 * w] |= wordMaskOf(w, start, end);
    }
    this.behindGroups.fill(1, start >>> GROUP_SHIFT, ((end - 1) >>> GROUP_SHIFT) + 1);
  }

  /** Number of pages in [start, end) whose generation is v. */
  countEqual(start: number, end: number, v: number): number {
    this.settle(start, end);
    return this.base.countEqual(start, end, v);
  }

  /**
   * The destination received pages [start, end) with their current generations:
   * copies them into `dest` (same length and chunk size) and marks the pages current.
   * Returns how many of them have generation 0 (never written: QEMU finds them zero
   * and sends them as zero pages), counted by the copy after the one settle it needs.
   */
  received(dest: PagedU32, start: number, end: number): number {
    const zeros = this.receivedShortRun(dest, start, end);
    return zeros >= 0 ? zeros : this.receivedRange(dest, start, end);
  }

  /** `received` without its fused path for short runs: the test's reference for it. */
  receivedRange(dest: PagedU32, start: number, end: number): number {
    this.settle(start, end);
    const zeros = dest.copyRangeFrom(this.base, start, end, 0);
    this.clearBehind(start, end);
    return zeros;
  }

  /**
   * `received` for a run of at most SHORT_RUN pages inside one chunk whose entries
   * both sides hold (a migration sends a hot set a few pages at a time, millions of
   * runs): settle, copy, count and clear `behind` in one pass over its words. Returns
   * the zero pages, or -1 when the run is not such a run (the general path then takes
   * it, and its checks). Leaves everything as settle, copyRangeFrom and clearBehind
   * would: a run short of its chunk's end settles no whole chunk, collapses none, and
   * covers no whole group.
   */
  private receivedShortRun(dest: PagedU32, start: number, end: number): number {
    const shift = this.chunkShift;
    const c = start >>> shift;
    if (
      !(start >>> 0 === start && end >>> 0 === end && start < end && end - start <= SHORT_RUN) ||
      end >= this.length ||
      // ends short of its chunk's end (a copy to the end may collapse the chunk)
      end >>> shift !== c ||
      dest.length !== this.length ||
      dest.chunkShift !== shift
    ) {
      return -1;
    }
    const src = this.base.materializedChunk(c);
    const to = dest.materializedChunk(c);
    if (src === null || to === null) return -1;
    const bits = this.bits;
    const groups = this.behindGroups;
    const off = c * this.chunkSize;
    const w0 = start >>> 5;
    const w1 = (end - 1) >>> 5;
    for (let w = w0; w <= w1; w++) {
      const mask = wordMaskOf(w, start, end);
      const pending = bits[2 * w + 1] & mask;
      if (pending !== 0) {
        bits[2 * w + 1] ^= pending;
        const at = w * 32 - off;
        for (let b = pending; b !== 0; b &= b - 1) {
          const k = at + 31 - Math.clz32(b & -b);
          src[k] = src[k] + 1;
        }
      }
      // A group flagged 0 has no `behind` bit to clear (and its words stay untouched).
      if (groups[w >>> (GROUP_SHIFT - 5)] !== 0) bits[2 * w] &= ~mask;
    }
    let zeros = 0;
    for (let i = start - off, e = end - off; i < e; i++) {
      const v = src[i];
      to[i] = v;
      if (v === 0) zeros++;
    }
    return zeros;
  }

  /**
   * The run is over: the generations' chunks go back to the thread's pool
   * (PagedU32.release). Nothing may read or write the generations after.
   */
  release(): void {
    this.base.release();
  }

  /** Every generation, settled: for whole-slot comparisons (do not keep the reference). */
  settled(): PagedU32 {
    this.settle(0, this.length);
    return this.base;
  }

  /** Add the pending generations of [start, end) to `base`. */
  private settle(start: number, end: number): void {
    checkRange(start, end, this.length);
    if (start === end) return;
    const shift = this.chunkShift;
    const size = this.chunkSize;
    const bits = this.bits;
    const base = this.base;
    const c1 = (end - 1) >>> shift;
    for (let c = start >>> shift; c <= c1; c++) {
      if (this.pendingChunks[c] === 0) continue;
      const a = Math.max(start, c * size);
      const b = Math.min(end, (c + 1) * size);
      const w0 = a >>> 5;
      const w1 = (b - 1) >>> 5;
      for (let w = w0; w <= w1; w++) {
        let mask = bits[2 * w + 1];
        if (mask === 0) continue;
        if (w === w0) mask &= -1 << (a & 31);
        if (w === w1) mask &= -1 >>> (31 - ((b - 1) & 31));
        bits[2 * w + 1] ^= mask;
        base.incrementBits(w * 32, mask);
      }
      if (a === c * size && b === Math.min(this.length, (c + 1) * size)) {
        this.pendingChunks[c] = 0;
      }
    }
  }

  /** Clear the `behind` bits of [start, end), skipping groups that have none. */
  private clearBehind(start: number, end: number): void {
    if (start >= end) return;
    const bits = this.bits;
    const groups = this.behindGroups;
    const g1 = (end - 1) >>> GROUP_SHIFT;
    for (let g = start >>> GROUP_SHIFT; g <= g1; g++) {
      if (groups[g] === 0) continue;
      const gStart = g * GROUP_PAGES;
      const a = Math.max(start, gStart);
      const b = Math.min(end, gStart + GROUP_PAGES);
      const w0 = a >>> 5;
      const w1 = (b - 1) >>> 5;
      for (let w = w0; w <= w1; w++) {
        const mask = wordMaskOf(w, a, b);
        bits[2 * w] &= ~mask;
      }
      if (a === gStart && b === Math.min(this.length, gStart + GROUP_PAGES)) groups[g] = 0;
    }
  }
}

/** The bits of word w that hold pages of [start, end) (start < end, w inside it). */
function wordMaskOf(w: number, start: number, end: number): number {
  let mask = -1;
  if (w === start >>> 5) mask &= -1 << (start & 31);
  if (w === (end - 1) >>> 5) mask &= -1 >>> (31 - ((end - 1) & 31));
  return mask;
}
