import { describe, expect, it } from 'vitest';
import {
  BuddyAllocator,
  PAGE_ALLOCATED,
  PAGE_FREE,
  PAGE_ISOLATED,
} from '../../../engine/guest/buddy.ts';
import { AllocState } from '../../../engine/guest/alloc-workload.ts';
import { Rng } from '../../../engine/sim/rng.ts';

/** 16 MiB of 4 KiB pages: four MAX_ORDER-1 (order 10) blocks. */
const PAGES = 4096;
const RANDOM_STEPS = 20_000;

function freshBuddy(): BuddyAllocator {
  const b = new BuddyAllocator(PAGES);
  b.freeRange(0, PAGES);
  return b;
}

describe('BuddyAllocator', () => {
  it('hands memory out as the largest aligned blocks at boot', () => {
    const b = freshBuddy();
    expect(b.nrFree[10]).toBe(4);
    expect(b.freePages).toBe(PAGES);
  });

  it('splits the smallest larger block and merges it back when freed', () => {
    const b = freshBuddy();
    const head = b.alloc(0);
    expect(head % 1024).toBe(0);
    expect(Array.from(b.nrFree.slice(0, 10))).toEqual(new Array<number>(10).fill(1));
    expect(b.nrFree[10]).toBe(3);
    expect(b.free(head, 0)).toEqual({ head, order: 10 });
    expect(b.nrFree[10]).toBe(4);
    expect(b.freePages).toBe(PAGES);
  });

  it('never merges a block across a memslot boundary', () => {
    const b = new BuddyAllocator(PAGES, 11, [
      [0, 1536],
      [1536, PAGES],
    ]);
    b.freeRange(0, 1536);
    b.freeRange(1536, PAGES);
    // 1024..1536 and 1536..2048 are buddies of order 9, in different slots.
    expect(b.nrFree[9]).toBe(2);
    expect(b.nrFree[10]).toBe(3);
  });

  it('hands no page out twice and loses none under random allocate/free', () => {
    const b = freshBuddy();
    const rng = new Rng(7);
    const owner = new Int32Array(PAGES).fill(-1);
    const live: [number, number][] = [];
    let errors = 0;
    for (let step = 0; step < RANDOM_STEPS; step++) {
      if (live.length && rng.chance(0.5)) {
        const [head, order] = live.splice(rng.int(live.length), 1)[0];
        for (let p = head; p < head + (1 << order); p++) owner[p] = -1;
        b.free(head, order);
      } else {
        const order = rng.int(6);
        const head = b.alloc(order);
        if (head < 0) continue;
        if (head % (1 << order) !== 0) errors++;
        for (let p = head; p < head + (1 << order); p++) {
          if (owner[p] !== -1 || b.state[p] !== PAGE_ALLOCATED) errors++;
          owner[p] = step;
        }
        live.push([head, order]);
      }
    }
    expect(errors).toBe(0);
    const used = live.reduce((n, [, o]) => n + (1 << o), 0);
    expect(b.freePages + used).toBe(PAGES);
    for (const [head, order] of live) b.free(head, order);
    expect(b.nrFree[10]).toBe(4);
  });

  it('marks a reported block PageReported until it merges with an unreported buddy', () => {
    const b = freshBuddy();
    const a = b.alloc(9); // its buddy is free and unreported
    const buddy = b.firstFree(9);
    expect(buddy).toBe(a ^ 512);
    b.isolate(buddy, 9);
    expect(b.state[buddy]).toBe(PAGE_ISOLATED);
    b.putbackReported(buddy, 9);
    expect(b.isReported(buddy)).toBe(true);
    expect(b.state[buddy]).toBe(PAGE_FREE);
    b.free(a, 9);
    expect(b.isReported(Math.min(a, buddy))).toBe(false);
    expect(b.nrFree[10]).toBe(4);
  });
});

describe('AllocState', () => {
  it('leaves free memory fragmented after a peak freed down at random', () => {
    const b = new BuddyAllocator(16 * PAGES);
    b.freeRange(0, 16 * PAGES);
    const rng = new Rng(3);
    const state = new AllocState(b, 4 * PAGES, 9, 12 * PAGES);
    while (state.usedPages < state.peakPages && state.failures === 0)
      state.step(rng, state.peakPages);
    while (state.usedPages > state.targetPages) state.step(rng);
    // Three quarters of RAM is free, but most of it in blocks below the huge-page order.
    expect(b.freePages).toBeGreaterThan(11 * PAGES);
    expect(b.freePagesAtOrAbove(9)).toBeLessThan(b.freePages / 2);
    expect(b.freePagesAtOrAbove(10)).toBeLessThan(b.freePagesAtOrAbove(9));
  });

  it('picks only pages it holds', () => {
    const b = freshBuddy();
    const rng = new Rng(5);
    const state = new AllocState(b, 1000, 4);
    for (let k = 0; k < 2000; k++) state.step(rng);
    const picked = Array.from({ length: 1000 }, () => b.state[state.pickPage(rng)]);
    expect(picked.every((s) => s === PAGE_ALLOCATED)).toBe(true);
  });
});
