import { describe, expect, it } from 'vitest';
import {
  StallEpisodes,
  selectRank,
  selectRankWeighted,
} from '../../../engine/sim/stall-episodes.ts';
import { Rng } from '../../../engine/sim/rng.ts';

// ---- tunables ----
/** Random arrays checked against a full sort, and their largest length. */
const CASES = 300;
const MAX_LENGTH = 200;

/** The rank-k value by sorting a copy: the brute-force reference. */
function sortedRank(a: Float64Array, k: number): number {
  return Float64Array.from(a).sort()[k];
}

describe('selectRank', () => {
  it('finds the value of every rank that a full sort puts there', () => {
    const rng = new Rng(11);
    for (let c = 0; c < CASES; c++) {
      const n = 1 + rng.int(MAX_LENGTH);
      // Few distinct values in some cases, so that ties and runs of equal values occur.
      const distinct = rng.chance(0.5) ? 1 + rng.int(4) : 1e9;
      const a = Float64Array.from({ length: n }, () => rng.int(distinct) * 0.5);
      const k = rng.int(n);
      expect(selectRank(Float64Array.from(a), k)).toBe(sortedRank(a, k));
    }
  });

  it('handles sorted, reversed and constant arrays', () => {
    const up = Float64Array.from({ length: 1000 }, (_, i) => i);
    const down = Float64Array.from(up).reverse();
    const flat = new Float64Array(1000).fill(7);
    for (const k of [0, 1, 499, 998, 999]) {
      expect(selectRank(Float64Array.from(up), k)).toBe(k);
      expect(selectRank(Float64Array.from(down), k)).toBe(k);
      expect(selectRank(Float64Array.from(flat), k)).toBe(7);
    }
  });

  it('rejects a rank outside the array', () => {
    expect(() => selectRank(new Float64Array(3), 3)).toThrow(/rank 3 is outside \[0, 3\)/);
    expect(() => selectRank(new Float64Array(3), -1)).toThrow(/rank -1 is outside/);
    expect(selectRank(new Float64Array([5, 2, 9]), 2)).toBe(9);
  });
});

describe('selectRankWeighted', () => {
  const none = new Float64Array(0);

  /** Parts of values packed into one bucket (close together), spread over many, or few distinct. */
  function randomValues(rng: Rng, n: number): Float64Array {
    const kind = rng.int(3);
    return Float64Array.from({ length: n }, () =>
      kind === 0 ? 1000 + rng.int(10) * 0.25 : kind === 1 ? rng.int(1e9) * 1.5 : rng.int(3),
    );
  }

  it('finds the rank a sort of all parts together gives', () => {
    const rng = new Rng(12);
    for (let c = 0; c < CASES; c++) {
      const parts = Array.from({ length: 1 + rng.int(4) }, () =>
        randomValues(rng, rng.int(MAX_LENGTH)),
      );
      const all = Float64Array.from(parts.flatMap((p) => Array.from(p)));
      if (all.length === 0) continue;
      const k = rng.int(all.length);
      const before = parts.map((p) => Float64Array.from(p));
      expect(selectRankWeighted(parts, none, none, k)).toBe(sortedRank(all, k));
      expect(parts).toEqual(before);
    }
  });

  it('counts each key as many times as its weight, beside the parts', () => {
    const rng = new Rng(14);
    for (let c = 0; c < CASES; c++) {
      const parts = Array.from({ length: rng.int(3) }, () => randomValues(rng, rng.int(50)));
      // Keys among the parts' values (ties), near them, or anywhere; some of weight 0.
      const pool = parts.flatMap((p) => Array.from(p));
      const keys = Float64Array.from({ length: rng.int(20) }, () =>
        pool.length > 0 && rng.chance(0.4)
          ? pool[rng.int(pool.length)]
          : rng.chance(0.5)
            ? 1000 + rng.int(10) * 0.25
            : rng.int(1e6),
      );
      const weights = Float64Array.from(keys, () => (rng.chance(0.2) ? 0 : 1 + rng.int(30)));
      const all = Float64Array.from([
        ...pool,
        ...Array.from(keys).flatMap((key, j) => new Array<number>(weights[j]).fill(key)),
      ]);
      if (all.length === 0) continue;
      const before = [keys, weights, ...parts].map((a) => Float64Array.from(a));
      for (const k of [0, rng.int(all.length), all.length - 1]) {
        expect(selectRankWeighted(parts, keys, weights, k)).toBe(sortedRank(all, k));
      }
      expect([keys, weights, ...parts]).toEqual(before);
    }
  });

  it('rejects a rank outside the multiset and a negative value', () => {
    const parts = [new Float64Array([3, 1]), new Float64Array([2])];
    const keys = new Float64Array([5, 0.5]);
    const weights = new Float64Array([2, 0]);
    expect(selectRankWeighted(parts, keys, weights, 2)).toBe(3);
    expect(selectRankWeighted(parts, keys, weights, 4)).toBe(5);
    expect(() => selectRankWeighted(parts, keys, weights, 5)).toThrow(/rank 5 is outside \[0, 5\)/);
    expect(() => selectRankWeighted([new Float64Array([1, -2])], none, none, 0)).toThrow(
      /values must be non-negative, got -2/,
    );
    expect(() => selectRankWeighted([], new Float64Array([-3]), new Float64Array([1]), 0)).toThrow(
      /values must be non-negative, got -3/,
    );
  });
});

describe('StallEpisodes', () => {
  it('keeps every stall of a long run: quantiles over more stalls than one block holds', () => {
    const rng = new Rng(13);
    const thread = { stallNs: new Float64Array(1) };
    const e = new StallEpisodes([thread]);
    const closed: number[] = [];
    // 150 000 slices, each losing a random part of its 1000 ns: one stall each.
    for (let k = 0; k < 150_000; k++) {
      const lost = 1 + rng.int(999);
      thread.stallNs[0] += lost;
      closed.push(lost);
      e.afterSlice(1000);
    }
    e.finish();
    expect(e.count).toBe(closed.length);
    closed.sort((x, y) => x - y);
    for (const q of [0, 0.5, 0.99, 1]) {
      expect(e.quantileNs(q)).toBe(closed[Math.max(0, Math.ceil(q * closed.length) - 1)]);
    }
  });

  it('keeps stalls of more distinct lengths than its table counts', () => {
    const rng = new Rng(15);
    const thread = { stallNs: new Float64Array(1) };
    const e = new StallEpisodes([thread]);
    const closed: number[] = [];
    // 200 000 slices of 2^20 ns, a third losing 4096 ns, the rest a random part: more
    // than 65 536 distinct lengths, the first ones counted, the later ones listed.
    for (let k = 0; k < 200_000; k++) {
      const lost = rng.chance(0.33) ? 4096 : 1 + rng.int(2 ** 20 - 1);
      thread.stallNs[0] += lost;
      closed.push(lost);
      e.afterSlice(2 ** 20);
    }
    e.finish();
    expect(new Set(closed).size).toBeGreaterThan(70_000);
    expect(e.count).toBe(closed.length);
    closed.sort((x, y) => x - y);
    for (const q of [0, 0.1, 0.33, 0.5, 0.9, 0.99, 1]) {
      expect(e.quantileNs(q)).toBe(closed[Math.max(0, Math.ceil(q * closed.length) - 1)]);
    }
  });

  it('joins a stall over slices lost entirely and reports the p99 of all stalls', () => {
    const SLICE = 100;
    const threads = [{ stallNs: new Float64Array(2) }, { stallNs: new Float64Array(2) }];
    const e = new StallEpisodes(threads);
    // vCPU 0 loses a whole slice, then 30 ns: one stall of 130. vCPU 1 loses k ns in slice k.
    const lost0 = [SLICE, 30];
    for (let k = 1; k <= 200; k++) {
      threads[0].stallNs[0] += lost0[k - 1] ?? 0;
      threads[1].stallNs[1] += k;
      e.afterSlice(SLICE);
    }
    e.finish();
    // vCPU 1: stalls 1..99, then 100..200 each fill their slice and join into one.
    const joined = Array.from({ length: 101 }, (_, i) => 100 + i).reduce((s, x) => s + x, 0);
    expect(e.maxNs[0]).toBe(130);
    expect(e.maxNs[1]).toBe(joined);
    expect(e.maxStallNs).toBe(joined);
    const all = [130, ...Array.from({ length: 99 }, (_, i) => i + 1), joined];
    all.sort((x, y) => x - y);
    expect(e.quantileNs(0.99)).toBe(all[Math.ceil(0.99 * all.length) - 1]);
    expect(e.quantileNs(0)).toBe(all[0]);
  });

  it('reports 0 when no vCPU stalled', () => {
    const e = new StallEpisodes([{ stallNs: new Float64Array(1) }]);
    e.afterSlice(100);
    e.finish();
    expect(e.quantileNs(0.99)).toBe(0);
  });
});
