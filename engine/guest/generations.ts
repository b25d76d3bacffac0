import { PagedU32, PAGED_U32_DEFAULT_CHUNK_SHIFT } from './paged-u32.ts';
import { checkRange } from './range.ts';

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
 *   bit operations on small bitmaps instead of a random read of two 4-byte-per-page
 *   arrays (source and destination), which dominated a large guest's run.
 * Invariant: pending => behind (a write sets both; only `received` clears `behind`,
 * after adding the pending generations of its range).
 * Invariant: behind[i] === (get(i) !== 0 && the destination does not hold get(i)).
 * Generations only grow, so a generation set here is one the destination never saw.
 */
export class PageGenerations {
  readonly length: number;
  /** Generations with the pending ones not yet added. */
  private readonly base: PagedU32;
  private readonly pending: Uint32Array;
  private readonly behind: Uint32Array;
  /** Per `base` chunk: 1 if some page of it has a pending generation. */
  private readonly pendingChunks: Uint8Array;
  private readonly chunkShift: number;

  constructor(n: number, chunkShift: number = PAGED_U32_DEFAULT_CHUNK_SHIFT) {
    this.base = new PagedU32(n, chunkShift);
    this.length = n;
    this.chunkShift = chunkShift;
    this.pending = new Uint32Array(Math.ceil(n / 32));
    this.behind = new Uint32Array(Math.ceil(n / 32));
    this.pendingChunks = new Uint8Array(Math.ceil(n / 2 ** chunkShift));
  }

  /** Bytes of typed arrays held (the bitmaps are committed by the OS only where written). */
  get allocatedBytes(): number {
    return this.base.allocatedBytes + this.pending.byteLength + this.behind.byteLength;
  }

  /** The generation of page i, 0 <= i < length. */
  get(i: number): number {
    const v = this.base.get(i);
    return (this.pending[i >>> 5] >>> (i & 31)) & 1 ? v + 1 : v;
  }

  /**
   * A guest write to page i (0 <= i < length, unchecked: the caller's page is in its
   * slot): a new generation unless the page is behind. Returns true if it was new.
   */
  write(i: number): boolean {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const b = this.behind[w];
    if ((b & bit) !== 0) return false;
    this.behind[w] = b | bit;
    this.pending[w] |= bit;
    this.pendingChunks[i >>> this.chunkShift] = 1;
    return true;
  }

  /** True if page i holds data the destination does not have (a write is not a new generation). */
  isBehind(i: number): boolean {
    return ((this.behind[i >>> 5] >>> (i & 31)) & 1) !== 0;
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
    this.clearPending(i);
    this.base.set(i, v);
    this.behind[i >>> 5] |= 1 << (i & 31);
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
    if (this.base.countEqual(start, end, 0) !== end - start || this.anyPending(start, end)) {
      throw new RangeError(`pages [${start}, ${end}) were written already: cannot prefill them`);
    }
    this.base.fillRange(start, end, 1);
    setBits(this.behind, start, end);
  }

  /** Number of pages in [start, end) whose generation is v. */
  countEqual(start: number, end: number, v: number): number {
    this.settle(start, end);
    return this.base.countEqual(start, end, v);
  }

  /**
   * The destination received pages [start, end) with their current generations:
   * copies them into `dest` (same length and chunk size) and marks the pages current.
   */
  received(dest: PagedU32, start: number, end: number): void {
    this.settle(start, end);
    dest.copyRangeFrom(this.base, start, end);
    clearBits(this.behind, start, end);
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
    const pending = this.pending;
    const base = this.base;
    const c1 = (end - 1) >>> shift;
    for (let c = start >>> shift; c <= c1; c++) {
      if (this.pendingChunks[c] === 0) continue;
      const a = Math.max(start, c * 2 ** shift);
      const b = Math.min(end, (c + 1) * 2 ** shift);
      const w1 = (b - 1) >>> 5;
      for (let w = a >>> 5; w <= w1; w++) {
        let bits = pending[w];
        if (bits === 0) continue;
        if (w === a >>> 5) bits &= -1 << (a & 31);
        if (w === w1) bits &= -1 >>> (31 - ((b - 1) & 31));
        pending[w] ^= bits;
        while (bits !== 0) {
          const low = bits & -bits;
          base.increment(w * 32 + 31 - Math.clz32(low));
          bits ^= low;
        }
      }
      if (a === c * 2 ** shift && b === Math.min(this.length, (c + 1) * 2 ** shift)) {
        this.pendingChunks[c] = 0;
      }
    }
  }

  private clearPending(i: number): void {
    this.pending[i >>> 5] &= ~(1 << (i & 31));
  }

  private anyPending(start: number, end: number): boolean {
    for (let w = start >>> 5; w < Math.ceil(end / 32); w++) {
      let bits = this.pending[w];
      if (w === start >>> 5) bits &= -1 << (start & 31);
      if (w === (end - 1) >>> 5) bits &= -1 >>> (31 - ((end - 1) & 31));
      if (bits !== 0) return true;
    }
    return false;
  }
}

/** Set the bits of [start, end) in a bitmap (bit i & 31 of word i >>> 5). */
function setBits(words: Uint32Array, start: number, end: number): void {
  if (start >= end) return;
  const w0 = start >>> 5;
  const w1 = (end - 1) >>> 5;
  const lo = -1 << (start & 31);
  const hi = -1 >>> (31 - ((end - 1) & 31));
  if (w0 === w1) {
    words[w0] |= lo & hi;
    return;
  }
  words[w0] |= lo;
  words.fill(0xffffffff, w0 + 1, w1);
  words[w1] |= hi;
}

/** Clear the bits of [start, end) in a bitmap. */
function clearBits(words: Uint32Array, start: number, end: number): void {
  if (start >= end) return;
  const w0 = start >>> 5;
  const w1 = (end - 1) >>> 5;
  const lo = -1 << (start & 31);
  const hi = -1 >>> (31 - ((end - 1) & 31));
  if (w0 === w1) {
    words[w0] &= ~(lo & hi);
    return;
  }
  words[w0] &= ~lo;
  words.fill(0, w0 + 1, w1);
  words[w1] &= ~hi;
}
