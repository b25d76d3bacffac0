import type { RegionSpec, TraceRow, WorkloadSpec } from '../plan.ts';
import type { GuestMemory, RamSlot } from './memory.ts';
import type { PageSet } from './page-set.ts';
import type { BuddyAllocator } from './buddy.ts';
import { AllocState } from './alloc-workload.ts';

/**
 * A uniform part of a workload: accesses land uniformly on slot-relative pages
 * [start, end) of one slot with probability `weight`. Components of one pattern are
 * disjoint, so a page belongs to at most one.
 */
export interface Component {
  slot: RamSlot;
  start: number;
  end: number;
  weight: number;
  /** Cached count of sensitive pages in [start, end), valid for `countSet` at `countVersion`. */
  count: number;
  countSet: PageSet | null;
  countVersion: number;
}

/** What one vCPU does, compiled from a WorkloadSpec. */
export type AccessPattern =
  | { kind: 'mixture'; rate: number; readFraction: number; components: Component[] }
  | {
      kind: 'sequential';
      rate: number;
      readFraction: number;
      ranges: { slot: RamSlot; start: number; end: number }[];
      /** Pages in all ranges; the cursor runs over [0, total) and wraps. */
      total: number;
      cursor: number;
    }
  | { kind: 'idle' }
  | {
      kind: 'phases';
      repeat: boolean;
      totalNs: number;
      phases: { durationNs: number; pattern: AccessPattern }[];
    }
  | { kind: 'trace'; rows: TraceRow[]; next: number; loop: boolean; periodNs: number }
  | {
      kind: 'alloc';
      rate: number;
      readFraction: number;
      /** Churn operations per second. */
      churn: number;
      /** The workload's blocks, shared by its vCPUs. */
      state: AllocState;
      /** Fraction of a churn operation left over from the last slice (this vCPU's). */
      opCarry: number;
    };

/** Zipf ranks are grouped in buckets of doubling size, uniform inside a bucket. */
const ZIPF_MIN_BUCKET = 1;

/**
 * Compile the workloads of a VM into one AccessPattern per vCPU. A vCPU named by no
 * workload idles; a vCPU named by two is an error. `alloc` workloads need the guest's
 * buddy allocator.
 */
export function compileWorkloads(
  specs: readonly WorkloadSpec[],
  vcpus: number,
  memory: GuestMemory,
  buddy: BuddyAllocator | null = null,
): AccessPattern[] {
  const patterns: (AccessPattern | null)[] = new Array(vcpus).fill(null);
  specs.forEach((spec, index) => {
    const ids = selectVcpus(spec.vcpus ?? 'all', vcpus, index);
    if (spec.kind === 'alloc') {
      const state = allocState(spec, buddy);
      for (const id of ids) {
        assign(patterns, id, index, {
          kind: 'alloc',
          rate: spec.rate,
          readFraction: spec.readFraction ?? 0,
          churn: spec.churn,
          state,
          opCarry: 0,
        });
      }
      return;
    }
    // vCPUs that share a workload share its components (and their cached counts);
    // partitioned workloads and traces get their own.
    const shared = needsOwnPattern(spec) ? null : compileOne(spec, memory, 0, 1, -1);
    ids.forEach((id, k) => {
      assign(patterns, id, index, shared ?? compileOne(spec, memory, k, ids.length, id));
    });
  });
  return patterns.map((p) => p ?? { kind: 'idle' });
}

/** Give vCPU `id` the pattern of workload `index`, which must be its only one. */
function assign(
  patterns: (AccessPattern | null)[],
  id: number,
  index: number,
  pattern: AccessPattern,
): void {
  if (patterns[id] !== null) {
    throw new Error(
      `vCPU ${id} is given two workloads (workload ${index + 1} is the second); give each vCPU one`,
    );
  }
  patterns[id] = pattern;
}

/** The rate and read share every writing workload has; returns the read share. */
function checkRateAndReads(spec: { rate: number; readFraction?: number }): number {
  if (!(spec.rate >= 0)) throw new Error(`a workload rate must be >= 0 pages/s, got ${spec.rate}`);
  const readFraction = spec.readFraction ?? 0;
  if (!(readFraction >= 0 && readFraction <= 1)) {
    throw new Error(`readFraction must be between 0 and 1, got ${readFraction}`);
  }
  return readFraction;
}

function selectVcpus(sel: 'all' | readonly number[], vcpus: number, index: number): number[] {
  if (sel === 'all') return Array.from({ length: vcpus }, (_, i) => i);
  for (const id of sel) {
    if (!Number.isInteger(id) || id < 0 || id >= vcpus) {
      throw new Error(
        `workload ${index + 1} names vCPU ${id}, but the VM has vCPUs 0..${vcpus - 1}`,
      );
    }
  }
  return [...sel];
}

function needsOwnPattern(spec: WorkloadSpec): boolean {
  if (spec.kind === 'trace' || spec.kind === 'sequential' || spec.kind === 'alloc') return true;
  if (spec.kind === 'phases') return spec.phases.some((p) => needsOwnPattern(p.workload));
  return spec.kind !== 'idle' && spec.partition === true;
}

/** The shared state of an alloc workload; its pages come from the buddy allocator. */
function allocState(
  spec: Extract<WorkloadSpec, { kind: 'alloc' }>,
  buddy: BuddyAllocator | null,
): AllocState {
  if (!buddy) throw new Error('an alloc workload needs the guest buddy allocator');
  checkRateAndReads(spec);
  if (!(spec.churn >= 0)) throw new Error(`an alloc churn must be >= 0 per s, got ${spec.churn}`);
  const used = Math.floor(spec.usedBytes / 4096);
  return new AllocState(
    buddy,
    used,
    spec.maxOrder ?? 3,
    Math.floor((spec.peakBytes ?? spec.usedBytes) / 4096),
  );
}

/**
 * RAM page ranges [start, end) the workloads other than `alloc` touch: with a buddy
 * allocator they are allocated at boot and never freed (a trace's pages are not known
 * in advance and are not reserved).
 */
export function reservedRegions(
  specs: readonly WorkloadSpec[],
  memory: GuestMemory,
): [number, number][] {
  const out: [number, number][] = [];
  const visit = (spec: WorkloadSpec): void => {
    switch (spec.kind) {
      case 'alloc':
      case 'idle':
      case 'trace':
        return;
      case 'phases':
        for (const p of spec.phases) visit(p.workload);
        return;
      default:
        out.push(regionPages(spec.region, memory));
    }
  };
  specs.forEach(visit);
  return out;
}

function compileOne(
  spec: WorkloadSpec,
  memory: GuestMemory,
  k: number,
  n: number,
  id: number,
): AccessPattern {
  switch (spec.kind) {
    case 'idle':
      return { kind: 'idle' };
    case 'phases':
      return {
        kind: 'phases',
        repeat: spec.repeat ?? true,
        totalNs: spec.phases.reduce((t, p) => t + p.durationNs, 0),
        phases: spec.phases.map((p) => ({
          durationNs: p.durationNs,
          pattern: compileOne(p.workload, memory, k, n, id),
        })),
      };
    case 'alloc':
      throw new Error('an alloc workload cannot be a phase');
    case 'trace': {
      // Copies: the replay shifts row times when it loops, and the plan's rows must
      // stay as given (a plan re-run, or hashed, after a run must be the same plan).
      // Sorted (stable), as the replay reads them in order.
      const rows = spec.rows
        .filter((r) => r.vcpu === id)
        .map((r) => ({ ...r }))
        .sort((a, b) => a.time - b.time);
      const last = spec.rows.reduce((t, r) => Math.max(t, r.time), 0);
      return { kind: 'trace', rows, next: 0, loop: spec.loop ?? false, periodNs: last + 1 };
    }
    default:
      break;
  }
  const readFraction = checkRateAndReads(spec);
  let [start, end] = regionPages(spec.region, memory);
  if (spec.partition) {
    const size = Math.floor((end - start) / n);
    start += k * size;
    end = start + size;
  }
  if (end <= start) throw new Error(`workload region is empty (${end - start} pages)`);
  switch (spec.kind) {
    case 'uniform':
      return {
        kind: 'mixture',
        rate: spec.rate,
        readFraction,
        components: uniform(memory, start, end, 1),
      };
    case 'hotset': {
      const share = spec.hotShare ?? 0.9;
      if (!(share >= 0 && share <= 1)) {
        throw new Error(`hotShare must be between 0 and 1, got ${share}`);
      }
      const hot = Math.min(end - start, Math.max(1, Math.round(spec.hotBytes / 4096)));
      // A hot set covering the whole region takes every access: the weights must sum
      // to 1, or the sampler would count the missing share as invisible writes.
      const components = uniform(memory, start, start + hot, start + hot < end ? share : 1);
      if (start + hot < end) components.push(...uniform(memory, start + hot, end, 1 - share));
      return { kind: 'mixture', rate: spec.rate, readFraction, components };
    }
    case 'zipf':
      return {
        kind: 'mixture',
        rate: spec.rate,
        readFraction,
        components: zipf(memory, start, end, spec.exponent),
      };
    case 'sequential': {
      const ranges = memory.splitRange(start, end);
      return {
        kind: 'sequential',
        rate: spec.rate,
        readFraction,
        ranges,
        total: end - start,
        cursor: 0,
      };
    }
  }
}

/** A region in RAM pages [start, end). */
function regionPages(region: RegionSpec | undefined, memory: GuestMemory): [number, number] {
  if (!region) return [0, memory.ramPages];
  const start = Math.floor(region.offset / 4096);
  const end = start + Math.floor(region.size / 4096);
  if (start < 0 || end > memory.ramPages) {
    throw new Error(
      `workload region [${region.offset}, ${region.offset + region.size}) bytes lies outside guest RAM (${memory.ramPages * 4096} bytes)`,
    );
  }
  return [start, end];
}

/** Uniform over RAM pages [start, end) with total probability `weight`, split by slot. */
function uniform(memory: GuestMemory, start: number, end: number, weight: number): Component[] {
  const total = end - start;
  return memory.splitRange(start, end).map((r) => ({
    slot: r.slot,
    start: r.start,
    end: r.end,
    weight: (weight * (r.end - r.start)) / total,
    count: 0,
    countSet: null,
    countVersion: -1,
  }));
}

/**
 * Zipf(s) over ranks 1..N laid out from the region's start (rank 1 is the first
 * page). Ranks are grouped in buckets [2^b, 2^(b+1)); inside a bucket accesses are
 * uniform, with the bucket's exact share of the Zipf mass. The approximation keeps
 * the hot/cold shape with a few dozen components.
 */
function zipf(memory: GuestMemory, start: number, end: number, s: number): Component[] {
  if (!(s >= 0)) throw new Error(`a zipf exponent must be >= 0, got ${s}`);
  const n = end - start;
  const mass = (a: number, b: number): number => {
    // Sum of r^-s for r in [a, b): exact below 4096 terms, integral beyond.
    if (b - a <= 4096) {
      let m = 0;
      for (let r = a; r < b; r++) m += r ** -s;
      return m;
    }
    if (Math.abs(s - 1) < 1e-9) return Math.log((b - 0.5) / (a - 0.5));
    return ((b - 0.5) ** (1 - s) - (a - 0.5) ** (1 - s)) / (1 - s);
  };
  const buckets: [number, number, number][] = [];
  for (let a = ZIPF_MIN_BUCKET; a <= n; a *= 2) {
    const b = Math.min(2 * a, n + 1);
    buckets.push([a, b, mass(a, b)]);
  }
  const total = buckets.reduce((t, x) => t + x[2], 0);
  const out: Component[] = [];
  for (const [a, b, m] of buckets)
    out.push(...uniform(memory, start + a - 1, start + b - 1, m / total));
  return out;
}
