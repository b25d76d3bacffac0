import { describe, expect, it, vi } from 'vitest';
import { PageGenerations } from '../../../engine/guest/generations.ts';
import { PagedU32 } from '../../../engine/guest/paged-u32.ts';
import { Rng } from '../../../engine/sim/rng.ts';

// ---- tunables ----
/** Small chunks, so that ranges cross chunk boundaries and whole chunks are settled. */
const CHUNK_SHIFT = 6;
const PAGES = 1000;
const STEPS = 20_000;
/** Three groups of 2^14 pages and a ragged tail, with sends up to two groups long. */
const LARGE_PAGES = 3 * 2 ** 14 + 100;
const LARGE_RANGE = 2 ** 15;

describe('PageGenerations', () => {
  it('makes the first write of a never-written page a new generation, and the next not', () => {
    const g = new PageGenerations(PAGES, CHUNK_SHIFT);
    expect(g.get(5)).toBe(0);
    expect(g.write(5)).toBe(true);
    expect(g.get(5)).toBe(1);
    expect(g.isBehind(5)).toBe(true);
    expect(g.write(5)).toBe(false);
    expect(g.get(5)).toBe(1);
  });

  it('makes the first write after the destination received the page a new generation', () => {
    const g = new PageGenerations(PAGES, CHUNK_SHIFT);
    const dest = new PagedU32(PAGES, CHUNK_SHIFT);
    g.write(70);
    expect(g.received(dest, 64, 128)).toBe(63); // the never-written pages: zero pages
    expect(dest.get(70)).toBe(1);
    expect(g.isBehind(70)).toBe(false);
    expect(g.write(70)).toBe(true);
    expect(g.get(70)).toBe(2);
    expect(dest.get(70)).toBe(1);
  });

  it('counts pages with a pending generation as written', () => {
    const g = new PageGenerations(PAGES, CHUNK_SHIFT);
    for (const p of [1, 2, 200, 999]) g.write(p);
    expect(g.countEqual(0, PAGES, 0)).toBe(PAGES - 4);
    expect(g.countEqual(0, PAGES, 1)).toBe(4);
    expect(g.settled().countEqual(0, PAGES, 1)).toBe(4);
  });

  it('prefills never-written pages with generation 1 and refuses written ones', () => {
    const g = new PageGenerations(PAGES, CHUNK_SHIFT);
    g.fillWritten(0, 100);
    expect(g.get(99)).toBe(1);
    expect(g.isBehind(99)).toBe(true);
    expect(g.write(99)).toBe(false);
    g.write(150);
    expect(() => g.fillWritten(100, 200)).toThrow(/pages \[100, 200\) were written already/);
  });

  it('only lets a generation grow', () => {
    const g = new PageGenerations(PAGES, CHUNK_SHIFT);
    g.write(3);
    g.set(3, 5);
    expect(g.get(3)).toBe(5);
    g.increment(3);
    expect(g.get(3)).toBe(6);
    expect(() => g.set(3, 6)).toThrow(/page 3: a generation only grows, from 6/);
    expect(() => g.set(3, 2.5)).toThrow(/got 2.5/);
  });

  it('receives short runs exactly as the general path does (settle, copy, count, clear behind)', () => {
    // Twins fed the same operations: `received` (fused path for short runs) and
    // `receivedRange` (the general path). 256-page chunks, 2^14-page groups: runs of up
    // to 80 pages fall inside a chunk, across one's end, across a group's boundary.
    const pages = 2 ** 15 + 300;
    const shift = 8;
    const fused = new PageGenerations(pages, shift);
    const plain = new PageGenerations(pages, shift);
    const fusedDest = new PagedU32(pages, shift);
    const plainDest = new PagedU32(pages, shift);
    const copies = vi.spyOn(fusedDest, 'copyRangeFrom');
    const rng = new Rng(21);
    let runs = 0;
    const near = () => (rng.chance(0.5) ? 2 ** 14 - 40 + rng.int(80) : rng.int(pages));
    for (let step = 0; step < 40_000; step++) {
      const p = near();
      if (rng.chance(0.6)) {
        expect(fused.write(p)).toBe(plain.write(p));
      } else if (rng.chance(0.9)) {
        const end = Math.min(pages, p + 1 + rng.int(80));
        expect(fused.received(fusedDest, p, end)).toBe(plain.receivedRange(plainDest, p, end));
        runs++;
      } else {
        fused.increment(p);
        plain.increment(p);
      }
    }
    // Most runs took the fused path (no copyRangeFrom on its destination).
    expect(runs - copies.mock.calls.length).toBeGreaterThan(runs / 2);
    const a = fused.settled();
    const b = plain.settled();
    const wrong: number[] = [];
    for (let q = 0; q < pages; q++) {
      if (a.get(q) !== b.get(q) || fused.isBehind(q) !== plain.isBehind(q)) wrong.push(q);
      if (fusedDest.get(q) !== plainDest.get(q)) wrong.push(q);
    }
    expect(wrong).toEqual([]);
    expect(fusedDest.materializedChunks).toBe(plainDest.materializedChunks);
    expect(fused.allocatedBytes).toBe(plain.allocatedBytes);
  });

  for (const [pages, maxRange] of [
    [PAGES, 150],
    [LARGE_PAGES, LARGE_RANGE],
  ]) {
    it(`follows the rule "new generation iff never written or the destination is current" in any sequence (${pages} pages)`, () => {
      // A naive model: generations, the destination's copies, and what it received.
      const gen = new Uint32Array(pages);
      const destGen = new Int32Array(pages).fill(-1);
      const g = new PageGenerations(pages, CHUNK_SHIFT);
      const dest = new PagedU32(pages, CHUNK_SHIFT);
      const rng = new Rng(11);
      for (let step = 0; step < STEPS; step++) {
        const r = rng.next();
        const p = rng.int(pages);
        if (r < 0.6) {
          const fresh = gen[p] === 0 || destGen[p] === gen[p];
          if (fresh) gen[p]++;
          expect(g.write(p)).toBe(fresh);
        } else if (r < 0.8) {
          const end = Math.min(pages, p + 1 + rng.int(maxRange));
          let zeros = 0;
          for (let q = p; q < end; q++) if (gen[q] === 0) zeros++;
          expect(g.received(dest, p, end)).toBe(zeros);
          for (let q = p; q < end; q++) destGen[q] = gen[q];
        } else if (r < 0.85) {
          gen[p]++;
          g.increment(p);
        } else {
          const end = Math.min(pages, p + rng.int(2 * maxRange));
          let zeros = 0;
          for (let q = p; q < end; q++) if (gen[q] === 0) zeros++;
          expect(g.countEqual(p, end, 0)).toBe(zeros);
        }
        expect(g.get(p)).toBe(gen[p]);
        expect(g.isBehind(p)).toBe(gen[p] !== 0 && destGen[p] !== gen[p]);
      }
      const settled = g.settled();
      const wrong: number[] = [];
      for (let q = 0; q < pages; q++) {
        if (settled.get(q) !== gen[q] || g.isBehind(q) !== (gen[q] !== 0 && destGen[q] !== gen[q]))
          wrong.push(q);
        if (destGen[q] >= 0 && dest.get(q) !== destGen[q]) wrong.push(q);
      }
      expect(wrong).toEqual([]);
    });
  }
});
