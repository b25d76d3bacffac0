import { describe, expect, it } from 'vitest';
import type { TraceRow, WorkloadSpec } from '../../../engine/plan.ts';
import type { AccessPattern, Component } from '../../../engine/guest/workload.ts';
import { Kvm } from '../../../engine/index.ts';
import { GuestMemory } from '../../../engine/guest/memory.ts';
import { compileWorkloads } from '../../../engine/guest/workload.ts';
import { simulate } from '../../../engine/sim/simulation.ts';
import { GiB, MiB, plan, smallVm } from '../../helpers/plans.ts';

// ---- tunables ----
/** Two slots, in gpa order: 48 MiB at 0 and 80 MiB at 4 GiB (12288 + 20480 pages). */
const SLOT0_PAGES = 12288;
const SLOT1_PAGES = 20480;
const RAM_PAGES = SLOT0_PAGES + SLOT1_PAGES;
const ZIPF_EXPONENTS = [0.8, 1, 1.2];
/** Largest relative error of a zipf bucket's mass against the exact Zipf sum. */
const ZIPF_TOLERANCE = 0.01;
/** The sampling check: seeds, warm-up, and the hot set (256 MiB of a 1 GiB VM). */
const SAMPLING_SEEDS = [1, 2, 3, 4];
const SAMPLING_WARMUP_NS = 200e6;
const SAMPLING_HOT_PAGES = 65536;
const SAMPLING_HOT_SHARE = 0.9;
/** Allowed distance from hotShare: per seed, and for the mean over seeds. */
const SAMPLING_SEED_TOLERANCE = 0.05;
const SAMPLING_MEAN_TOLERANCE = 0.02;

/** Guest memory over a real KVM VM with the two slots above. */
function twoSlotMemory(): GuestMemory {
  const vm = new Kvm({ arch: 'x86_64' }).createVm();
  vm.setUserMemoryRegion({
    slot: 0,
    flags: 0,
    guestPhysAddr: 0,
    memorySize: SLOT0_PAGES * 4096,
  });
  vm.setUserMemoryRegion({
    slot: 1,
    flags: 0,
    guestPhysAddr: 4 * GiB,
    memorySize: SLOT1_PAGES * 4096,
  });
  return new GuestMemory(vm.memslots());
}

type Mixture = Extract<AccessPattern, { kind: 'mixture' }>;

function mixture(p: AccessPattern): Mixture {
  if (p.kind !== 'mixture') throw new Error(`expected a mixture pattern, got ${p.kind}`);
  return p;
}

/** A component as plain data: its slot, range and weight. */
function shape(c: Component): { slot: number; start: number; end: number; weight: number } {
  return { slot: c.slot.index, start: c.start, end: c.end, weight: c.weight };
}

function totalWeight(p: Mixture): number {
  return p.components.reduce((t, c) => t + c.weight, 0);
}

/** RAM page of a component's first page. */
function ramStart(c: Component): number {
  return c.slot.ramStart + c.start;
}

/** sum of r^-s for r in [a, b). */
function zipfSum(a: number, b: number, s: number): number {
  let m = 0;
  for (let r = a; r < b; r++) m += r ** -s;
  return m;
}

function compileOne(spec: WorkloadSpec, memory = twoSlotMemory(), vcpus = 1): AccessPattern[] {
  return compileWorkloads([spec], vcpus, memory);
}

describe('compileWorkloads: uniform', () => {
  it('covers the whole of RAM with weights proportional to each slot part', () => {
    const [p] = compileOne({ kind: 'uniform', rate: 1000 });
    expect(mixture(p).components.map(shape)).toEqual([
      { slot: 0, start: 0, end: SLOT0_PAGES, weight: SLOT0_PAGES / RAM_PAGES },
      { slot: 1, start: 0, end: SLOT1_PAGES, weight: SLOT1_PAGES / RAM_PAGES },
    ]);
  });

  it('splits a region at the slot boundary', () => {
    // Pages [10000, 14000): 2288 in slot 0, 1712 in slot 1.
    const region = { offset: 10000 * 4096, size: 4000 * 4096 };
    const [p] = compileOne({ kind: 'uniform', rate: 1000, region });
    expect(mixture(p).components.map(shape)).toEqual([
      { slot: 0, start: 10000, end: SLOT0_PAGES, weight: 2288 / 4000 },
      { slot: 1, start: 0, end: 1712, weight: 1712 / 4000 },
    ]);
  });

  it('keeps a region inside one slot as one component', () => {
    const region = { offset: (SLOT0_PAGES + 100) * 4096, size: 50 * 4096 };
    const [p] = compileOne({ kind: 'uniform', rate: 1000, region });
    expect(mixture(p).components.map(shape)).toEqual([
      { slot: 1, start: 100, end: 150, weight: 1 },
    ]);
  });

  it('carries rate and readFraction', () => {
    const [p] = compileOne({ kind: 'uniform', rate: 1234, readFraction: 0.25 });
    expect(mixture(p)).toMatchObject({ rate: 1234, readFraction: 0.25 });
  });
});

describe('compileWorkloads: hotset', () => {
  it('gives the hot pages hotShare and the rest of the region 1 - hotShare', () => {
    const [p] = compileOne({ kind: 'hotset', rate: 1000, hotBytes: 16 * MiB, hotShare: 0.8 });
    const cold = RAM_PAGES - 4096;
    const comps = mixture(p).components.map(shape);
    expect(comps).toHaveLength(3);
    expect(comps[0]).toEqual({ slot: 0, start: 0, end: 4096, weight: 0.8 });
    expect(comps[1]).toMatchObject({ slot: 0, start: 4096, end: SLOT0_PAGES });
    expect(comps[1].weight).toBeCloseTo((0.2 * (SLOT0_PAGES - 4096)) / cold, 12);
    expect(comps[2]).toMatchObject({ slot: 1, start: 0, end: SLOT1_PAGES });
    expect(comps[2].weight).toBeCloseTo((0.2 * SLOT1_PAGES) / cold, 12);
  });

  it('splits a hot set that crosses the slot boundary, with 0.9 by default', () => {
    // 64 MiB = 16384 hot pages: all of slot 0 and 4096 pages of slot 1.
    const [p] = compileOne({ kind: 'hotset', rate: 1000, hotBytes: 64 * MiB });
    const comps = mixture(p).components.map(shape);
    expect(comps.map(({ slot, start, end }) => [slot, start, end])).toEqual([
      [0, 0, SLOT0_PAGES],
      [1, 0, 4096],
      [1, 4096, SLOT1_PAGES],
    ]);
    expect(comps[0].weight + comps[1].weight).toBeCloseTo(0.9, 12);
    expect(comps[0].weight / comps[1].weight).toBeCloseTo(SLOT0_PAGES / 4096, 9);
    expect(comps[2].weight).toBeCloseTo(0.1, 12);
  });

  it('gives a hot set covering the whole region every access', () => {
    const region = { offset: 0, size: 1000 * 4096 };
    const [p] = compileOne({ kind: 'hotset', rate: 1000, region, hotBytes: GiB, hotShare: 0.9 });
    expect(mixture(p).components.map(shape)).toEqual([{ slot: 0, start: 0, end: 1000, weight: 1 }]);
  });

  it('rejects a hotShare outside [0, 1]', () => {
    expect(() => compileOne({ kind: 'hotset', rate: 1, hotBytes: MiB, hotShare: 1.5 })).toThrow(
      'hotShare must be between 0 and 1, got 1.5',
    );
    expect(() => compileOne({ kind: 'hotset', rate: 1, hotBytes: MiB, hotShare: 1 })).not.toThrow();
  });
});

describe('compileWorkloads: zipf', () => {
  // Pages [2048, 30720): rank 1 is page 2048; the bucket [8192, 16384) crosses slot 0's end.
  const REGION_START = 2048;
  const REGION_PAGES = 28672;
  const region = { offset: REGION_START * 4096, size: REGION_PAGES * 4096 };

  /** Component weights grouped by bucket b (ranks [2^b, 2^(b+1))), with the bucket's rank range. */
  function buckets(p: Mixture): { a: number; b: number; weight: number; density: number }[] {
    const out: { a: number; b: number; weight: number; density: number }[] = [];
    for (const c of p.components) {
      const rank = ramStart(c) - REGION_START + 1;
      const b = Math.floor(Math.log2(rank));
      const last = out[out.length - 1];
      if (last && Math.floor(Math.log2(last.a)) === b) {
        last.weight += c.weight;
        last.b = rank + (c.end - c.start);
      } else {
        out.push({ a: rank, b: rank + (c.end - c.start), weight: c.weight, density: 0 });
      }
    }
    for (const x of out) x.density = x.weight / (x.b - x.a);
    return out;
  }

  for (const s of ZIPF_EXPONENTS) {
    describe(`exponent ${s}`, () => {
      const p = mixture(compileOne({ kind: 'zipf', rate: 1000, exponent: s, region })[0]);

      it('covers the region with ranks in page order and weights summing to 1', () => {
        const comps = p.components;
        expect(ramStart(comps[0])).toBe(REGION_START);
        for (let k = 1; k < comps.length; k++) {
          expect(ramStart(comps[k])).toBe(
            ramStart(comps[k - 1]) + comps[k - 1].end - comps[k - 1].start,
          );
        }
        const last = comps[comps.length - 1];
        expect(ramStart(last) + last.end - last.start).toBe(REGION_START + REGION_PAGES);
        expect(totalWeight(p)).toBeCloseTo(1, 12);
      });

      it('gives doubling buckets that decrease in per-page probability with rank', () => {
        const bs = buckets(p);
        expect(bs.map((x) => x.a)).toEqual(bs.map((_, b) => 2 ** b));
        for (let k = 1; k < bs.length; k++) expect(bs[k].density).toBeLessThan(bs[k - 1].density);
        // Inside a bucket every page has the same probability, across the slot split too.
        for (const c of p.components) {
          const rank = ramStart(c) - REGION_START + 1;
          const bucket = bs[Math.floor(Math.log2(rank))];
          expect(c.weight / (c.end - c.start)).toBeCloseTo(bucket.density, 15);
        }
      });

      it(`gives each bucket its exact Zipf mass within ${ZIPF_TOLERANCE * 100}%`, () => {
        const total = zipfSum(1, REGION_PAGES + 1, s);
        for (const x of buckets(p)) {
          const exact = zipfSum(x.a, x.b, s) / total;
          expect(Math.abs(x.weight - exact) / exact).toBeLessThan(ZIPF_TOLERANCE);
        }
      });
    });
  }
});

describe('compileWorkloads: partition', () => {
  it('gives each vCPU its own disjoint, equal slice of the region', () => {
    const patterns = compileOne({ kind: 'uniform', rate: 1000, partition: true }, undefined, 4);
    const slice = RAM_PAGES / 4;
    // How many vCPUs own each page, per slot.
    const owners = [new Uint8Array(SLOT0_PAGES), new Uint8Array(SLOT1_PAGES)];
    patterns.forEach((pattern, id) => {
      const p = mixture(pattern);
      expect(totalWeight(p)).toBeCloseTo(1, 12);
      const pages = p.components.reduce((n, c) => n + c.end - c.start, 0);
      expect(pages).toBe(slice);
      expect(ramStart(p.components[0])).toBe(id * slice);
      for (const c of p.components) {
        const o = owners[c.slot.index];
        for (let page = c.start; page < c.end; page++) o[page]++;
      }
    });
    expect(owners.every((o) => o.every((n) => n === 1))).toBe(true);
  });

  it('splits a vCPU slice that crosses the slot boundary', () => {
    const patterns = compileOne({ kind: 'uniform', rate: 1000, partition: true }, undefined, 4);
    // vCPU 1 owns RAM pages [8192, 16384): 4096 at the end of slot 0, 4096 of slot 1.
    expect(mixture(patterns[1]).components.map(shape)).toEqual([
      { slot: 0, start: 8192, end: SLOT0_PAGES, weight: 0.5 },
      { slot: 1, start: 0, end: 4096, weight: 0.5 },
    ]);
  });

  it('gives each vCPU its own Component objects', () => {
    const [a, b] = compileOne(
      { kind: 'zipf', rate: 1, exponent: 1, partition: true },
      undefined,
      2,
    );
    const ofB = new Set(mixture(b).components);
    for (const c of mixture(a).components) expect(ofB.has(c)).toBe(false);
  });
});

describe('compileWorkloads: vCPU selection', () => {
  it('shares the Component objects of a non-partitioned workload between its vCPUs', () => {
    const patterns = compileOne({ kind: 'hotset', rate: 1000, hotBytes: MiB }, undefined, 3);
    const first = mixture(patterns[0]).components;
    for (const p of patterns.slice(1)) {
      mixture(p).components.forEach((c, k) => expect(c).toBe(first[k]));
    }
  });

  it('rejects a vCPU named by two workloads, naming the vCPU', () => {
    const specs: WorkloadSpec[] = [
      { kind: 'uniform', rate: 1, vcpus: [0, 1] },
      { kind: 'zipf', rate: 1, exponent: 1, vcpus: [1, 2] },
    ];
    expect(() => compileWorkloads(specs, 3, twoSlotMemory())).toThrow(
      'vCPU 1 is given two workloads (workload 2 is the second); give each vCPU one',
    );
  });

  it('accepts workloads on disjoint vCPUs and idles the vCPUs no workload names', () => {
    const specs: WorkloadSpec[] = [
      { kind: 'uniform', rate: 1, vcpus: [0, 1] },
      { kind: 'zipf', rate: 1, exponent: 1, vcpus: [2] },
    ];
    const patterns = compileWorkloads(specs, 4, twoSlotMemory());
    expect(patterns.map((p) => p.kind)).toEqual(['mixture', 'mixture', 'mixture', 'idle']);
  });

  it('rejects a vCPU id the VM does not have', () => {
    expect(() => compileOne({ kind: 'uniform', rate: 1, vcpus: [2] }, undefined, 2)).toThrow(
      'workload 1 names vCPU 2, but the VM has vCPUs 0..1',
    );
  });
});

describe('compileWorkloads: regions', () => {
  it('rejects a region that ends past the end of RAM', () => {
    const region = { offset: (RAM_PAGES - 10) * 4096, size: 11 * 4096 };
    expect(() => compileOne({ kind: 'uniform', rate: 1, region })).toThrow(
      `workload region [${region.offset}, ${region.offset + region.size}) bytes lies outside guest RAM (${RAM_PAGES * 4096} bytes)`,
    );
  });

  it('accepts a region that ends exactly at the end of RAM', () => {
    const region = { offset: (RAM_PAGES - 10) * 4096, size: 10 * 4096 };
    const [p] = compileOne({ kind: 'uniform', rate: 1, region });
    expect(mixture(p).components.map(shape)).toEqual([
      { slot: 1, start: SLOT1_PAGES - 10, end: SLOT1_PAGES, weight: 1 },
    ]);
  });

  it('rejects an empty region', () => {
    expect(() =>
      compileOne({ kind: 'uniform', rate: 1, region: { offset: 0, size: 100 } }),
    ).toThrow('workload region is empty (0 pages)');
  });
});

describe('compileWorkloads: trace', () => {
  const rows: TraceRow[] = [
    { time: 30, vcpu: 0, gfn: 5, op: 'w' },
    { time: 10, vcpu: 1, gfn: 6, op: 'r' },
    { time: 20, vcpu: 0, gfn: 7, op: 'w' },
    { time: 10, vcpu: 0, gfn: 8, op: 'w' },
  ];

  it('gives each vCPU its own rows, sorted by time, as copies of the plan rows', () => {
    const before = structuredClone(rows);
    const patterns = compileOne({ kind: 'trace', rows, loop: true }, undefined, 2);
    const [p0, p1] = patterns.map((p) => {
      if (p.kind !== 'trace') throw new Error(`expected a trace pattern, got ${p.kind}`);
      return p;
    });
    expect(p0.rows.map((r) => r.gfn)).toEqual([8, 7, 5]);
    expect(p1.rows.map((r) => r.gfn)).toEqual([6]);
    // The loop period follows the last row of the whole trace, so the vCPUs stay in step.
    expect(p0).toMatchObject({ loop: true, next: 0, periodNs: 31 });
    expect(p1.periodNs).toBe(31);
    for (const r of p0.rows) expect(rows).not.toContain(r);
    p0.rows[0].time += 1000; // what a looping replay does
    expect(rows).toEqual(before);
  });
});

describe('VcpuThread sampling of a hotset workload', () => {
  // Warm-up only (maxTimeNs 0): with prefill 0 a page's generation is non-zero iff the
  // guest wrote it, so the written pages are the first-time writes of the warm-up.
  // ~4000 writes land on 65536 hot and 196608 cold pages, so few pages are hit twice
  // and the hot share of written pages stays close to hotShare (0.898 expected).
  it(`gives the hot pages about ${SAMPLING_HOT_SHARE * 100} % of first-time writes`, () => {
    const shares = SAMPLING_SEEDS.map((seed) => {
      const out = simulate(
        plan({
          seed,
          warmupNs: SAMPLING_WARMUP_NS,
          maxTimeNs: 0,
          vm: smallVm({
            vcpus: 2,
            ram: GiB,
            prefill: 0,
            workload: {
              kind: 'hotset',
              rate: 10_000,
              hotBytes: SAMPLING_HOT_PAGES * 4096,
              hotShare: SAMPLING_HOT_SHARE,
            },
          }),
        }),
      );
      const [slot] = out.migration.ctx.memory.slots;
      const written = (start: number, end: number): number =>
        end - start - slot.gen.countEqual(start, end, 0);
      const hot = written(0, SAMPLING_HOT_PAGES);
      const cold = written(SAMPLING_HOT_PAGES, slot.npages);
      // Each written page took at least one of the guest's writes.
      expect(hot + cold).toBeGreaterThan(3000);
      expect(hot + cold).toBeLessThanOrEqual(out.threads.reduce((n, t) => n + t.writes, 0));
      return hot / (hot + cold);
    });
    for (const share of shares) {
      expect(Math.abs(share - SAMPLING_HOT_SHARE)).toBeLessThan(SAMPLING_SEED_TOLERANCE);
    }
    const mean = shares.reduce((t, x) => t + x, 0) / shares.length;
    expect(Math.abs(mean - SAMPLING_HOT_SHARE)).toBeLessThan(SAMPLING_MEAN_TOLERANCE);
  });
});
