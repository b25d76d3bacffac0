import { describe, expect, it } from 'vitest';
import { U32ChunkPool } from '../../../engine/guest/chunk-pool.ts';
import { PAGED_U32_DEFAULT_CHUNK_SHIFT, PagedU32 } from '../../../engine/guest/paged-u32.ts';
import { Rng } from '../../../engine/sim/rng.ts';

// ---- tunables ----
/** Small chunks for the randomized run, so ranges cross many chunk boundaries. */
const RANDOM_CHUNK_SHIFT = 6;
/** 15 full chunks and a ragged last one. */
const RANDOM_LENGTH = 15 * 64 + 21;
const RANDOM_SEEDS = [1, 2, 3];
const RANDOM_OPS = 4000;
/** Few distinct values, so uniform chunks, collapses and equal entries are common. */
const VALUES = [0, 1, 2, 0xffffffff];
/** The pool the two random arrays share keeps this many chunks at most. */
const RANDOM_POOL_CHUNKS = 3;
/** Chance per operation that an array is released and replaced by a new one. */
const RANDOM_RELEASE_CHANCE = 0.005;
const BIG_LENGTH = 2 ** 28;
const CHUNK = 2 ** PAGED_U32_DEFAULT_CHUNK_SHIFT;
const CHUNK_BYTES = CHUNK * 4;
const COPY_PIECE = 3000;

describe('PagedU32', () => {
  it('incrementBits adds 1 to the entries of set bits, wrapping, in any chunk size', () => {
    for (const shift of [2, 6]) {
      const a = new PagedU32(100, shift);
      a.set(33, 0xffffffff);
      a.set(40, 7);
      a.incrementBits(32, (1 << 1) | (1 << 8) | (1 << 31));
      a.incrementBits(96, 0b1111); // the last four entries
      expect([a.get(32), a.get(33), a.get(40), a.get(63), a.get(64)]).toEqual([0, 0, 8, 1, 0]);
      expect([a.get(95), a.get(96), a.get(99)]).toEqual([0, 1, 1]);
      expect(() => a.incrementBits(96, 0b10000)).toThrow(/index 100 is outside/);
    }
  });

  it('reads zero everywhere and allocates nothing until an entry changes', () => {
    const a = new PagedU32(BIG_LENGTH);
    expect(a.length).toBe(BIG_LENGTH);
    expect(a.allocatedBytes).toBe(0);
    expect(a.get(0)).toBe(0);
    expect(a.get(BIG_LENGTH - 1)).toBe(0);
    a.set(12345, 0);
    a.fillRange(0, BIG_LENGTH, 0);
    expect(a.countEqual(0, BIG_LENGTH, 0)).toBe(BIG_LENGTH);
    expect(a.allocatedBytes).toBe(0);
  });

  it('materializes only the chunk that is written, filled with its uniform value', () => {
    const a = new PagedU32(BIG_LENGTH);
    a.fillRange(CHUNK, 2 * CHUNK, 9);
    expect(a.allocatedBytes).toBe(0);
    a.set(CHUNK + 5, 3);
    expect(a.allocatedBytes).toBe(CHUNK_BYTES);
    expect(a.materializedChunks).toBe(1);
    expect(a.get(CHUNK + 4)).toBe(9);
    expect(a.get(CHUNK + 5)).toBe(3);
    expect(a.get(CHUNK - 1)).toBe(0);
  });

  it('increment wraps at 2^32 and returns the new value', () => {
    const a = new PagedU32(100, 4);
    expect(a.increment(7)).toBe(1);
    expect(a.increment(7)).toBe(2);
    a.set(8, 0xffffffff);
    expect(a.increment(8)).toBe(0);
    a.set(9, -1);
    expect(a.get(9)).toBe(0xffffffff);
  });

  it('fillRange drops the data of every whole chunk it covers', () => {
    const a = new PagedU32(10 * 16, 4);
    for (let i = 0; i < 160; i += 5) a.set(i, i + 1);
    expect(a.materializedChunks).toBe(10);
    a.fillRange(8, 150, 4);
    // Chunk 0 keeps entries 0..7 and chunk 9 keeps 150..159; the eight between are uniform.
    expect(a.materializedChunks).toBe(2);
    expect(a.countEqual(0, 160, 4)).toBe(142);
    expect(a.get(5)).toBe(6);
    expect(a.get(155)).toBe(156);
  });

  it('copyRangeFrom makes whole chunks of a uniform source uniform, dropping old data', () => {
    const src = new PagedU32(4 * CHUNK);
    const dst = new PagedU32(4 * CHUNK);
    src.fillRange(0, 4 * CHUNK, 7);
    dst.set(CHUNK + 1, 5);
    dst.set(2 * CHUNK + 1, 5);
    dst.copyRangeFrom(src, CHUNK, 3 * CHUNK);
    expect(dst.allocatedBytes).toBe(0);
    expect(dst.countEqual(CHUNK, 3 * CHUNK, 7)).toBe(2 * CHUNK);
    expect(dst.countEqual(0, CHUNK, 0)).toBe(CHUNK);
  });

  it('copyRangeFrom collapses a chunk whose copied entries all end up equal', () => {
    const src = new PagedU32(2 * CHUNK);
    const dst = new PagedU32(2 * CHUNK);
    // The source chunk is materialized but holds one value everywhere.
    src.set(0, 1);
    src.set(0, 0);
    expect(src.allocatedBytes).toBe(CHUNK_BYTES);
    dst.set(100, 8);
    dst.copyRangeFrom(src, 50, CHUNK);
    expect(dst.allocatedBytes).toBe(0);
    expect(dst.countEqual(0, CHUNK, 0)).toBe(CHUNK);
  });

  it('copyRangeFrom keeps a chunk materialized while its entries still differ', () => {
    const src = new PagedU32(2 * CHUNK);
    const dst = new PagedU32(2 * CHUNK);
    dst.set(10, 8);
    dst.copyRangeFrom(src, 50, CHUNK);
    expect(dst.allocatedBytes).toBe(CHUNK_BYTES);
    expect(dst.get(10)).toBe(8);
    expect(dst.diff(src, 0, 2 * CHUNK, 10)).toEqual([10]);
  });

  it(`copying a uniform source in pieces of ${COPY_PIECE} never holds more than two chunks`, () => {
    const src = new PagedU32(BIG_LENGTH);
    const dst = new PagedU32(BIG_LENGTH);
    const end = 3 * CHUNK;
    src.fillRange(0, end, 11);
    dst.set(CHUNK + 17, 4);
    let peak = 0;
    for (let start = 0; start < end; start += COPY_PIECE) {
      dst.copyRangeFrom(src, start, Math.min(end, start + COPY_PIECE));
      peak = Math.max(peak, dst.allocatedBytes);
    }
    expect(peak).toBeLessThanOrEqual(2 * CHUNK_BYTES);
    expect(dst.allocatedBytes).toBe(0);
    expect(dst.countDiff(src, 0, BIG_LENGTH)).toBe(0);
    expect(src.allocatedBytes).toBe(0);
  });

  it('copyRangeFrom counts the copied entries equal to a value, whichever way it copies', () => {
    // Chunks of 256: pieces of up to 64 are copied entry by entry, longer ones with
    // set(), a whole chunk into an unwritten one as a copy, a uniform one by fill.
    const shift = 8;
    const n = 6 * 256 + 50;
    const rng = new Rng(5);
    const src = new PagedU32(n, shift);
    const ref = new Uint32Array(n);
    for (let k = 0; k < 600; k++) {
      const i = rng.int(4 * 256); // the last chunks stay uniform
      const v = VALUES[rng.int(VALUES.length)];
      src.set(i, v);
      ref[i] = v;
    }
    for (let round = 0; round < 200; round++) {
      const dst = new PagedU32(n, shift);
      const whole = rng.chance(0.3);
      const start = whole ? 256 * rng.int(6) : rng.int(n);
      const len = whole ? 256 : rng.chance(0.5) ? rng.int(65) : rng.int(600);
      const end = Math.min(n, start + len);
      const v = VALUES[rng.int(VALUES.length)];
      let want = 0;
      for (let i = start; i < end; i++) if (ref[i] === v) want++;
      expect(dst.copyRangeFrom(src, start, end, v)).toBe(want);
      for (let i = start; i < end; i++) expect(dst.get(i)).toBe(ref[i]);
    }
  });

  it('diff and countDiff compare uniform chunk pairs without a scan and stop at limit', () => {
    const a = new PagedU32(BIG_LENGTH);
    const b = new PagedU32(BIG_LENGTH);
    b.fillRange(CHUNK, 2 * CHUNK, 1);
    expect(a.countDiff(b, 0, BIG_LENGTH)).toBe(CHUNK);
    expect(a.diff(b, 0, BIG_LENGTH, 3)).toEqual([CHUNK, CHUNK + 1, CHUNK + 2]);
    expect(a.diff(b, 0, BIG_LENGTH, 0)).toEqual([]);
    expect(a.allocatedBytes + b.allocatedBytes).toBe(0);
  });

  it('rejects partners of a different shape and indices outside [0, length)', () => {
    const a = new PagedU32(100, 4);
    expect(() => a.copyRangeFrom(new PagedU32(100, 5), 0, 10)).toThrow(RangeError);
    expect(() => a.countDiff(new PagedU32(99, 4), 0, 10)).toThrow(RangeError);
    expect(() => a.get(100)).toThrow(RangeError);
    expect(() => a.set(-1, 0)).toThrow(RangeError);
    expect(() => a.fillRange(0, 101, 0)).toThrow(RangeError);
  });

  it('matches plain Uint32Arrays over thousands of random operations, chunks passed between them', () => {
    const n = RANDOM_LENGTH;
    const chunk = 2 ** RANDOM_CHUNK_SHIFT;
    for (const seed of RANDOM_SEEDS) {
      const rng = new Rng(seed);
      // One pool of a few chunks for both arrays: a chunk one drops, the other takes.
      const pool = new U32ChunkPool(RANDOM_POOL_CHUNKS * chunk * 4);
      const fresh = (): PagedU32 => new PagedU32(n, RANDOM_CHUNK_SHIFT, pool);
      const arrays = [fresh(), fresh()];
      const refs = [new Uint32Array(n), new Uint32Array(n)];
      const value = (): number => VALUES[rng.int(VALUES.length)];
      // Ranges of every scale: inside a chunk, across a few chunks, nearly everything.
      const randomRange = (): [number, number] => {
        const scale = [5, chunk + 3, 4 * chunk, n][rng.int(4)];
        const start = rng.int(n + 1);
        return [start, Math.min(n, start + rng.int(scale + 1))];
      };
      for (let op = 0; op < RANDOM_OPS; op++) {
        const which = rng.int(2);
        const a = arrays[which];
        const ref = refs[which];
        const kind = rng.int(8);
        if (rng.chance(RANDOM_RELEASE_CHANCE)) {
          // The run that owned the array ended: its chunks go back, a new one starts.
          a.release();
          arrays[which] = fresh();
          ref.fill(0);
        } else if (kind === 0) {
          const i = rng.int(n);
          const v = value();
          a.set(i, v);
          ref[i] = v;
        } else if (kind === 1) {
          const i = rng.int(n);
          ref[i]++;
          expect(a.increment(i)).toBe(ref[i]);
        } else if (kind === 2) {
          const [s, e] = randomRange();
          const v = value();
          a.fillRange(s, e, v);
          ref.fill(v, s, e);
        } else if (kind === 3) {
          // Copy in pieces, as a migration pass does, sometimes aligned to chunks.
          const [s, e] = rng.chance(0.3)
            ? [rng.int(4) * chunk, Math.min(n, (rng.int(12) + 4) * chunk)]
            : randomRange();
          // Short pieces too (copied entry by entry), and a count of one value on the way.
          const piece = 1 + rng.int(rng.chance(0.5) ? 40 : 2 * chunk);
          const v = value();
          let counted = 0;
          for (let p = s; p < e; p += piece) {
            counted += a.copyRangeFrom(arrays[1 - which], p, Math.min(e, p + piece), v);
          }
          let want = 0;
          for (let i = s; i < e; i++) if (refs[1 - which][i] === v) want++;
          expect(counted).toBe(want);
          ref.set(refs[1 - which].subarray(s, e), s);
        } else if (kind === 4) {
          const i = rng.int(n);
          expect(a.get(i)).toBe(ref[i]);
        } else if (kind === 5) {
          const [s, e] = randomRange();
          const v = value();
          let want = 0;
          for (let i = s; i < e; i++) if (ref[i] === v) want++;
          expect(a.countEqual(s, e, v)).toBe(want);
        } else {
          const [s, e] = randomRange();
          const other = arrays[1 - which];
          const otherRef = refs[1 - which];
          const want: number[] = [];
          for (let i = s; i < e; i++) if (ref[i] !== otherRef[i]) want.push(i);
          const limit = rng.int(want.length + 3);
          expect(a.diff(other, s, e, limit)).toEqual(want.slice(0, limit));
          expect(a.countDiff(other, s, e)).toBe(want.length);
        }
        const bytes = a.materializedChunks * chunk * 4;
        expect(a.allocatedBytes).toBeLessThanOrEqual(bytes);
        expect(a.allocatedBytes).toBeGreaterThan(bytes - chunk * 4);
      }
      for (let k = 0; k < 2; k++) {
        const got = Uint32Array.from({ length: n }, (_, i) => arrays[k].get(i));
        expect(got).toEqual(refs[k]);
      }
    }
  });
});
