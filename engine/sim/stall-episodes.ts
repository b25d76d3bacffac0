import type { VcpuThread } from '../guest/vcpu-thread.ts';

/**
 * The vCPUs' stalls as the guest feels them, for the max and p99 columns. A stall is
 * the time a vCPU lost in one slice (every cause of STALL_CAUSES), joined with the
 * next slice's while the vCPU lost all of the slice: a vCPU held for 1.5 s behind
 * QEMU's big lock is one stall of 1.5 s, a vCPU that loses a tenth of every slice to
 * faults has many short ones.
 */
export class StallEpisodes {
  private readonly threads: readonly StallSource[];
  private readonly last: Float64Array;
  private readonly open: Float64Array;
  /** Longest stall per vCPU, ns. */
  readonly maxNs: Float64Array;
  /** Every closed stall, ns (their p99 is a summary column). */
  private lengths = new Float64Array(1024);
  private count = 0;

  constructor(threads: readonly StallSource[]) {
    this.threads = threads;
    this.last = Float64Array.from(threads, lostNs);
    this.open = new Float64Array(threads.length);
    this.maxNs = new Float64Array(threads.length);
  }

  /** A slice of `sliceNs` ended. */
  afterSlice(sliceNs: number): void {
    const threads = this.threads;
    for (let i = 0; i < threads.length; i++) {
      const total = lostNs(threads[i]);
      const lost = total - this.last[i];
      this.last[i] = total;
      this.open[i] += lost;
      // A slice lost entirely (or charged ahead for longer) goes on into the next.
      if (lost < sliceNs) this.close(i);
    }
  }

  /** The run ended: close the stalls still open. */
  finish(): void {
    for (let i = 0; i < this.threads.length; i++) this.close(i);
  }

  /** The longest stall of any vCPU, ns. */
  get maxStallNs(): number {
    let m = 0;
    for (const x of this.maxNs) m = Math.max(m, x);
    return m;
  }

  /** The `q` quantile (0..1) of all stalls, nearest rank; 0 when there were none. */
  quantileNs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.min(this.count - 1, Math.max(0, Math.ceil(q * this.count) - 1));
    // A long run closes millions of stalls: select the rank in O(n), not sort them all.
    return selectRank(this.lengths.slice(0, this.count), rank);
  }

  private close(i: number): void {
    const ns = this.open[i];
    this.open[i] = 0;
    if (!(ns > 0)) return;
    if (ns > this.maxNs[i]) this.maxNs[i] = ns;
    if (this.count === this.lengths.length) {
      const grown = new Float64Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.lengths[this.count++] = ns;
  }
}

/** What StallEpisodes reads of a vCPU thread: its lost time per cause. */
export type StallSource = Pick<VcpuThread, 'stallNs'>;

/**
 * The value of rank `k` (0-based) of `a` in ascending order, as `a.sort()[k]` would
 * give; reorders `a`. Hoare's selection (quickselect) with a median-of-three pivot:
 * O(n) expected, and deterministic (no random pivot).
 */
export function selectRank(a: Float64Array, k: number): number {
  if (!(Number.isInteger(k) && k >= 0 && k < a.length)) {
    throw new RangeError(`selectRank: rank ${k} is outside [0, ${a.length})`);
  }
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = lo + ((hi - lo) >>> 1);
    // Order a[lo] <= a[mid] <= a[hi]; a[mid] is the pivot, and the ends are sentinels.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and every element between j and i equals it.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function lostNs(th: StallSource): number {
  let s = 0;
  for (const x of th.stallNs) s += x;
  return s;
}
