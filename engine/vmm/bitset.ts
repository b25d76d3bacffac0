/** log2 of the words per block of `Bitset.blocks` (1024 bits). */
const BLOCK_SHIFT = 5;
const BLOCK_WORDS = 32;

/**
 * A plain bitset over [0, n) with a member count: QEMU's per-RAMBlock migration
 * bitmap (`rb->bmap`) and dirty-memory bitmap. Words are 32 bits, little-endian bit
 * order, the same layout as KVM's dirty bitmap, so KVM's words can be OR-ed in.
 *
 * `setAll` (ram_init_bitmaps: every page dirty) sets a suffix [onesFrom, n) without
 * writing its words, which stay 0: a 1 TiB guest's bitmap is 32 MiB that the OS would
 * fault in page by page just to be cleared again by the first pass, which sends in
 * order from the start and so only moves `onesFrom` up. Any other change inside the
 * suffix writes the ones out below it first (`writeOnesTo`). Bits at or past
 * `onesFrom` are members whatever their words hold (0).
 *
 * A byte per block of 32 words lets `nextSet` skip empty blocks: a migration's cursor
 * otherwise reads the whole 32 MiB bitmap of a 1 TiB guest once per pass to find a
 * hot set's few dirty pages. Every method that sets bits marks their blocks; clearing
 * leaves the marks, and `nextSet` unmarks a block it read whole and found empty.
 * Invariant: blocks[b] === 0 => words [32b, 32b + 32) are all 0. Write `words` only
 * through the methods.
 */
export class Bitset {
  readonly length: number;
  /** The bits below `onesFrom`; the words of the all-set suffix are 0. */
  readonly words: Uint32Array;
  count = 0;
  /** Every bit of [onesFrom, length) is set (their words are 0): see setAll. */
  onesFrom: number;
  private readonly blocks: Uint8Array;

  constructor(length: number) {
    this.length = length;
    this.onesFrom = length;
    this.words = new Uint32Array(Math.ceil(length / 64) * 2);
    this.blocks = new Uint8Array(Math.ceil(this.words.length / BLOCK_WORDS));
  }

  has(i: number): boolean {
    return i >= this.onesFrom || (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  set(i: number): boolean {
    if (i >= this.onesFrom) return false;
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if (this.words[w] & bit) return false;
    this.words[w] |= bit;
    this.blocks[w >>> BLOCK_SHIFT] = 1;
    this.count++;
    return true;
  }

  clear(i: number): boolean {
    if (i >= this.onesFrom) {
      this.clearRange(i, i + 1);
      return true;
    }
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if ((this.words[w] & bit) === 0) return false;
    this.words[w] &= ~bit;
    this.count--;
    return true;
  }

  /** Set every bit of [start, end), a word at a time (a short run is one masked word). */
  setRange(start: number, end: number): void {
    end = Math.min(end, this.onesFrom);
    if (start >= end) return;
    const words = this.words;
    const w0 = start >>> 5;
    const w1 = (end - 1) >>> 5;
    let added = 0;
    for (let w = w0; w <= w1; w++) {
      const mask = rangeMask(w, w0, w1, start, end);
      const old = words[w];
      added += popcount32(mask & ~old);
      words[w] = old | mask;
    }
    for (let b = w0 >>> BLOCK_SHIFT; b <= w1 >>> BLOCK_SHIFT; b++) this.blocks[b] = 1;
    this.count += added;
  }

  /** Clear every bit of [start, end), a word at a time. */
  clearRange(start: number, end: number): void {
    if (start >= end) return;
    if (end > this.onesFrom) {
      // The suffix's part [onesFrom, end) is cleared by moving its start past it (its
      // words are 0 already); a range that starts above it writes out the ones below.
      this.writeOnesTo(start);
      const from = Math.max(start, this.onesFrom);
      this.count -= end - from;
      this.onesFrom = end;
      end = from;
      if (start >= end) return;
    }
    const words = this.words;
    const w0 = start >>> 5;
    const w1 = (end - 1) >>> 5;
    let removed = 0;
    for (let w = w0; w <= w1; w++) {
      const mask = rangeMask(w, w0, w1, start, end);
      const old = words[w];
      removed += popcount32(mask & old);
      words[w] = old & ~mask;
    }
    this.count -= removed;
  }

  /** this |= src (same layout; bits past `length` must be 0, as in KVM's log). Returns bits newly set. */
  orWords(src: Uint32Array): number {
    return this.orWordsMarking(src, null, 0);
  }

  /**
   * orWords, and for each non-zero word w of `src` sets `marks[w >>> markShift]` to 1
   * (a chunk of 2^markShift words has bits) if `marks` is given, in the same pass.
   * Only words [from, to) when given.
   */
  orWordsMarking(
    src: Uint32Array,
    marks: Uint8Array | null,
    markShift: number,
    from = 0,
    to = Infinity,
  ): number {
    const end = Math.min(this.words.length, src.length, to);
    // Words wholly inside the all-set suffix add nothing: only their chunks' marks.
    const n = Math.min(end, Math.max(from, Math.ceil(this.onesFrom / 32)));
    let added = 0;
    let w = from;
    // Eight words to a test: after a first pass, most of a large guest's log is zero.
    for (; w + 8 <= n; w += 8) {
      const any = src[w] | src[w + 1] | src[w + 2] | src[w + 3];
      if ((any | src[w + 4] | src[w + 5] | src[w + 6] | src[w + 7]) === 0) continue;
      for (let k = w; k < w + 8; k++) added += this.orWord(k, src[k], marks, markShift);
    }
    for (; w < n; w++) added += this.orWord(w, src[w], marks, markShift);
    if (marks && n < end) markNonZeroChunks(src, n, end, marks, markShift);
    this.count += added;
    return added;
  }

  /** Move every bit of `other` into this (this |= other; other = 0). Returns bits newly set here. */
  takeFrom(other: Bitset): number {
    let added = this.orWords(other.words);
    if (other.onesFrom < other.length) {
      const before = this.count;
      this.setRange(other.onesFrom, other.length);
      added += this.count - before;
    }
    other.clearAll();
    return added;
  }

  /** Set every bit (QEMU's ram_init_bitmaps), as an all-set suffix from 0: no word is written. */
  setAll(): void {
    // The suffix's words must be 0: a bitset with members below it is cleared first.
    if (this.count - (this.length - this.onesFrom) > 0) this.clearAll();
    this.onesFrom = 0;
    this.count = this.length;
  }

  /** The suffix starts at `to` or later: its bits below `to` are written out as ones. */
  private writeOnesTo(to: number): void {
    const from = this.onesFrom;
    if (to <= from) return;
    this.onesFrom = to;
    // setRange counts the bits it sets: they were members already.
    const before = this.count;
    this.setRange(from, to);
    this.count = before;
  }

  /** First set bit in [from, end), or -1. Skips unmarked blocks; unmarks empty ones it reads whole. */
  nextSet(from: number, end: number): number {
    if (from >= end) return -1;
    if (from >= this.onesFrom) return from;
    if (end > this.onesFrom) {
      const i = this.nextSet(from, this.onesFrom);
      return i >= 0 ? i : this.onesFrom;
    }
    const words = this.words;
    const blocks = this.blocks;
    let w = from >>> 5;
    let bits = words[w] & (~0 << (from & 31));
    const wEnd = (end - 1) >>> 5;
    // Whether this block was read from its first bit (so, reaching its end, it is empty).
    let whole = (w & (BLOCK_WORDS - 1)) === 0 && (from & 31) === 0;
    while (true) {
      if (bits !== 0) {
        const i = (w << 5) + (31 - Math.clz32(bits & -bits));
        return i < end ? i : -1;
      }
      if (++w > wEnd) return -1;
      if ((w & (BLOCK_WORDS - 1)) === 0) {
        let b = w >>> BLOCK_SHIFT;
        if (whole) blocks[b - 1] = 0;
        const bEnd = wEnd >>> BLOCK_SHIFT;
        while (b <= bEnd && blocks[b] === 0) b++;
        if (b > bEnd) return -1;
        w = b * BLOCK_WORDS;
        whole = true;
      }
      bits = words[w];
    }
  }

  /** First clear bit in [from, end), or -1. */
  nextClear(from: number, end: number): number {
    end = Math.min(end, this.onesFrom);
    if (from >= end) return -1;
    const words = this.words;
    let w = from >>> 5;
    let bits = ~words[w] & (~0 << (from & 31));
    const wEnd = (end - 1) >>> 5;
    while (true) {
      if (bits !== 0) {
        const i = (w << 5) + (31 - Math.clz32(bits & -bits));
        return i < end ? i : -1;
      }
      if (++w > wEnd) return -1;
      bits = ~words[w];
    }
  }

  /** words[w] |= s, marking its block and (if `marks`) its chunk; returns bits newly set. */
  private orWord(w: number, s: number, marks: Uint8Array | null, markShift: number): number {
    if (s === 0) return 0;
    if (marks) marks[w >>> markShift] = 1;
    // Bits of the all-set suffix are members already (and their words stay 0).
    if (w * 32 + 32 > this.onesFrom) {
      s &= w * 32 >= this.onesFrom ? 0 : (1 << (this.onesFrom & 31)) - 1;
      if (s === 0) return 0;
    }
    this.blocks[w >>> BLOCK_SHIFT] = 1;
    const old = this.words[w];
    const neu = (old | s) >>> 0;
    if (neu === old) return 0;
    this.words[w] = neu;
    return popcount32(neu ^ old);
  }

  clearAll(): void {
    this.words.fill(0);
    this.blocks.fill(0);
    this.count = 0;
    this.onesFrom = this.length;
  }

  /** Bytes of the bitmap QEMU would hold (the simulator's block marks are not QEMU's). */
  get bytes(): number {
    return this.words.byteLength;
  }
}

/**
 * marks[c] = 1 for each chunk c (2^markShift words) with a non-zero word of `src` in
 * [from, end): a chunk marked already is skipped, a chunk's scan stops at its first
 * non-zero word (the first sync of an initially-set log reads a word per chunk).
 */
function markNonZeroChunks(
  src: Uint32Array,
  from: number,
  end: number,
  marks: Uint8Array,
  markShift: number,
): void {
  const size = 2 ** markShift;
  for (let c = from >>> markShift; c * size < end; c++) {
    if (marks[c] === 1) continue;
    const hi = Math.min(end, (c + 1) * size);
    for (let w = Math.max(from, c * size); w < hi; w++) {
      if (src[w] !== 0) {
        marks[c] = 1;
        break;
      }
    }
  }
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** The bits of word `w` inside [start, end), whose words run from w0 to w1. */
function rangeMask(w: number, w0: number, w1: number, start: number, end: number): number {
  let mask = -1;
  if (w === w0) mask &= -1 << (start & 31);
  if (w === w1) mask &= -1 >>> (31 - ((end - 1) & 31));
  return mask;
}
