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
  it('ORs like orWords and marks exactly the chunks with a non-zero source word', () => {
    const rng = new Rng(4);
    for (let c = 0; c < CASES; c++) {
      const a = new Bitset(PAGES);
      const b = new Bitset(PAGES);
      for (let k = 0; k < 300; k++) {
        const p = rng.int(PAGES);
        a.set(p);
        b.set(p);
      }
      const src = new Uint32Array(a.words.length);
      // Sparse sources: most chunks stay unmarked.
      for (let k = 0; k < 1 + rng.int(20); k++) src[rng.int(src.length)] = rng.nextU32();
      const marks = new Uint8Array(Math.ceil(src.length / 2 ** MARK_SHIFT));
      expect(a.orWordsMarking(src, marks, MARK_SHIFT)).toBe(b.orWords(src));
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
