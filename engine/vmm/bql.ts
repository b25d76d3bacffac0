import type { VcpuThread } from '../guest/vcpu-thread.ts';

/** One stretch of time the lock was held for migration. */
interface BqlHold {
  startNs: number;
  ns: number;
  /** The vCPU whose thread held it (a ring-full exit's reap), or -1 for the migration's own. */
  holder: number;
}

/**
 * QEMU's big lock (the BQL, `bql_lock`, once the iothread mutex) as migration holds
 * it, and what it costs the vCPUs. QEMU takes it around the start of dirty logging and
 * the first sync (migration/ram.c ram_init_bitmaps: memory_global_dirty_log_start,
 * whose KVM_SET_USER_MEMORY_REGION ioctls may split every huge page, then
 * migration_bitmap_sync_precopy), around each later sync (ram_state_pending_exact) and
 * around each reap of the dirty rings by the reaper thread (accel/kvm/kvm-all.c
 * kvm_dirty_ring_reaper_thread), and a vCPU thread takes it to reap on its own
 * KVM_EXIT_DIRTY_RING_FULL (kvm_cpu_exec: every ring, or under dirty-limit only its
 * own, then it sleeps outside the lock in dirtylimit_vcpu_execute). QEMU 1.1
 * had no migration thread: the migration ran in the main loop's timer
 * (migrate_fd_put_ready, from buffered_rate_tick), which holds the lock, so a whole
 * iteration's work (the sync and the pages it sends in that tick) was one hold
 * (MigrationThread, bitmap_sync every_tick). A vCPU thread needs the lock for every
 * exit that QEMU handles in userspace (kvm_cpu_exec takes it for KVM_EXIT_IO and
 * KVM_EXIT_MMIO to emulated devices): its first such exit during a hold waits for the
 * hold to end. These are the "unintended consequences" of a long enabling ioctl in
 * the eager page splitting debate.
 */
export class BigQemuLock {
  /** Total time the lock was held for migration (its thread's holds and the ring-full reaps), ns. */
  heldNs = 0;
  /** Holds not yet charged to the vCPUs. */
  private readonly pending: BqlHold[] = [];

  /**
   * The lock was held for `ns` from `startNs`, by the migration (`holder` -1) or by
   * vCPU `holder`'s thread. A hold that starts where the last one ended continues it
   * (one stretch, as when one iteration syncs and then sends).
   */
  hold(startNs: number, ns: number, holder = -1): void {
    if (!(ns > 0)) return;
    this.heldNs += ns;
    const last = this.pending.at(-1);
    if (last && last.holder === holder && Math.abs(last.startNs + last.ns - startNs) < 1) {
      last.ns += ns;
      return;
    }
    this.pending.push({ startNs, ns, holder });
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
        for (const th of threads) if (th.id !== h.holder) th.stallFor('bql', wait, from);
      }
    }
    this.pending.length = 0;
  }
}
