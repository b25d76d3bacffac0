import type { MigrationPolicy } from '../plan.ts';
import type { Vcpu } from '../kvm/vcpu.ts';
import type { DirtySync } from './dirty-sync.ts';

/**
 * QEMU's throttle trigger and its two actions (migration/ram.c
 * `migration_trigger_throttle`, cpu-throttle.c, system/dirtylimit.c): in a sync that
 * closes a period of at least 1 s, the period is "hot" when the bytes dirtied exceed
 * throttle-trigger-threshold % of the bytes sent; every second hot period acts.
 * auto-converge raises the CPU throttle (20 %, then +10 %, at most 99 %); dirty-limit
 * caps each vCPU's dirty rate through its ring.
 */
export class ConvergeController {
  readonly mode: 'none' | 'auto-converge' | 'dirty-limit';
  /** Current CPU throttle, percent. */
  throttlePct = 0;
  /** dirty-limit in force (bytes per second per vCPU), or 0. */
  dirtyLimit = 0;
  /** When the dirty limit came into force, ns (the start of the first limited period). */
  dirtyLimitSinceNs = 0;
  /** QEMU `dirty-pages-rate`: pages per second over the last closed period. */
  dirtyPagesRate = 0;
  private hotPeriods = 0;
  private periodStart = 0;
  private dirtyPagesPeriod = 0;
  private bytesSentAtPeriodStart = 0;
  private readonly policy: MigrationPolicy;
  /** Per vCPU id: its last ring-full exit under the dirty limit, ns. */
  private readonly lastRingFullNs = new Map<number, number>();

  constructor(policy: MigrationPolicy, start: number) {
    this.policy = policy;
    this.mode = policy.converge ?? 'none';
    this.periodStart = start;
  }

  /**
   * Called at every sync with the pages it newly found dirty and the bytes sent so
   * far. Returns a description of the change made, or null.
   */
  onSync(now: number, newPages: number, bytesSent: number): string | null {
    this.dirtyPagesPeriod += newPages;
    const periodNs = now - this.periodStart;
    if (periodNs < 1e9) return null;
    const dirtyBytes = this.dirtyPagesPeriod * 4096;
    const sentBytes = bytesSent - this.bytesSentAtPeriodStart;
    this.dirtyPagesRate = (this.dirtyPagesPeriod * 1e9) / periodNs;
    this.periodStart = now;
    this.dirtyPagesPeriod = 0;
    this.bytesSentAtPeriodStart = bytesSent;
    if (this.mode === 'none') return null;
    const threshold = (this.policy.throttleTriggerThreshold ?? 50) / 100;
    if (dirtyBytes <= sentBytes * threshold) return null;
    if (++this.hotPeriods < 2) return null;
    this.hotPeriods = 0;
    if (this.mode === 'dirty-limit') {
      if (this.dirtyLimit > 0) return null;
      this.dirtyLimit = this.policy.dirtyLimit ?? 1_000_000;
      this.dirtyLimitSinceNs = now;
      return `dirty-limit ${(this.dirtyLimit / 1e6).toFixed(1)} MB/s per vCPU`;
    }
    const initial = this.policy.throttleInitial ?? 20;
    const increment = this.policy.throttleIncrement ?? 10;
    const max = Math.min(99, this.policy.throttleMax ?? 99);
    const before = this.throttlePct;
    this.throttlePct = before === 0 ? initial : Math.min(max, before + increment);
    return this.throttlePct === before ? null : `cpu throttle ${before}% -> ${this.throttlePct}%`;
  }

  /**
   * `vcpu` exited with KVM_EXIT_DIRTY_RING_FULL at `now`. Without a dirty limit the
   * VMM reaps every ring (accel/kvm/kvm-all.c kvm_dirty_ring_reap); under dirty-limit
   * QEMU reaps only this vCPU's ring, then sleeps the vCPU so that its dirty rate
   * stays under the limit (system/dirtylimit.c, simplified to the target). Returns
   * the ns the vCPU spends in the VMM and, under the limit, when it may run again
   * (-1: no sleep).
   */
  onRingFull(vcpu: Vcpu, now: number, sync: DirtySync): { ns: number; sleepUntilNs: number } {
    if (this.dirtyLimit <= 0) return { ns: sync.reap(null), sleepUntilNs: -1 };
    const ring = vcpu.dirtyRing;
    const entries = ring ? ring.used : 0;
    const ns = sync.reap(vcpu);
    const allowedNs = ((entries * 4096) / this.dirtyLimit) * 1e9;
    // The vCPU's rate is measured since its last ring-full exit under the limit, or
    // since the limit came into force (not since the run began).
    const since = Math.max(this.lastRingFullNs.get(vcpu.id) ?? 0, this.dirtyLimitSinceNs);
    const sleep = Math.max(0, allowedNs - (now - since));
    this.lastRingFullNs.set(vcpu.id, now);
    return { ns, sleepUntilNs: now + ns + sleep };
  }

  /** Share of a vCPU's time it sleeps under the CPU throttle. */
  get throttleShare(): number {
    return this.throttlePct / 100;
  }
}
