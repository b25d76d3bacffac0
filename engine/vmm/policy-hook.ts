import type { IterationRecord } from './migration-thread.ts';

/**
 * A precopy policy written in TypeScript: after every sync of the iterative phase the
 * migration thread asks it what to do, where QEMU would apply its own rule (complete
 * when what remains fits in bandwidth x downtime-limit) and the management layer its
 * limits. It is passed as `run(plan, { policy })`, beside the plain-data plan, so a
 * notebook can try a policy without a new plan field or a language change.
 *
 * Without a policy the thread behaves exactly as before (QEMU's rule).
 */
export interface PrecopyPolicy {
  /** Shown in the `policy` events the run records. */
  readonly name: string;
  /**
   * Called after each sync from the second on (the setup's first sync and the final
   * sync at switchover are not decisions). Returning nothing means `{ action: 'default' }`.
   */
  afterSync(state: PrecopyState): PrecopyDecision | void;
}

/** What the policy sees at a sync. Sizes in bytes, times in ns, like the plan. */
export interface PrecopyState {
  /** QEMU's dirty-sync-count, this sync included (2 for the first decision). */
  readonly iteration: number;
  /** Time since the migration started. */
  readonly elapsedNs: number;
  /** Dirty bytes left to send after this sync. */
  readonly remainingBytes: number;
  /** Pages this sync found newly dirty. */
  readonly dirtyPagesSynced: number;
  /** Pages sent since the previous sync. */
  readonly pagesSentSinceSync: number;
  /** The send-rate estimate of the last 100 ms window, bytes per second. */
  readonly bandwidthBytesPerSec: number;
  /** The downtime limit in force. */
  readonly downtimeLimitNs: number;
  /** bandwidth x downtime limit: what QEMU would still send with the guest stopped. */
  readonly thresholdBytes: number;
  /** True if QEMU's own rule would switch over now (remaining fits under the threshold). */
  readonly qemuWouldComplete: boolean;
  /** Current auto-converge CPU throttle, percent. */
  readonly throttlePct: number;
  /** Every sync so far, this one last (the rows of the `iterations` table). */
  readonly history: readonly IterationRecord[];
}

/** A policy's answer at one sync. */
export interface PrecopyDecision {
  /**
   * - `default`: QEMU's rule and the plan's management limits decide (as without a policy);
   * - `continue`: keep iterating even if QEMU's rule would switch over (the plan's
   *   max_iterations and the run's max_time still apply);
   * - `switchover`: stop the guest and send the rest now;
   * - `postcopy`: switch to postcopy now;
   * - `cancel`: give up; the guest keeps running on the source.
   */
  action?: PolicyAction;
  /** A new downtime limit from now on (QEMU: migrate-set-parameters downtime-limit). */
  downtimeLimitNs?: number;
  /** Why, for the run's events. */
  reason?: string;
}

export type PolicyAction = 'default' | 'continue' | 'switchover' | 'postcopy' | 'cancel';

/** Checks a decision; a broken policy is a programming error, so it throws. */
export function checkDecision(policy: PrecopyPolicy, d: PrecopyDecision): void {
  const actions: readonly PolicyAction[] = [
    'default',
    'continue',
    'switchover',
    'postcopy',
    'cancel',
  ];
  if (d.action !== undefined && !actions.includes(d.action)) {
    throw new Error(
      `precopy policy ${policy.name}: unknown action: ${String(d.action)} (use ${actions.join(', ')})`,
    );
  }
  if (
    d.downtimeLimitNs !== undefined &&
    !(Number.isFinite(d.downtimeLimitNs) && d.downtimeLimitNs > 0)
  ) {
    throw new Error(
      `precopy policy ${policy.name}: downtimeLimitNs must be a positive number of ns, got ${d.downtimeLimitNs}`,
    );
  }
}
