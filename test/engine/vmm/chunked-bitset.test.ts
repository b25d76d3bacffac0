import { describe, expect, it } from 'vitest';
import { Bitset } from '../../../engine/vmm/bitset.ts';
import { ChunkedBitset } from '../../../engine/vmm/chunked-bitset.ts';
import { Rng } from '../../../engine/sim/rng.ts';

// ---- tunables ----
/** Bits per chunk of ChunkedBitset. */
const CHUNK = 2 ** 15;
/** Four chunks and a ragged last one. */
const BITS = 4 * CHUNK + 1234;
const SEEDS = [1, 2, 3];
const RANGES = 400;

describe('ChunkedBitset', () => {
  for (const seed of SEEDS) {
    it(`holds what a flat bitset holds after any ranges are set (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const chunked = new ChunkedBitset(BITS);
      const flat = new Bitset(BITS);
      for (let k = 0; k < RANGES; k++) {
        const r = rng.next();
        // Short runs, runs across chunks, whole chunks, and a pass in order (as a
        // migration's first pass sends), so chunks fill up piece by piece.
        const start = r < 0.2 ? Math.min(BITS, k * 1500) : rng.int(BITS);
        const len = r < 0.2 ? 1500 : r < 0.7 ? rng.int(70) : r < 0.9 ? rng.int(3 * CHUNK) : CHUNK;
        const end = Math.min(BITS, start + len);
        chunked.setRange(start, end);
        flat.setRange(start, end);
        expect(chunked.count).toBe(flat.count);
        const from = rng.int(BITS);
        const to = from + rng.int(BITS - from + 1);
        expect(chunked.nextClear(from, to)).toBe(flat.nextClear(from, to));
      }
      const wrong: number[] = [];
      for (let i = 0; i < BITS; i++) if (chunked.has(i) !== flat.has(i)) wrong.push(i);
      expect(wrong).toEqual([]);
      for (let i = chunked.nextClear(0, BITS), n = 0; i >= 0 && n < 100; n++) {
        expect(i).toBe(flat.nextClear(i, BITS));
        i = chunked.nextClear(i + 1, BITS);
      }
    });
  }

  it('keeps no words for full chunks: a pass in order holds at most two chunks', () => {
    const b = new ChunkedBitset(BITS);
    let most = 0;
    for (let p = 0; p < BITS; p += 4096) {
      b.setRange(p, Math.min(BITS, p + 4096));
      most = Math.max(most, b.bytes);
    }
    expect(b.count).toBe(BITS);
    expect(b.nextClear(0, BITS)).toBe(-1);
    // A chunk's words and the spare (4 KiB and a few bytes each), and the flags.
    expect(most).toBeLessThan(3 * (CHUNK / 8 + 64));
  });

  it('refuses a length that is not an integer in [0, 2^32]', () => {
    expect(() => new ChunkedBitset(-1)).toThrow(/integer in \[0, 2\^32\], got -1/);
    expect(new ChunkedBitset(0).nextClear(0, 0)).toBe(-1);
  });
});
