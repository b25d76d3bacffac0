import type { VcpuThread } from '../guest/vcpu-thread.ts';
import type { Vm } from '../kvm/vm.ts';
import { exclusiveLockWaitNs } from '../kvm/contention.ts';

/**
 * The producer lock of a dirty ring shared by several vCPUs, as the proposals have
 * one (engine/kvm/ring-topology.ts `lastPushLocked`: the per-VM ring's lock, taken
 * for every push; a ring pool's, taken for every claim). KVM's per-vCPU rings have
 * none. Each vCPU pays its hold in its own push cost; what it waits for the others is
 * charged here, as MmuLockSim does for mmu_lock: from one slice's acquisitions, the
 * vCPUs that took the lock count by their share of them (the participation ratio),
 * and the wait per acquisition is the exclusive lock's of engine/kvm/contention.ts
 * (the queue of the other holders, and the lock's cache line moving at each
 * handoff). It is charged as stall cause `ring_lock` from the next slice.
 *
 * Averaged over a slice, the model misses the bursts of a PML flush (512 pushes at
 * one exit), which contend more than the same pushes spread out: the wait is a lower
 * bound where PML flushes of several vCPUs coincide.
 */
export class RingLockSim {
  private readonly vm: Vm;
  private readonly threads: readonly VcpuThread[];
  private readonly acquisitions: Float64Array;
  private readonly holdNs: Float64Array;
  /** The wait per acquisition charged for the last slice. */
  waitNs = 0;

  constructor(vm: Vm, threads: readonly VcpuThread[]) {
    this.vm = vm;
    this.threads = threads;
    this.acquisitions = new Float64Array(threads.length);
    this.holdNs = new Float64Array(threads.length);
    threads.forEach((t, i) => {
      this.acquisitions[i] = t.vcpu.stats.ringLockAcquisitions;
      this.holdNs[i] = t.vcpu.stats.ringLockHoldNs;
    });
  }

  /** The vCPUs ran a slice of `sliceNs`: charge each its wait, from `nextNs`. */
  afterVcpus(sliceNs: number, nextNs: number): void {
    const n = new Float64Array(this.threads.length);
    let total = 0;
    let totalSq = 0;
    let hold = 0;
    this.threads.forEach((t, i) => {
      const s = t.vcpu.stats;
      n[i] = s.ringLockAcquisitions - this.acquisitions[i];
      hold += s.ringLockHoldNs - this.holdNs[i];
      this.acquisitions[i] = s.ringLockAcquisitions;
      this.holdNs[i] = s.ringLockHoldNs;
      total += n[i];
      totalSq += n[i] * n[i];
    });
    if (total === 0) {
      this.waitNs = 0;
      return;
    }
    const contenders = (total * total) / totalSq;
    const holdPer = hold / total;
    const cycle = (contenders * sliceNs) / total;
    const think = Math.max(cycle - holdPer - this.waitNs, 0);
    this.waitNs = exclusiveLockWaitNs(contenders, holdPer, think, this.vm.costs.cacheLineTransfer);
    if (this.waitNs <= 0) return;
    this.threads.forEach((t, i) => {
      if (n[i] > 0) t.stallFor('ring_lock', n[i] * this.waitNs, nextNs);
    });
  }
}
