import { Bitset } from './bitset.ts';

/** log2 of the bits per chunk: 1024 words, one 4 KiB page of memory. */
const CHUNK_SHIFT = 15;
const CHUNK_BITS = 2 ** CHUNK_SHIFT;

/**
 * A bitset over [0, length) that holds words only for the chunks of 2^15 bits being
 * filled: a chunk with no bit set has none, and a chunk whose bits are all set drops
 * its words (they become the spare the next chunk takes). Bits are only ever set.
 * It records the pages the destination received, which a migration's first pass sets
 * in order: a flat bitmap of a 1 TiB guest is 32 MiB that the OS has to fault in page
 * by page (about a tenth of a second on the machines we measured) just to be written
 * once; this one touches a couple of pages.
 */
export class ChunkedBitset {
  readonly length: number;
  count = 0;
  /** Per chunk: its bits while some but not all are set, else null. */
  private readonly chunks: (Bitset | null)[];
  /** Per chunk: 1 if all its bits are set (its words are then dropped). */
  private readonly full: Uint8Array;
  /** The words of the last chunk that filled up, cleared, for the next one. */
  private spare: Bitset | null = null;

  constructor(length: number) {
    if (!Number.isInteger(length) || length < 0 || length > 2 ** 32) {
      throw new RangeError(
        `a chunked bitset's length must be an integer in [0, 2^32], got ${length}`,
      );
    }
    this.length = length;
    const n = Math.ceil(length / CHUNK_BITS);
    this.chunks = new Array<Bitset | null>(n).fill(null);
    this.full = new Uint8Array(n);
  }

  has(i: number): boolean {
    const c = Math.floor(i / CHUNK_BITS);
    if (this.full[c] === 1) return true;
    const d = this.chunks[c];
    return d !== null && d.has(i - c * CHUNK_BITS);
  }

  /** Set every bit of [start, end). */
  setRange(start: number, end: number): void {
    if (start >= end) return;
    // A range inside one full chunk (every later pass of a migration) changes nothing.
    const c0 = start >>> CHUNK_SHIFT;
    if (this.full[c0] === 1 && (end - 1) >>> CHUNK_SHIFT === c0 && end <= this.length) return;
    const c1 = Math.floor((end - 1) / CHUNK_BITS);
    for (let c = Math.floor(start / CHUNK_BITS); c <= c1; c++) {
      if (this.full[c] === 1) continue;
      const base = c * CHUNK_BITS;
      const len = Math.min(CHUNK_BITS, this.length - base);
      const a = Math.max(start, base) - base;
      const b = Math.min(end, base + len) - base;
      const d = this.chunks[c];
      const before = d ? d.count : 0;
      if (a === 0 && b === len) {
        this.count += len - before;
        this.fill(c);
        continue;
      }
      const bits = d ?? this.take(c);
      bits.setRange(a, b);
      this.count += bits.count - before;
      if (bits.count === len) this.fill(c);
    }
  }

  /** First clear bit in [from, end), or -1. */
  nextClear(from: number, end: number): number {
    for (let i = from; i < end;) {
      const c = Math.floor(i / CHUNK_BITS);
      const base = c * CHUNK_BITS;
      const next = base + CHUNK_BITS;
      if (this.full[c] === 0) {
        const d = this.chunks[c];
        if (d === null) return i;
        const r = d.nextClear(i - base, Math.min(end, next) - base);
        if (r >= 0) return base + r;
      }
      i = next;
    }
    return -1;
  }

  /** Bytes held (the chunks being filled, the spare, the per-chunk flags). */
  get bytes(): number {
    let n = this.spare ? this.spare.bytes : 0;
    for (const d of this.chunks) if (d) n += d.bytes;
    return n + this.full.byteLength;
  }

  /** Bits for chunk c, which has none yet: the spare, or new ones. */
  private take(c: number): Bitset {
    const d = this.spare ?? new Bitset(CHUNK_BITS);
    this.spare = null;
    this.chunks[c] = d;
    return d;
  }

  /** Chunk c is all set: its words, cleared, become the spare. */
  private fill(c: number): void {
    this.full[c] = 1;
    const d = this.chunks[c];
    this.chunks[c] = null;
    if (d !== null && this.spare === null) {
      d.clearAll();
      this.spare = d;
    }
  }
}
