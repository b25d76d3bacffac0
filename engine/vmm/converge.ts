import type { MigrationPolicy } from '../plan.ts';

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

  /** Share of a vCPU's time it sleeps under the CPU throttle. */
  get throttleShare(): number {
    return this.throttlePct / 100;
  }
}
