import { describe, expect, it } from 'vitest';
import {
  PAGE_SET_BLOCK_PAGES,
  PageSet,
  popcount32,
  selectBit32,
} from '../../../engine/guest/page-set.ts';
import { Rng } from '../../../engine/sim/rng.ts';

// ---- tunables ----
const BLOCK = PAGE_SET_BLOCK_PAGES;
/** Capacity of the randomized run: 17 blocks and a ragged tail, so ranges cross everything. */
const RANDOM_CAPACITY = 17 * BLOCK + 45;
const RANDOM_SEEDS = [1, 2, 3];
const RANDOM_OPS = 3000;
/** The memory budget for a 2^28-page set (32 MiB of bitmap plus counts). */
const MEMORY_PAGES = 2 ** 28;
const MEMORY_BUDGET = 40 * 2 ** 20;
const MiB = 2 ** 20;

/** The obvious set: one byte per page, every query a scan. */
class NaivePageSet {
  readonly bits: Uint8Array;
  count = 0;
  constructor(n: number) {
    this.bits = new Uint8Array(n);
  }
  add(i: number): boolean {
    if (i < 0 || i >= this.bits.length || this.bits[i]) return false;
    this.bits[i] = 1;
    this.count++;
    return true;
  }
  delete(i: number): boolean {
    if (!this.bits[i]) return false;
    this.bits[i] = 0;
    this.count--;
    return true;
  }
  countRange(start: number, end: number): number {
    let n = 0;
    for (let i = start; i < end; i++) n += this.bits[i];
    return n;
  }
  selectInRange(start: number, end: number, k: number): number {
    for (let i = start; i < end; i++) if (this.bits[i] && k-- === 0) return i;
    return -1;
  }
  nextMember(from: number, end: number): number {
    for (let i = from; i < end; i++) if (this.bits[i]) return i;
    return -1;
  }
}

describe('popcount32 and selectBit32', () => {
  it('count and locate the set bits of any word, sign bit included', () => {
    const rng = new Rng(7);
    const words = [0, 1, 0x80000000, 0xffffffff, 0x55555555, 0xaaaaaaaa, -1];
    for (let t = 0; t < 1000; t++) words.push(rng.nextU32());
    for (const w of words) {
      const positions: number[] = [];
      for (let b = 0; b < 32; b++) if ((w >>> b) & 1) positions.push(b);
      expect(popcount32(w)).toBe(positions.length);
      positions.forEach((pos, r) => expect(selectBit32(w, r)).toBe(pos));
    }
  });
});

describe('PageSet', () => {
  it('starts empty with the requested capacity', () => {
    const s = new PageSet(1000);
    expect(s.capacity).toBe(1000);
    expect(s.count).toBe(0);
    expect(s.has(0)).toBe(false);
    expect(s.countRange(0, 1000)).toBe(0);
    expect(s.nextMember(0, 1000)).toBe(-1);
  });

  it('add and delete report whether membership changed', () => {
    const s = new PageSet(100);
    expect(s.add(31)).toBe(true);
    expect(s.add(31)).toBe(false);
    expect(s.has(31)).toBe(true);
    expect(s.count).toBe(1);
    expect(s.delete(31)).toBe(true);
    expect(s.delete(31)).toBe(false);
    expect(s.count).toBe(0);
  });

  it('rejects pages outside [0, capacity) on mutation and reports them absent on has', () => {
    const s = new PageSet(64);
    expect(() => s.add(64)).toThrow(RangeError);
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.delete(1.5)).toThrow(RangeError);
    expect(() => s.addRange(0, 65)).toThrow(RangeError);
    expect(() => s.countRange(5, 4)).toThrow(RangeError);
    expect(s.has(64)).toBe(false);
    expect(s.has(-1)).toBe(false);
  });

  it('addRange and deleteRange cover exactly [start, end) across word and block boundaries', () => {
    const n = 3 * BLOCK + 7;
    const s = new PageSet(n);
    s.addRange(30, 2 * BLOCK + 33);
    expect(s.count).toBe(2 * BLOCK + 3);
    expect(s.has(29)).toBe(false);
    expect(s.has(30)).toBe(true);
    expect(s.has(2 * BLOCK + 32)).toBe(true);
    expect(s.has(2 * BLOCK + 33)).toBe(false);
    s.deleteRange(BLOCK - 1, BLOCK + 1);
    expect(s.countRange(0, n)).toBe(2 * BLOCK + 1);
    expect(s.nextMember(BLOCK - 1, n)).toBe(BLOCK + 1);
    s.addRange(0, n);
    expect(s.count).toBe(n);
    expect(s.countRange(3 * BLOCK, n)).toBe(7);
    s.deleteRange(0, n);
    expect(s.count).toBe(0);
  });

  it('addMask32 adds base + k for each set bit, at any alignment, ignoring pages past capacity', () => {
    const s = new PageSet(70);
    s.addMask32(5, 0b1011);
    expect([5, 6, 7, 8].map((i) => s.has(i))).toEqual([true, true, false, true]);
    s.addMask32(20, 0x80000001);
    expect(s.has(20)).toBe(true);
    expect(s.has(51)).toBe(true);
    s.addMask32(60, 0xffffffff);
    expect(s.countRange(60, 70)).toBe(10);
    expect(s.count).toBe(3 + 2 + 10);
    s.addMask32(70, 1);
    s.addMask32(1000, 1);
    expect(s.count).toBe(15);
  });

  it('selectInRange returns the k-th member in index order and throws past the last one', () => {
    const s = new PageSet(4 * BLOCK);
    const members = [3, 40, BLOCK - 1, BLOCK, 2 * BLOCK + 5, 4 * BLOCK - 1];
    for (const m of members) s.add(m);
    members.forEach((m, k) => expect(s.selectInRange(0, 4 * BLOCK, k)).toBe(m));
    expect(s.selectInRange(41, 3 * BLOCK, 0)).toBe(BLOCK - 1);
    expect(s.selectInRange(41, 3 * BLOCK, 2)).toBe(2 * BLOCK + 5);
    expect(() => s.selectInRange(41, 3 * BLOCK, 3)).toThrow(RangeError);
    expect(() => s.selectInRange(0, 4 * BLOCK, 6)).toThrow(RangeError);
    expect(() => s.selectInRange(0, 3, 0)).toThrow(RangeError);
  });

  it('selectInRange finds every rank of a crowded block, from its start and from its end', () => {
    const s = new PageSet(3 * BLOCK);
    const naive = new NaivePageSet(3 * BLOCK);
    const rng = new Rng(21);
    // Block 1 holds members in both halves, at word edges and inside words.
    for (let k = 0; k < BLOCK / 3; k++) {
      const p = BLOCK + rng.int(BLOCK);
      s.add(p);
      naive.add(p);
    }
    for (const p of [BLOCK, 2 * BLOCK - 1, BLOCK + 31, BLOCK + 32]) {
      s.add(p);
      naive.add(p);
    }
    const n = naive.countRange(0, 3 * BLOCK);
    for (let k = 0; k < n; k++) {
      expect(s.selectInRange(0, 3 * BLOCK, k)).toBe(naive.selectInRange(0, 3 * BLOCK, k));
    }
  });

  it('nextMember returns the first member at or after from and before end, or -1', () => {
    const s = new PageSet(10 * BLOCK);
    s.add(5);
    s.add(9 * BLOCK + 3);
    expect(s.nextMember(0, 10 * BLOCK)).toBe(5);
    expect(s.nextMember(5, 10 * BLOCK)).toBe(5);
    expect(s.nextMember(6, 10 * BLOCK)).toBe(9 * BLOCK + 3);
    expect(s.nextMember(6, 9 * BLOCK + 3)).toBe(-1);
    expect(s.nextMember(10 * BLOCK, 10 * BLOCK)).toBe(-1);
  });

  it('version changes with membership and stays put when an operation changes nothing', () => {
    const s = new PageSet(3 * BLOCK);
    let v = s.version;
    const changed = (): boolean => {
      const moved = s.version !== v;
      v = s.version;
      return moved;
    };
    s.add(3);
    expect(changed()).toBe(true);
    s.add(3);
    s.delete(4);
    s.deleteRange(100, 2 * BLOCK);
    s.addMask32(3, 1);
    expect(changed()).toBe(false);
    s.clear();
    expect(changed()).toBe(true);
    s.clear();
    expect(changed()).toBe(false);
    s.addRange(0, 3 * BLOCK);
    expect(changed()).toBe(true);
    s.addRange(5, 2 * BLOCK);
    s.addMask32(40, 0xffffffff);
    expect(changed()).toBe(false);
    s.deleteRange(BLOCK, BLOCK + 1);
    expect(changed()).toBe(true);
  });

  it('clear removes every member', () => {
    const s = new PageSet(5 * BLOCK);
    s.addRange(100, 4 * BLOCK);
    s.clear();
    expect(s.count).toBe(0);
    expect(s.countRange(0, 5 * BLOCK)).toBe(0);
    expect(s.nextMember(0, 5 * BLOCK)).toBe(-1);
    s.add(7);
    expect(s.selectInRange(0, 5 * BLOCK, 0)).toBe(7);
  });

  it('matches a naive set over thousands of random operations', () => {
    const n = RANDOM_CAPACITY;
    for (const seed of RANDOM_SEEDS) {
      const rng = new Rng(seed);
      const s = new PageSet(n);
      const ref = new NaivePageSet(n);
      // Ranges of every scale: inside a word, across words, across blocks, nearly all.
      const randomRange = (): [number, number] => {
        const scale = [8, 80, 2 * BLOCK, 6 * BLOCK, n][rng.int(5)];
        const start = rng.int(n + 1);
        const end = Math.min(n, start + rng.int(scale + 1));
        return [start, end];
      };
      for (let op = 0; op < RANDOM_OPS; op++) {
        const kind = rng.int(9);
        if (kind === 0) {
          const i = rng.int(n);
          expect(s.add(i)).toBe(ref.add(i));
        } else if (kind === 1) {
          const i = rng.int(n);
          expect(s.delete(i)).toBe(ref.delete(i));
        } else if (kind === 2) {
          const [a, b] = randomRange();
          s.addRange(a, b);
          for (let i = a; i < b; i++) ref.add(i);
        } else if (kind === 3) {
          const [a, b] = randomRange();
          s.deleteRange(a, b);
          for (let i = a; i < b; i++) ref.delete(i);
        } else if (kind === 4) {
          const base = rng.int(n + 40);
          const mask = rng.nextU32();
          s.addMask32(base, mask);
          for (let k = 0; k < 32; k++) if ((mask >>> k) & 1) ref.add(base + k);
        } else if (kind === 5) {
          const [a, b] = randomRange();
          expect(s.countRange(a, b)).toBe(ref.countRange(a, b));
        } else if (kind === 6) {
          const [a, b] = randomRange();
          const c = ref.countRange(a, b);
          if (c > 0) {
            const k = rng.int(c);
            expect(s.selectInRange(a, b, k)).toBe(ref.selectInRange(a, b, k));
          }
          expect(() => s.selectInRange(a, b, c)).toThrow(RangeError);
        } else if (kind === 7) {
          const [a, b] = randomRange();
          expect(s.nextMember(a, b)).toBe(ref.nextMember(a, b));
        } else if (rng.chance(0.05)) {
          s.clear();
          ref.bits.fill(0);
          ref.count = 0;
        }
        expect(s.count).toBe(ref.count);
      }
      // Every block count and every prefix sum (the Fenwick tree) agrees with the reference.
      for (let b = 0; b * BLOCK < n; b++) {
        const end = Math.min(n, (b + 1) * BLOCK);
        expect(s.countRange(b * BLOCK, end)).toBe(ref.countRange(b * BLOCK, end));
        expect(s.countRange(0, end)).toBe(ref.countRange(0, end));
      }
      const wrong: number[] = [];
      for (let i = 0; i < n; i++) if (s.has(i) !== (ref.bits[i] === 1)) wrong.push(i);
      expect(wrong).toEqual([]);
    }
  });

  it(`stays under ${MEMORY_BUDGET / MiB} MiB for 2^28 pages, even when full`, () => {
    const s = new PageSet(MEMORY_PAGES);
    expect(s.bytes).toBeLessThan(MEMORY_BUDGET);
    s.addRange(0, MEMORY_PAGES);
    expect(s.count).toBe(MEMORY_PAGES);
    expect(s.countRange(12345, MEMORY_PAGES - 7)).toBe(MEMORY_PAGES - 7 - 12345);
    expect(s.selectInRange(1000, MEMORY_PAGES, 2 ** 27)).toBe(1000 + 2 ** 27);
    s.deleteRange(5, MEMORY_PAGES - 5);
    expect(s.count).toBe(10);
    expect(s.selectInRange(0, MEMORY_PAGES, 5)).toBe(MEMORY_PAGES - 5);
    expect(s.nextMember(5, MEMORY_PAGES)).toBe(MEMORY_PAGES - 5);
  });
});
