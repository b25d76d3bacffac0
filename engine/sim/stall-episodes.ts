import type { VcpuThread } from '../guest/vcpu-thread.ts';

/**
 * Distinct stall lengths counted in a table; a length past this many distinct ones is
 * recorded in a list of blocks. A long run closes millions of stalls of few lengths (a
 * 1 TiB, 64-vCPU run closes 2.2 million of 7 200 lengths, 63 % of them of two): a count
 * per length is 100 KiB where a list was 17 MiB, faulted in page by page, and the p99
 * is read from the counts instead of selected among the 2.2 million.
 */
const MAX_DISTINCT = 65_536;
/** Slots of the table when it is first made (a power of two). */
const TABLE_SLOTS = 1024;
/**
 * Stalls per block of the list (512 KiB): full blocks are kept as they are instead of
 * doubling one array, whose copies cost more in first-touch page faults than the stores.
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
  /**
   * Closed stalls, ns (their p99 is a summary column): a count per distinct length,
   * open addressing on the length's bits (0 marks an empty slot: stalls are > 0).
   */
  private lengths = new Float64Array(TABLE_SLOTS);
  private lengthCounts = new Float64Array(TABLE_SLOTS);
  private distinct = 0;
  private counted = 0;
  /** Stalls of lengths past MAX_DISTINCT distinct ones: full blocks, then `tail`. */
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
    return this.counted + this.blocks.length * STALL_BLOCK + this.tailCount;
  }

  /** The `q` quantile (0..1) of all stalls, nearest rank; 0 when there were none. */
  quantileNs(q: number): number {
    const count = this.count;
    if (count === 0) return 0;
    const rank = Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
    const list = [...this.blocks, this.tail.subarray(0, this.tailCount)];
    return selectRankWeighted(list, this.lengths, this.lengthCounts, rank);
  }

  private close(i: number): void {
    const ns = this.open[i];
    this.open[i] = 0;
    if (!(ns > 0)) return;
    if (ns > this.maxNs[i]) this.maxNs[i] = ns;
    if (!this.countLength(ns)) this.append(ns);
  }

  /** Count a stall of `ns` in the table; false if it is full and `ns` is not there. */
  private countLength(ns: number): boolean {
    let lengths = this.lengths;
    let mask = lengths.length - 1;
    let slot = hashLength(ns) & mask;
    while (true) {
      const at = lengths[slot];
      if (at === ns) break;
      if (at === 0) {
        if (this.distinct === MAX_DISTINCT) return false;
        if (2 * (this.distinct + 1) > lengths.length) {
          this.growTable();
          lengths = this.lengths;
          mask = lengths.length - 1;
          slot = hashLength(ns) & mask;
          while (lengths[slot] !== 0) slot = (slot + 1) & mask;
        }
        lengths[slot] = ns;
        this.distinct++;
        break;
      }
      slot = (slot + 1) & mask;
    }
    this.lengthCounts[slot]++;
    this.counted++;
    return true;
  }

  /** Double the table's slots, placing every length anew. */
  private growTable(): void {
    const oldLengths = this.lengths;
    const oldCounts = this.lengthCounts;
    const lengths = new Float64Array(oldLengths.length * 2);
    const counts = new Float64Array(lengths.length);
    const mask = lengths.length - 1;
    for (let k = 0; k < oldLengths.length; k++) {
      const ns = oldLengths[k];
      if (ns === 0) continue;
      let slot = hashLength(ns) & mask;
      while (lengths[slot] !== 0) slot = (slot + 1) & mask;
      lengths[slot] = ns;
      counts[slot] = oldCounts[k];
    }
    this.lengths = lengths;
    this.lengthCounts = counts;
  }

  /** Record a stall of `ns` in the list. */
  private append(ns: number): void {
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

/** Bits of a double for hashLength. */
const lengthBits = new Float64Array(1);
const lengthWords = new Uint32Array(lengthBits.buffer);

/**
 * A hash of a stall length's bits: both words, then MurmurHash3's fmix32, so that the
 * low bits the table uses depend on every bit (lengths differ in a few mantissa bits).
 */
function hashLength(ns: number): number {
  lengthBits[0] = ns;
  let h = lengthWords[0] ^ Math.imul(lengthWords[1], 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
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
 * The value of rank `k` (0-based) of a multiset, as sorting it would give: every value
 * of `parts` once, and `keys[j]` `weights[j]` times (integer weights; a key of weight
 * 0 is not in it). Nothing passed is changed. Values must be non-negative. Without
 * copying them all into one array: a first pass counts the values per bucket of their
 * top 16 bits (for non-negative doubles the bit pattern orders as the value does), then
 * only the bucket holding rank k is copied and searched: with selectRank if no key lies
 * there, else sorted and walked with the keys there in order.
 */
export function selectRankWeighted(
  parts: readonly Float64Array[],
  keys: Float64Array,
  weights: Float64Array,
  k: number,
): number {
  let n = 0;
  for (const p of parts) n += p.length;
  for (let j = 0; j < weights.length; j++) n += weights[j];
  if (!(Number.isInteger(k) && k >= 0 && k < n)) {
    throw new RangeError(`selectRankWeighted: rank ${k} is outside [0, ${n})`);
  }
  const counts = new Float64Array(RANK_BUCKETS);
  /** Of `counts`, the part from `parts`. */
  const partCounts = new Float64Array(RANK_BUCKETS);
  for (const p of parts) {
    const hi = highWords(p);
    for (let i = 0; i < p.length; i++) partCounts[checkedBucket(hi[2 * i + 1], p[i])]++;
  }
  counts.set(partCounts);
  const keyHi = highWords(keys);
  for (let j = 0; j < keys.length; j++) {
    if (weights[j] > 0) counts[checkedBucket(keyHi[2 * j + 1], keys[j])] += weights[j];
  }
  let bucket = 0;
  let below = 0;
  while (below + counts[bucket] <= k) below += counts[bucket++];
  const inBucket = new Float64Array(partCounts[bucket]);
  let m = 0;
  for (const p of parts) {
    const hi = highWords(p);
    for (let i = 0; i < p.length; i++) if (hi[2 * i + 1] >>> 16 === bucket) inBucket[m++] = p[i];
  }
  const here: number[] = [];
  for (let j = 0; j < keys.length; j++) {
    if (weights[j] > 0 && keyHi[2 * j + 1] >>> 16 === bucket) here.push(j);
  }
  let rank = k - below;
  if (here.length === 0) return selectRank(inBucket, rank);
  here.sort((a, b) => keys[a] - keys[b]);
  inBucket.sort();
  // Merge the two in order (a key before a part's equal value: either is the value).
  let i = 0;
  for (const j of here) {
    for (; i < inBucket.length && inBucket[i] < keys[j]; i++) {
      if (rank === 0) return inBucket[i];
      rank--;
    }
    if (rank < weights[j]) return keys[j];
    rank -= weights[j];
  }
  return inBucket[i + rank];
}

/** The bucket of a value from its high word; a negative value is refused. */
function checkedBucket(highWord: number, value: number): number {
  const b = highWord >>> 16;
  if (b >= RANK_BUCKETS) {
    throw new RangeError(`selectRankWeighted: values must be non-negative, got ${value}`);
  }
  return b;
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
