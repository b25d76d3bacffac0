import { SimInvariantError } from '../kvm/errors.ts';
import { threadChunkPool } from './chunk-pool.ts';
import type { U32ChunkPool } from './chunk-pool.ts';
import { checkRange } from './range.ts';

/**
 * A lazily allocated array of `length` uint32 values in chunks of 2^chunkShift entries,
 * for per-page state of a large guest that is mostly never written (per-page write
 * generations of a 1.5 TiB guest where a few GiB are ever touched). The default chunk of
 * 2^18 entries covers 1 GiB of 4 KiB pages and costs 1 MiB once materialized.
 *
 * A chunk is either uniform (no data; every entry equals `fills[c]`) or materialized (a
 * Uint32Array of its own). Values are stored with Uint32Array semantics (v >>> 0).
 * Chunks come from a U32ChunkPool (chunk-pool.ts; the thread's unless given another)
 * and go back to it when they become uniform or the array is released, so a thread
 * that runs plan after plan reuses one plan's chunks for the next.
 */

/** Default log2 of entries per chunk: 2^18 pages of 4 KiB = 1 GiB of guest memory. */
export const PAGED_U32_DEFAULT_CHUNK_SHIFT = 18;
/** copyRangeFrom copies runs up to this long entry by entry (no subarray view). */
const SHORT_COPY = 64;
/** Largest length: indices stay below 2^32, so `>>>` and `&` split them into chunk/offset. */
export const PAGED_U32_MAX_LENGTH = 2 ** 32;

// Invariant: data[c] === null  =>  every entry of chunk c equals fills[c];
//            data[c] !== null  =>  fills[c] is meaningless and data[c].length === chunkLen(c).
// Invariant: `allocated` = sum of data[c].byteLength.
export class PagedU32 {
  readonly length: number;
  /** log2 of entries per chunk; copy/diff partners must share it. */
  readonly chunkShift: number;
  private readonly chunkSize: number;
  private readonly offsetMask: number;
  private readonly data: (Uint32Array | null)[];
  private readonly fills: Uint32Array;
  private allocated = 0;
  private released = false;

  /** `pool`: where chunks come from and go back to (the thread's unless given another). */
  constructor(
    n: number,
    chunkShift: number = PAGED_U32_DEFAULT_CHUNK_SHIFT,
    private readonly pool: U32ChunkPool = threadChunkPool,
  ) {
    if (!Number.isInteger(n) || n < 0 || n > PAGED_U32_MAX_LENGTH) {
      throw new RangeError(`paged-u32 length must be an integer in [0, 2^32], got ${n}`);
    }
    if (!Number.isInteger(chunkShift) || chunkShift < 0 || chunkShift > 30) {
      throw new RangeError(`paged-u32 chunkShift must be an integer in [0, 30], got ${chunkShift}`);
    }
    this.length = n;
    this.chunkShift = chunkShift;
    this.chunkSize = 2 ** chunkShift;
    this.offsetMask = this.chunkSize - 1;
    const nChunks = Math.ceil(n / this.chunkSize);
    // One slot per chunk (not per entry): at most a few thousand for any guest size.
    this.data = new Array<Uint32Array | null>(nChunks).fill(null);
    this.fills = new Uint32Array(nChunks);
  }

  /** Bytes of typed arrays currently allocated (materialized chunks only). */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Number of chunks holding their own data. */
  get materializedChunks(): number {
    let n = 0;
    for (const d of this.data) if (d !== null) n++;
    return n;
  }

  /**
   * The entries of chunk c (entry i at `i & (2^chunkShift - 1)`) if it holds its own,
   * else null (uniform). For a fused loop over a run of one chunk: reading and writing
   * it is reading and writing those entries, until the next call that changes this
   * array (a chunk that becomes uniform goes back to the pool, and on to another owner).
   */
  materializedChunk(c: number): Uint32Array | null {
    return this.data[c] ?? null;
  }

  /** Entry i, 0 <= i < length. */
  get(i: number): number {
    this.checkIndex(i);
    const c = i >>> this.chunkShift;
    const d = this.data[c];
    return d === null ? this.fills[c] : d[i & this.offsetMask];
  }

  /** Store v >>> 0 at entry i; materializes i's chunk only if the value differs. */
  set(i: number, v: number): void {
    this.checkIndex(i);
    const c = i >>> this.chunkShift;
    let d = this.data[c];
    if (d === null) {
      if (this.fills[c] === v >>> 0) return;
      d = this.materialize(c);
    }
    d[i & this.offsetMask] = v;
  }

  /** Increment entry i (wrapping at 2^32) and return the new value. */
  increment(i: number): number {
    this.checkIndex(i);
    const c = i >>> this.chunkShift;
    const off = i & this.offsetMask;
    let d = this.data[c];
    const v = ((d === null ? this.fills[c] : d[off]) + 1) >>> 0;
    if (d === null) d = this.materialize(c);
    d[off] = v;
    return v;
  }

  /**
   * Add 1 (wrapping at 2^32) to entry `start + k` for each set bit k of the 32-bit
   * `mask`; start is a multiple of 32 and every such entry is below length.
   */
  incrementBits(start: number, mask: number): void {
    if (mask === 0) return;
    if (this.chunkShift < 5 || start % 32 !== 0 || start + 32 - Math.clz32(mask) > this.length) {
      for (let bits = mask; bits !== 0; bits &= bits - 1) {
        this.increment(start + 31 - Math.clz32(bits & -bits));
      }
      return;
    }
    // The 32 entries lie in one chunk (chunks are at least 32 entries, aligned).
    const c = start >>> this.chunkShift;
    const d = this.data[c] ?? this.materialize(c);
    const off = start & this.offsetMask;
    for (let bits = mask; bits !== 0; bits &= bits - 1) {
      const k = off + 31 - Math.clz32(bits & -bits);
      d[k] = d[k] + 1;
    }
  }

  /**
   * Set every entry of [start, end) to v; whole chunks become uniform (data dropped). A
   * fill that reaches a materialized chunk's end collapses it if all its entries are
   * then equal (one O(chunk) scan, as in copyRangeFrom).
   */
  fillRange(start: number, end: number, v: number): void {
    checkRange(start, end, this.length);
    if (start === end) return;
    v >>>= 0;
    for (let c = start >>> this.chunkShift, base = c * this.chunkSize; base < end; c++) {
      const len = this.chunkLen(c);
      const a = Math.max(start, base) - base;
      const b = Math.min(end, base + len) - base;
      base += this.chunkSize;
      if (a === 0 && b === len) {
        this.makeUniform(c, v);
      } else if (this.data[c] !== null || this.fills[c] !== v) {
        this.materialize(c).fill(v, a, b);
        if (b === len) this.collapseIfUniform(c);
      }
    }
  }

  /**
   * this[i] = src[i] for i in [start, end) (same length, same chunkShift). A whole chunk
   * whose source is uniform becomes uniform without allocating; after a copy that ends
   * exactly at a chunk's end, a materialized chunk whose entries are all equal is
   * collapsed back to uniform (one O(chunk) scan, once per chunk per pass), so a pass
   * that copies a mostly-uniform array piece by piece never keeps more than a couple of
   * chunks allocated. Returns how many of the copied entries equal `countOf` (0 unless
   * given: a migration's never-written pages), counted on the way.
   */
  copyRangeFrom(src: PagedU32, start: number, end: number, countOf = 0): number {
    this.checkPartner(src);
    checkRange(start, end, this.length);
    if (start === end) return 0;
    if (src === this) return this.countEqual(start, end, countOf);
    const v0 = countOf >>> 0;
    let n = 0;
    for (let c = start >>> this.chunkShift, base = c * this.chunkSize; base < end; c++) {
      const len = this.chunkLen(c);
      const a = Math.max(start, base) - base;
      const b = Math.min(end, base + len) - base;
      base += this.chunkSize;
      const sd = src.data[c];
      if (sd === null) {
        const v = src.fills[c];
        if (v === v0) n += b - a;
        if (a === 0 && b === len) {
          this.makeUniform(c, v);
          continue;
        }
        if (this.data[c] === null && this.fills[c] === v) continue;
        this.materialize(c).fill(v, a, b);
      } else if (a === 0 && b === len && this.data[c] === null) {
        this.checkLive();
        this.data[c] = this.pool.takeCopy(sd);
        this.allocated += sd.byteLength;
        for (let i = a; i < b; i++) if (sd[i] === v0) n++;
      } else if (b - a <= SHORT_COPY) {
        // A short run (a migration sends a hot set a few pages at a time): a loop, as a
        // subarray view per call is an allocation the GC pays for by the million.
        const d = this.materialize(c);
        for (let i = a; i < b; i++) {
          const x = sd[i];
          d[i] = x;
          if (x === v0) n++;
        }
      } else {
        this.materialize(c).set(a === 0 && b === len ? sd : sd.subarray(a, b), a);
        for (let i = a; i < b; i++) if (sd[i] === v0) n++;
      }
      if (b === len) this.collapseIfUniform(c);
    }
    return n;
  }

  /** Number of i in [start, end) with this[i] === v (uniform chunks counted without a scan). */
  countEqual(start: number, end: number, v: number): number {
    checkRange(start, end, this.length);
    v >>>= 0;
    let n = 0;
    for (let c = start >>> this.chunkShift, base = c * this.chunkSize; base < end; c++) {
      const a = Math.max(start, base) - base;
      const b = Math.min(end, base + this.chunkSize) - base;
      base += this.chunkSize;
      const d = this.data[c];
      if (d === null) {
        if (this.fills[c] === v) n += b - a;
      } else {
        for (let i = a; i < b; i++) if (d[i] === v) n++;
      }
    }
    return n;
  }

  /**
   * Indices i in [start, end) where this[i] !== other[i], at most `limit` of them, in
   * order (uniform chunk pairs compared in O(1)).
   */
  diff(other: PagedU32, start: number, end: number, limit: number): number[] {
    this.checkPartner(other);
    checkRange(start, end, this.length);
    const out: number[] = [];
    if (!(limit > 0)) return out;
    for (let c = start >>> this.chunkShift, base = c * this.chunkSize; base < end; c++) {
      const a = Math.max(start, base) - base;
      const b = Math.min(end, base + this.chunkSize) - base;
      const da = this.data[c];
      const db = other.data[c];
      const fa = this.fills[c];
      const fb = other.fills[c];
      if (da === null) {
        if (db === null) {
          if (fa !== fb) for (let i = a; i < b && out.length < limit; i++) out.push(base + i);
        } else {
          for (let i = a; i < b && out.length < limit; i++) if (db[i] !== fa) out.push(base + i);
        }
      } else if (db === null) {
        for (let i = a; i < b && out.length < limit; i++) if (da[i] !== fb) out.push(base + i);
      } else {
        for (let i = a; i < b && out.length < limit; i++) if (da[i] !== db[i]) out.push(base + i);
      }
      if (out.length >= limit) break;
      base += this.chunkSize;
    }
    return out;
  }

  /** Count of i in [start, end) where this[i] !== other[i]. */
  countDiff(other: PagedU32, start: number, end: number): number {
    this.checkPartner(other);
    checkRange(start, end, this.length);
    let n = 0;
    for (let c = start >>> this.chunkShift, base = c * this.chunkSize; base < end; c++) {
      const a = Math.max(start, base) - base;
      const b = Math.min(end, base + this.chunkSize) - base;
      base += this.chunkSize;
      const da = this.data[c];
      const db = other.data[c];
      if (da === null) {
        const fa = this.fills[c];
        if (db === null) {
          if (fa !== other.fills[c]) n += b - a;
        } else {
          for (let i = a; i < b; i++) if (db[i] !== fa) n++;
        }
      } else if (db === null) {
        const fb = other.fills[c];
        for (let i = a; i < b; i++) if (da[i] !== fb) n++;
      } else {
        for (let i = a; i < b; i++) if (da[i] !== db[i]) n++;
      }
    }
    return n;
  }

  private checkIndex(i: number): void {
    // (i >>> 0) === i accepts exactly the integers in [0, 2^32).
    if (!(i >>> 0 === i && i < this.length)) {
      throw new RangeError(`index ${i} is outside [0, ${this.length})`);
    }
  }

  private checkPartner(other: PagedU32): void {
    if (other.length !== this.length || other.chunkShift !== this.chunkShift) {
      throw new RangeError(
        `paged-u32 shapes differ: length ${other.length} chunkShift ${other.chunkShift}, ` +
          `expected length ${this.length} chunkShift ${this.chunkShift}`,
      );
    }
  }

  /** Entries in chunk c (the last chunk may be short). */
  private chunkLen(c: number): number {
    return Math.min(this.chunkSize, this.length - c * this.chunkSize);
  }

  /**
   * The run that owned this array is over: every chunk goes back to the pool, for the
   * next run on this thread. Nothing may use the array after (it would read zeros; a
   * write throws), so a caller releases only what no result refers to.
   */
  release(): void {
    for (let c = 0; c < this.data.length; c++) this.makeUniform(c, 0);
    this.released = true;
  }

  /** Chunk c's data, taken from the pool filled with the chunk's uniform value if needed. */
  private materialize(c: number): Uint32Array {
    let d = this.data[c];
    if (d === null) {
      this.checkLive();
      d = this.pool.take(this.chunkLen(c), this.fills[c]);
      this.data[c] = d;
      this.allocated += d.byteLength;
    }
    return d;
  }

  /** Make chunk c uniform with value v (already >>> 0), its data back to the pool. */
  private makeUniform(c: number, v: number): void {
    const d = this.data[c];
    if (d !== null) {
      this.allocated -= d.byteLength;
      this.data[c] = null;
      this.pool.give(d);
    }
    this.fills[c] = v;
  }

  /** Throws if the array was released: a chunk taken now would never go back. */
  private checkLive(): void {
    if (this.released) {
      throw new SimInvariantError(`paged-u32 of length ${this.length} written after its release`);
    }
  }

  /** Drop chunk c's data if all its entries are equal (stops at the first difference). */
  private collapseIfUniform(c: number): void {
    const d = this.data[c];
    if (d === null) return;
    const v = d[0];
    for (let i = 1; i < d.length; i++) if (d[i] !== v) return;
    this.makeUniform(c, v);
  }
}
