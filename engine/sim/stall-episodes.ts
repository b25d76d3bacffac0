import type { VcpuThread } from '../guest/vcpu-thread.ts';

/**
 * Stalls per block of the recorded lengths (512 KiB). A long run closes millions of
 * stalls: full blocks are kept as they are instead of doubling one array, whose copies
 * cost more in first-touch page faults than the stores (a 1 TiB, 64-vCPU run closes
 * 2.2 million, 17 MiB, which doubling had grown through 64 MiB of arrays).
 */
const STALL_BLOCK = 65_536;
/** Buckets of `selectRankIn`: the top 16 bits of a non-negative double (exponent, 4 mantissa bits). */
const RANK_BUCKETS = 32_768;

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
  /** Every closed stall, ns (their p99 is a summary column): full blocks, then `tail`. */
  private readonly blocks: Float64Array[] = [];
  /** The block being filled: grows by doubling up to STALL_BLOCK entries. */
  private tail = new Float64Array(1024);
  private tailCount = 0;

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

  /** Number of stalls closed so far. */
  get count(): number {
    return this.blocks.length * STALL_BLOCK + this.tailCount;
  }

  /** The `q` quantile (0..1) of all stalls, nearest rank; 0 when there were none. */
  quantileNs(q: number): number {
    const count = this.count;
    if (count === 0) return 0;
    const rank = Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
    // A long run closes millions of stalls: select the rank in O(n), not sort them all.
    if (this.blocks.length === 0) return selectRank(this.tail.slice(0, this.tailCount), rank);
    return selectRankIn([...this.blocks, this.tail.subarray(0, this.tailCount)], rank);
  }

  private close(i: number): void {
    const ns = this.open[i];
    this.open[i] = 0;
    if (!(ns > 0)) return;
    if (ns > this.maxNs[i]) this.maxNs[i] = ns;
    if (this.tailCount === this.tail.length) {
      if (this.tailCount === STALL_BLOCK) {
        this.blocks.push(this.tail);
        this.tail = new Float64Array(STALL_BLOCK);
        this.tailCount = 0;
      } else {
        const grown = new Float64Array(Math.min(STALL_BLOCK, this.tail.length * 2));
        grown.set(this.tail);
        this.tail = grown;
      }
    }
    this.tail[this.tailCount++] = ns;
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

/**
 * The value of rank `k` (0-based) of the values of all `parts` together, as sorting
 * their concatenation would give; the parts are not changed. Values must be
 * non-negative. Without copying them all into one array: a first pass counts the
 * values per bucket of their top 16 bits (for non-negative doubles the bit pattern
 * orders as the value does), then only the bucket holding rank k is copied and
 * searched with selectRank.
 */
export function selectRankIn(parts: readonly Float64Array[], k: number): number {
  let n = 0;
  for (const p of parts) n += p.length;
  if (!(Number.isInteger(k) && k >= 0 && k < n)) {
    throw new RangeError(`selectRankIn: rank ${k} is outside [0, ${n})`);
  }
  const counts = new Float64Array(RANK_BUCKETS);
  for (const p of parts) {
    const hi = highWords(p);
    for (let i = 0; i < p.length; i++) {
      const b = hi[2 * i + 1] >>> 16;
      if (b >= RANK_BUCKETS) {
        throw new RangeError(`selectRankIn: values must be non-negative, got ${p[i]}`);
      }
      counts[b]++;
    }
  }
  let bucket = 0;
  let below = 0;
  while (below + counts[bucket] <= k) below += counts[bucket++];
  const inBucket = new Float64Array(counts[bucket]);
  let m = 0;
  for (const p of parts) {
    const hi = highWords(p);
    for (let i = 0; i < p.length; i++) if (hi[2 * i + 1] >>> 16 === bucket) inBucket[m++] = p[i];
  }
  return selectRank(inBucket, k - below);
}

/** `a`'s 8-byte values as pairs of 32-bit words; the high word of value i at 2i + 1 (little-endian). */
function highWords(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function lostNs(th: StallSource): number {
  // An indexed loop: a for-of over a typed array, 64 vCPUs in every slice, showed in profiles.
  const stalls = th.stallNs;
  let s = 0;
  for (let k = 0; k < stalls.length; k++) s += stalls[k];
  return s;
}
