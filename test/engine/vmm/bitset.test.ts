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

describe('Bitset.setAll (an all-set suffix whose words are not written)', () => {
  /** Every member, read bit by bit. */
  const members = (b: Bitset): number[] => {
    const out: number[] = [];
    for (let i = 0; i < b.length; i++) if (b.has(i)) out.push(i);
    return out;
  };

  it('behaves as setting every bit would, under a first pass in order and changes anywhere', () => {
    const SIZE = 3 * 1024 + 77;
    for (let seed = 1; seed <= 6; seed++) {
      const rng = new Rng(40 + seed);
      const lazy = new Bitset(SIZE);
      const flat = new Bitset(SIZE);
      lazy.setAll();
      flat.setRange(0, SIZE);
      let cursor = 0;
      for (let op = 0; op < 400; op++) {
        const r = rng.next();
        const p = rng.int(SIZE);
        if (r < 0.35) {
          // The first pass: the cursor's next run is cleared (sent).
          const end = Math.min(SIZE, cursor + 1 + rng.int(200));
          lazy.clearRange(cursor, end);
          flat.clearRange(cursor, end);
          cursor = end === SIZE ? 0 : end;
        } else if (r < 0.45) {
          const end = Math.min(SIZE, p + rng.int(300));
          lazy.clearRange(p, end);
          flat.clearRange(p, end);
        } else if (r < 0.55) {
          const end = Math.min(SIZE, p + rng.int(300));
          lazy.setRange(p, end);
          flat.setRange(p, end);
        } else if (r < 0.65) {
          expect(lazy.set(p)).toBe(flat.set(p));
        } else if (r < 0.72) {
          expect(lazy.clear(p)).toBe(flat.clear(p));
        } else if (r < 0.85) {
          // A sync's merge, with marks; words in the suffix, across its start and below.
          const src = new Uint32Array(flat.words.length);
          for (let k = 0; k < 1 + rng.int(6); k++) src[rng.int(src.length - 1)] = rng.nextU32();
          const marksLazy = new Uint8Array(Math.ceil(src.length / 2 ** MARK_SHIFT));
          const marksFlat = new Uint8Array(marksLazy.length);
          // The whole source, or a range of it (as a sync merges changed lines).
          const lo = rng.chance(0.5) ? 0 : rng.int(src.length);
          const hi = rng.chance(0.5) ? Infinity : lo + rng.int(src.length - lo + 1);
          expect(lazy.orWordsMarking(src, marksLazy, MARK_SHIFT, lo, hi)).toBe(
            flat.orWordsMarking(src, marksFlat, MARK_SHIFT, lo, hi),
          );
          expect(marksLazy).toEqual(marksFlat);
        } else if (r < 0.9) {
          const other = new Bitset(SIZE);
          const otherFlat = new Bitset(SIZE);
          if (rng.chance(0.5)) {
            other.setAll();
            otherFlat.setRange(0, SIZE);
            other.clearRange(0, p);
            otherFlat.clearRange(0, p);
          } else {
            other.set(p);
            otherFlat.set(p);
          }
          expect(lazy.takeFrom(other)).toBe(flat.takeFrom(otherFlat));
          expect(other.count).toBe(0);
          expect(other.nextSet(0, SIZE)).toBe(-1);
        } else if (r < 0.93) {
          lazy.setAll();
          flat.setRange(0, SIZE);
        } else if (r < 0.95) {
          lazy.clearAll();
          flat.clearAll();
        }
        expect(lazy.count).toBe(flat.count);
        const from = rng.int(SIZE);
        const to = from + rng.int(SIZE - from + 1);
        expect(lazy.nextSet(from, to)).toBe(flat.nextSet(from, to));
        expect(lazy.nextClear(from, to)).toBe(flat.nextClear(from, to));
        expect(lazy.nextSet(cursor, SIZE)).toBe(flat.nextSet(cursor, SIZE));
      }
      expect(members(lazy)).toEqual(members(flat));
      // The suffix's words were never written.
      for (let i = lazy.onesFrom; i < SIZE; i++)
        expect(lazy.words[i >>> 5] & (1 << (i & 31))).toBe(0);
    }
  });

  it('writes no word for a first pass that clears in order', () => {
    const b = new Bitset(100_000);
    b.setAll();
    for (let p = 0; p < b.length; p += 777) b.clearRange(p, Math.min(b.length, p + 777));
    expect(b.count).toBe(0);
    expect(b.words.every((w) => w === 0)).toBe(true);
    expect(b.nextSet(0, b.length)).toBe(-1);
    b.setAll();
    b.clearRange(50, 60);
    expect(b.count).toBe(b.length - 10);
    expect(b.nextClear(0, b.length)).toBe(50);
    expect(b.nextSet(50, b.length)).toBe(60);
  });
});
