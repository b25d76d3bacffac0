import { describe, expect, it } from 'vitest';
import { U32ChunkPool } from '../../../engine/guest/chunk-pool.ts';
import { PagedU32 } from '../../../engine/guest/paged-u32.ts';
import { SimInvariantError } from '../../../engine/kvm/errors.ts';

// ---- tunables ----
/** Entries of the chunks the tests pass around. */
const LEN = 64;
const BYTES = LEN * 4;
/** log2 of LEN, for PagedU32s with chunks of LEN entries. */
const SHIFT = 6;
/** Entries a returned chunk holds when it is given back: what a taker must never see. */
const GARBAGE = 0xdeadbeef;

/** A chunk of LEN entries holding GARBAGE, given to `pool`; returns it. */
function giveGarbage(pool: U32ChunkPool): Uint32Array {
  const d = new Uint32Array(LEN).fill(GARBAGE);
  pool.give(d);
  return d;
}

describe('U32ChunkPool', () => {
  it('take gives a new chunk filled with the value when none is kept', () => {
    const pool = new U32ChunkPool(1 << 20);
    expect(pool.take(LEN, 0)).toEqual(new Uint32Array(LEN));
    expect(pool.take(LEN, 7)).toEqual(new Uint32Array(LEN).fill(7));
    expect(pool.take(LEN, -1)).toEqual(new Uint32Array(LEN).fill(0xffffffff));
  });

  it('take refills a kept chunk with the value, zero included, whatever it held', () => {
    const pool = new U32ChunkPool(1 << 20);
    for (const fill of [0, 1, 0xffffffff]) {
      const kept = giveGarbage(pool);
      expect(pool.bytes).toBe(BYTES);
      const d = pool.take(LEN, fill);
      expect(d).toBe(kept); // reused, not a new one
      expect(d).toEqual(new Uint32Array(LEN).fill(fill));
      expect(pool.bytes).toBe(0);
    }
  });

  it('takeCopy overwrites a kept chunk with every entry of the source', () => {
    const pool = new U32ChunkPool(1 << 20);
    const kept = giveGarbage(pool);
    const src = Uint32Array.from({ length: LEN }, (_, i) => (i * 2654435761) >>> 0);
    const d = pool.takeCopy(src);
    expect(d).toBe(kept);
    expect(d).toEqual(src);
    expect(d).not.toBe(src);
    // Without a kept chunk: a copy of its own.
    const fresh = pool.takeCopy(src);
    expect(fresh).toEqual(src);
    expect(fresh.buffer).not.toBe(src.buffer);
  });

  it('hands out a kept chunk only for a take of its own length', () => {
    const pool = new U32ChunkPool(1 << 20);
    const kept = giveGarbage(pool);
    const other = pool.take(LEN - 1, 0);
    expect(other).not.toBe(kept);
    expect(other).toEqual(new Uint32Array(LEN - 1));
    expect(pool.bytes).toBe(BYTES);
  });

  it('keeps no more than its size; the chunks beyond it are left to the collector', () => {
    const pool = new U32ChunkPool(2 * BYTES);
    const a = giveGarbage(pool);
    const b = giveGarbage(pool);
    giveGarbage(pool);
    expect(pool.bytes).toBe(2 * BYTES);
    const taken = [pool.take(LEN, 0), pool.take(LEN, 0), pool.take(LEN, 0)];
    expect(new Set(taken.slice(0, 2))).toEqual(new Set([a, b]));
    expect([a, b]).not.toContain(taken[2]);
    expect(new U32ChunkPool(0).take(LEN, 3)).toEqual(new Uint32Array(LEN).fill(3));
  });

  it('keeps no view of a larger buffer, which would keep the whole buffer alive', () => {
    const pool = new U32ChunkPool(1 << 20);
    pool.give(new Uint32Array(2 * LEN).subarray(LEN));
    pool.give(new Uint32Array(new ArrayBuffer(2 * BYTES), 0, LEN));
    expect(pool.bytes).toBe(0);
  });

  it('throws when a chunk is given back twice (it would have two owners)', () => {
    const pool = new U32ChunkPool(1 << 20);
    const d = giveGarbage(pool);
    expect(() => pool.give(d)).toThrow(SimInvariantError);
    expect(() => pool.give(d)).toThrow(/given back twice/);
    // Its twin: taken and given again is one owner at a time.
    expect(pool.take(LEN, 0)).toBe(d);
    expect(() => pool.give(d)).not.toThrow();
  });

  it('clear drops every kept chunk', () => {
    const pool = new U32ChunkPool(1 << 20);
    const d = giveGarbage(pool);
    pool.clear();
    expect(pool.bytes).toBe(0);
    expect(pool.take(LEN, 0)).not.toBe(d);
  });
});

describe("PagedU32's chunks", () => {
  it('go back to the pool when they become uniform, and come back filled as new', () => {
    const pool = new U32ChunkPool(1 << 20);
    const a = new PagedU32(4 * LEN, SHIFT, pool);
    a.set(3, 9);
    a.fillRange(0, LEN, 0); // chunk 0 uniform again: its data goes to the pool
    expect(a.allocatedBytes).toBe(0);
    expect(pool.bytes).toBe(BYTES);
    const b = new PagedU32(4 * LEN, SHIFT, pool);
    b.fillRange(LEN, 2 * LEN, 5);
    b.set(LEN + 1, 6); // takes the kept chunk, filled with the chunk's uniform 5
    expect(pool.bytes).toBe(0);
    expect(b.get(LEN + 3)).toBe(5);
    expect(b.countEqual(LEN, 2 * LEN, 5)).toBe(LEN - 1);
    expect(b.get(3)).toBe(0);
  });

  it('all go back on release, and a released array refuses to take more', () => {
    const pool = new U32ChunkPool(1 << 20);
    const a = new PagedU32(4 * LEN + 5, SHIFT, pool);
    for (let i = 0; i < 4 * LEN + 5; i += LEN) a.set(i, 1);
    expect(a.materializedChunks).toBe(5);
    a.release();
    expect(a.allocatedBytes).toBe(0);
    // The ragged last chunk (5 entries) is kept too, for arrays of the same length.
    expect(pool.bytes).toBe(4 * BYTES + 5 * 4);
    expect(() => a.set(0, 1)).toThrow(/written after its release/);
    // Its twin: an array not released takes one.
    expect(() => new PagedU32(4 * LEN + 5, SHIFT, pool).set(0, 1)).not.toThrow();
  });
});
