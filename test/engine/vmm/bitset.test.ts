import { describe, expect, it } from 'vitest';
import { Bitset } from '../../../engine/vmm/bitset.ts';
import { Rng } from '../../../engine/sim/rng.ts';

// ---- tunables ----
const PAGES = 5000;
const CASES = 50;
/** log2 of the words per marked chunk. */
const MARK_SHIFT = 2;

describe('Bitset.setRange and clearRange', () => {
  it('change the bits and the count as setting or clearing each page would', () => {
    const rng = new Rng(8);
    const fast = new Bitset(PAGES);
    const slow = new Bitset(PAGES);
    for (let c = 0; c < 2000; c++) {
      const start = rng.int(PAGES);
      // Mostly short runs inside a word or two, as a migration sends a hot set.
      const len = rng.chance(0.8) ? rng.int(40) : rng.int(PAGES - start + 1);
      const end = Math.min(PAGES, start + len);
      if (rng.chance(0.5)) {
        fast.setRange(start, end);
        for (let i = start; i < end; i++) slow.set(i);
      } else {
        fast.clearRange(start, end);
        for (let i = start; i < end; i++) slow.clear(i);
      }
      expect(fast.count).toBe(slow.count);
    }
    expect(fast.words).toEqual(slow.words);
  });
});

describe('Bitset.orWordsMarking', () => {
  it('sets what setting each bit of the source would, and marks exactly the chunks with a non-zero source word', () => {
    const rng = new Rng(4);
    for (let c = 0; c < CASES; c++) {
      const a = new Bitset(PAGES);
      const b = new Bitset(PAGES);
      for (let k = 0; k < 300; k++) {
        const p = rng.int(PAGES);
        a.set(p);
        b.set(p);
      }
      // Sparse sources (most groups of eight words skipped, most chunks unmarked),
      // with the last words (past the last whole group of eight) in play too.
      const src = new Uint32Array(a.words.length);
      for (let k = 0; k < 1 + rng.int(20); k++) src[rng.int(src.length)] = rng.nextU32();
      if (rng.chance(0.5)) src[src.length - 1 - rng.int(8)] = rng.nextU32();
      const marks = new Uint8Array(Math.ceil(src.length / 2 ** MARK_SHIFT));
      let added = 0;
      for (let i = 0; i < src.length * 32; i++)
        if ((src[i >>> 5] >>> (i & 31)) & 1 && b.set(i)) added++;
      expect(a.orWordsMarking(src, marks, MARK_SHIFT)).toBe(added);
      expect(a.words).toEqual(b.words);
      expect(a.count).toBe(b.count);
      const expected = new Uint8Array(marks.length);
      src.forEach((w, i) => {
        if (w !== 0) expected[i >>> MARK_SHIFT] = 1;
      });
      expect(marks).toEqual(expected);
    }
  });

  it('leaves the marks alone for an all-zero source', () => {
    const a = new Bitset(PAGES);
    const marks = new Uint8Array(8);
    expect(a.orWordsMarking(new Uint32Array(a.words.length), marks, MARK_SHIFT)).toBe(0);
    expect(marks.every((m) => m === 0)).toBe(true);
  });
});

describe('Bitset.nextSet', () => {
  /** Blocks of 1024 bits: a sparse set over many of them, so that empty ones are skipped. */
  const BITS = 40_000;
  const OPS = 4000;

  /** The first set bit in [from, end) by reading every bit. */
  function scan(b: Bitset, from: number, end: number): number {
    for (let i = from; i < end; i++) if (b.has(i)) return i;
    return -1;
  }

  it('finds what a bit-by-bit scan finds, whatever set or cleared the bits before', () => {
    const rng = new Rng(21);
    const b = new Bitset(BITS);
    const other = new Bitset(BITS);
    for (let op = 0; op < OPS; op++) {
      const p = rng.int(BITS);
      const r = rng.next();
      if (r < 0.25) b.set(p);
      else if (r < 0.35) b.setRange(p, Math.min(BITS, p + rng.int(3000)));
      else if (r < 0.6) b.clearRange(p, Math.min(BITS, p + rng.int(5000)));
      else if (r < 0.7) b.clear(p);
      else if (r < 0.75) {
        const src = new Uint32Array(b.words.length);
        src[rng.int(src.length)] = rng.nextU32();
        if (rng.chance(0.5)) b.orWords(src);
        else b.orWordsMarking(src, new Uint8Array(src.length), 0);
      } else if (r < 0.78) {
        other.set(p);
        b.takeFrom(other);
      } else if (r < 0.79) b.clearAll();
      // A probe from anywhere, then a cursor's first steps from 0 (as a migration sends).
      const from = rng.int(BITS);
      const end = from + rng.int(BITS - from + 1);
      expect(b.nextSet(from, end)).toBe(scan(b, from, end));
      let at = 0;
      for (let k = 0; k < 3 && at < BITS; k++) {
        const i = b.nextSet(at, BITS);
        expect(i).toBe(scan(b, at, BITS));
        if (i < 0) break;
        at = i + 1;
      }
    }
  });
});
