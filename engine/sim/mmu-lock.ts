import type { Vm } from '../kvm/vm.ts';
import type { VcpuThread } from '../guest/vcpu-thread.ts';
import { MmuLockMode } from '../kvm/types.ts';
import { cacheLineContentionNs, exclusiveLockWaitNs } from '../kvm/contention.ts';

/**
 * mmu_lock as the vCPU threads and the VMM's migration thread share it over the
 * slices of a run. KVM's model charges each fault its own hold time; what the fault
 * waits for the lock depends on what the other threads did at the same time, which
 * only the scheduler knows. Each slice this takes, from the slice before:
 *
 * 1. vCPU against vCPU (engine/kvm/contention.ts, the same mechanism as the
 *    dirty_log_perf_test model): faults under the TDP MMU's read_lock bounce the
 *    lock's cache line; under an exclusive lock (the spinlock of 2012's KVM) they
 *    queue behind each other's holds. The vCPUs that faulted count by their share of
 *    the faults (a vCPU that faulted once is hardly a contender).
 * 2. vCPUs against the VMM's ioctls: GET_DIRTY_LOG, CLEAR_DIRTY_LOG, RESET_DIRTY_RINGS
 *    and enabling logging hold mmu_lock for write (kvm_get_dirty_log_protect and
 *    kvm_clear_dirty_log_protect take KVM_MMU_LOCK around the whole walk). A fault
 *    that arrives during such a hold waits for its end. A hold longer than a slice
 *    carries over into the next slices.
 * 3. The ioctls against the vCPUs: write_lock waits for the readers inside (rwlock) or
 *    for the holder and the queue (spinlock). The migration thread pays it per write
 *    acquisition (DirtySync.lockWait), and again after each release of a hold in
 *    pieces, for the vCPUs that cut in.
 *
 * Estimates from the previous slice are a one-slice lag (5 ms by default); the
 * totals follow the fault rates, not the order of events inside a slice.
 */
export class MmuLockSim {
  /**
   * Expected wait for mmu_lock per vCPU fault in the coming slice, by MmuLockMode
   * (the entry for None is 0): what SliceContext.mmuLockWaitNs passes to the threads.
   */
  readonly vcpuWaitNs = new Float64Array(3);
  /** Expected wait of one write_lock by the VMM in the current slice. */
  writerWaitNs = 0;
  /**
   * The vCPUs' mmu_lock acquisitions per ns in the last slice and the mean hold of
   * one: what a writer that releases the lock between pieces lets in at each release
   * (DirtySync.lockWait).
   */
  vcpuAcquisitionsPerNs = 0;
  vcpuHoldNs = 0;
  private readonly vm: Vm;
  private readonly threads: readonly VcpuThread[];
  private readonly acquisitions: Float64Array;
  private readonly holdNs: Float64Array;
  private readonly ipis: Float64Array;
  /** The vCPUs' wait from lock contention alone in the last slice, by mode. */
  private readonly contentionNs = new Float64Array(3);
  /** Write hold not yet elapsed at the start of the next slice. */
  private writeCarryNs = 0;
  /** The piece of that hold a fault lands in, on average (all of it if it is one piece). */
  private writeCarryPieceNs = 0;

  constructor(vm: Vm, threads: readonly VcpuThread[]) {
    this.vm = vm;
    this.threads = threads;
    this.acquisitions = new Float64Array(threads.length);
    this.holdNs = new Float64Array(threads.length);
    this.ipis = new Float64Array(threads.length);
    threads.forEach((t, i) => {
      this.acquisitions[i] = t.vcpu.stats.mmuLockAcquisitions;
      this.holdNs[i] = t.vcpu.stats.mmuLockHoldNs;
      this.ipis[i] = t.vcpu.stats.tlbFlushIpis;
    });
  }

  /** KVM's IN_GUEST_MODE for the slice: a vCPU runs guest code unless the VM is paused or its workload is idle (halted). */
  enterSlice(paused: boolean): void {
    for (const t of this.threads) t.vcpu.inGuestMode = !paused && t.pattern.kind !== 'idle';
  }

  /**
   * The vCPUs have run a slice of `sliceNs`: from their faults under mmu_lock, the
   * contention among them (for the next slice) and what a write_lock by the VMM
   * waits in this one.
   */
  afterVcpus(sliceNs: number): void {
    let faults = 0;
    let faultsSq = 0;
    let hold = 0;
    let free = 1;
    // Indexed loops here and in endSlice: a forEach callback that updates these sums
    // allocates its context every slice.
    for (let i = 0; i < this.threads.length; i++) {
      const s = this.threads[i].vcpu.stats;
      const n = s.mmuLockAcquisitions - this.acquisitions[i];
      const h = s.mmuLockHoldNs - this.holdNs[i];
      this.acquisitions[i] = s.mmuLockAcquisitions;
      this.holdNs[i] = s.mmuLockHoldNs;
      faults += n;
      faultsSq += n * n;
      hold += h;
      free *= 1 - Math.min(h / sliceNs, 1);
    }
    const costs = this.vm.costs;
    this.contentionNs.fill(0);
    this.vcpuAcquisitionsPerNs = faults / sliceNs;
    this.vcpuHoldNs = faults > 0 ? hold / faults : 0;
    if (faults === 0) {
      this.writerWaitNs = 0;
      return;
    }
    // Identical threads with the same total fault rate and the same spread: the
    // participation ratio counts the contenders.
    const contenders = (faults * faults) / faultsSq;
    const holdPer = hold / faults;
    const cycle = (contenders * sliceNs) / faults;
    const transfer = costs.cacheLineTransfer;
    const readThink = Math.max(cycle - holdPer - this.vcpuWaitNs[MmuLockMode.Read], 0);
    const writeThink = Math.max(cycle - holdPer - this.vcpuWaitNs[MmuLockMode.Write], 0);
    this.contentionNs[MmuLockMode.Read] = cacheLineContentionNs(contenders, 2, readThink, transfer);
    this.contentionNs[MmuLockMode.Write] = exclusiveLockWaitNs(
      contenders,
      holdPer,
      writeThink,
      transfer,
    );
    // write_lock waits while a vCPU is inside: readers overlap, so the lock is free
    // only when none is (the product over vCPUs); an exclusive holder also has a queue.
    const exclusive = this.vm.params.mmuLock === 'spinlock';
    const busy = exclusive ? Math.min(hold / sliceNs, 1) : 1 - free;
    this.writerWaitNs =
      busy * (holdPer / 2) + (exclusive ? this.contentionNs[MmuLockMode.Write] : 0);
  }

  /**
   * End of the slice: the VMM held mmu_lock for write `writeHoldNs` in it, in pieces
   * whose squared lengths sum to `writePieceSqNs` (one piece by default: a writer
   * that keeps the lock for the whole ioctl, as GET_DIRTY_LOG and CLEAR_DIRTY_LOG
   * do). Sets the vCPUs' wait for the next slice and charges them the remote TLB
   * flush IPIs they took in this one, from `nextNs` (the next slice's start).
   */
  endSlice(
    writeHoldNs: number,
    sliceNs: number,
    nextNs: number,
    writePieceSqNs: number = writeHoldNs * writeHoldNs,
  ): void {
    const total = this.writeCarryNs + writeHoldNs;
    const held = Math.min(total, sliceNs);
    // The piece a fault lands in, weighted by time: sum of squares / sum (a single
    // hold: all of it). Between pieces the writer lets the waiting faults in.
    const piece =
      total > 0 ? (this.writeCarryNs * this.writeCarryPieceNs + writePieceSqNs) / total : 0;
    this.writeCarryNs = total - held;
    this.writeCarryPieceNs = Math.min(piece, this.writeCarryNs);
    // A fault arriving at a uniform time waits if the writer is in: for the rest of
    // the piece it lands in (half of it on average) and, if that piece runs past the
    // slice, the part carried over. One piece: the rest of the whole hold.
    const behindWriter =
      (held / sliceNs) * (Math.min(piece, held) / 2 + Math.min(piece, this.writeCarryNs));
    this.vcpuWaitNs[MmuLockMode.None] = 0;
    this.vcpuWaitNs[MmuLockMode.Read] = this.contentionNs[MmuLockMode.Read] + behindWriter;
    this.vcpuWaitNs[MmuLockMode.Write] = this.contentionNs[MmuLockMode.Write] + behindWriter;
    const perIpi = this.vm.costs.tlbFlushIpiTarget;
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[i];
      const n = t.vcpu.stats.tlbFlushIpis - this.ipis[i];
      this.ipis[i] = t.vcpu.stats.tlbFlushIpis;
      if (n > 0) t.stallFor('tlb_flush', n * perIpi, nextNs);
    }
  }
}
