import type { VcpuThread } from '../guest/vcpu-thread.ts';

/** One stretch of time the migration held QEMU's big lock. */
interface BqlHold {
  startNs: number;
  ns: number;
}

/**
 * QEMU's big lock (the BQL, `bql_lock`, once the iothread mutex) as migration holds
 * it, and what it costs the vCPUs. QEMU takes it around the start of dirty logging and
 * the first sync (migration/ram.c ram_init_bitmaps: memory_global_dirty_log_start,
 * whose KVM_SET_USER_MEMORY_REGION ioctls may split every huge page, then
 * migration_bitmap_sync_precopy), around each later sync (ram_state_pending_exact) and
 * around each reap of the dirty rings by the reaper thread (accel/kvm/kvm-all.c
 * kvm_dirty_ring_reaper_thread). A vCPU thread needs the lock for every exit that
 * QEMU handles in userspace (kvm_cpu_exec takes it for KVM_EXIT_IO and
 * KVM_EXIT_MMIO to emulated devices): its first such exit during a hold waits for the
 * hold to end. These are the "unintended consequences" of a long enabling ioctl in
 * the eager page splitting debate.
 */
export class BigQemuLock {
  /** Total time migration held the lock, ns. */
  heldNs = 0;
  /** Holds not yet charged to the vCPUs. */
  private readonly pending: BqlHold[] = [];

  /** Migration held the lock for `ns` from `startNs`. */
  hold(startNs: number, ns: number): void {
    if (!(ns > 0)) return;
    this.pending.push({ startNs, ns });
    this.heldNs += ns;
  }

  /**
   * Charge each vCPU the wait of its first BQL-taking exit in each pending hold.
   * With exits a Poisson stream of `exitsPerSec`, the first comes after an exponential
   * time T and waits H - T if it comes before the end of the hold H: on average
   * H - (1 - e^(-rH)) / r. The expectation, not a draw, so that a run's random streams
   * are the same with and without it. The vCPUs have already run the slice the hold
   * began in, so a wait inside it is taken from `nextNs` on (a one-slice lag, as for
   * the other waits the scheduler charges after the fact).
   */
  chargeVcpus(threads: readonly VcpuThread[], exitsPerSec: number, nextNs: number): void {
    if (exitsPerSec > 0) {
      const r = exitsPerSec / 1e9;
      for (const h of this.pending) {
        const wait = h.ns - -Math.expm1(-r * h.ns) / r;
        if (!(wait > 0)) continue;
        const from = Math.max(h.startNs + h.ns - wait, nextNs);
        for (const th of threads) th.stallFor('bql', wait, from);
      }
    }
    this.pending.length = 0;
  }
}
