import { describe, expect, it } from 'vitest';
import { Bitset } from '../../../engine/vmm/bitset.ts';
import { Rng } from '../../../engine/sim/rng.ts';

// ---- tunables ----
const PAGES = 5000;
const CASES = 50;
/** log2 of the words per marked chunk. */
const MARK_SHIFT = 2;

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
