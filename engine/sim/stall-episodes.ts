import type { VcpuThread } from '../guest/vcpu-thread.ts';

/**
 * The vCPUs' stalls as the guest feels them, for the max and p99 columns. A stall is
 * the time a vCPU lost in one slice (every cause of STALL_CAUSES), joined with the
 * next slice's while the vCPU lost all of the slice: a vCPU held for 1.5 s behind
 * QEMU's big lock is one stall of 1.5 s, a vCPU that loses a tenth of every slice to
 * faults has many short ones.
 */
export class StallEpisodes {
  private readonly threads: readonly VcpuThread[];
  private readonly last: Float64Array;
  private readonly open: Float64Array;
  /** Longest stall per vCPU, ns. */
  readonly maxNs: Float64Array;
  /** Every closed stall, ns (their p99 is a summary column). */
  private lengths = new Float64Array(1024);
  private count = 0;

  constructor(threads: readonly VcpuThread[]) {
    this.threads = threads;
    this.last = Float64Array.from(threads, lostNs);
    this.open = new Float64Array(threads.length);
    this.maxNs = new Float64Array(threads.length);
  }

  /** A slice of `sliceNs` ended. */
  afterSlice(sliceNs: number): void {
    this.threads.forEach((th, i) => {
      const total = lostNs(th);
      const lost = total - this.last[i];
      this.last[i] = total;
      this.open[i] += lost;
      // A slice lost entirely (or charged ahead for longer) goes on into the next.
      if (lost < sliceNs) this.close(i);
    });
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
    const sorted = this.lengths.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.max(0, Math.ceil(q * this.count) - 1))];
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

function lostNs(th: VcpuThread): number {
  let s = 0;
  for (const x of th.stallNs) s += x;
  return s;
}
