import type { VcpuThread } from '../guest/vcpu-thread.ts';
import type { Link } from '../vmm/link.ts';
import type { ConvergeController } from '../vmm/converge.ts';
import type { MigrationState, MigrationThread } from '../vmm/migration-thread.ts';
import type { GuestBalloon } from './balloon.ts';
import { STALL_CAUSES } from '../guest/vcpu-thread.ts';

/** What a timeline sample says the migration was doing: its state, or paused for the switchover. */
export type TimelineState = MigrationState | 'paused';

/** One timeline sample (fixed period). */
export interface TimelineRecord {
  time_s: number;
  state: TimelineState;
  iteration: number;
  /** Guest writes completed per second over the sample, all vCPUs. */
  guest_writes_per_s: number;
  /** Accesses completed / accesses the workload would have done unhindered. */
  guest_progress: number;
  remaining_pages: number;
  link_mbps: number;
  throttle_pct: number;
  ring_full_exits: number;
  /** vCPU ms lost per cause over the sample, summed over vCPUs. */
  stalls_ms: Record<string, number>;
  /** With a balloon: host RSS, guest free memory, reports, discards (GuestBalloon.sample). */
  balloon?: Record<string, number>;
}

/** The guest's and the link's cumulative counters at one instant. */
export interface Snapshot {
  writes: number;
  accesses: number;
  ideal: number;
  /** vCPU ns lost per cause (STALL_CAUSES order), summed over vCPUs. */
  stalls: Float64Array;
  transferred: number;
}

/** What the sampler reads. */
export interface Sampled {
  threads: readonly VcpuThread[];
  link: Link;
  migration: MigrationThread;
  converge: ConvergeController;
  balloon: GuestBalloon | null;
}

export function takeSnapshot(threads: readonly VcpuThread[], link: Link): Snapshot {
  const stalls = new Float64Array(STALL_CAUSES.length);
  let writes = 0;
  let accesses = 0;
  let ideal = 0;
  for (const t of threads) {
    writes += t.writes;
    accesses += t.accesses;
    ideal += t.idealAccesses;
    for (let k = 0; k < stalls.length; k++) stalls[k] += t.stallNs[k];
  }
  return { writes, accesses, ideal, stalls, transferred: link.transferred };
}

/**
 * The timeline: one row per sample period, each the difference of two snapshots.
 * The scheduler calls `sampleIfDue` at the end of every slice it wants sampled.
 */
export class TimelineSampler {
  readonly rows: TimelineRecord[] = [];
  /** KVM_EXIT_DIRTY_RING_FULL exits since the last row. */
  ringFullExits = 0;
  private readonly of: Sampled;
  private readonly periodNs: number;
  private prev: Snapshot;
  private lastNs: number;

  constructor(of: Sampled, periodNs: number, startNs: number) {
    this.of = of;
    this.periodNs = periodNs;
    this.prev = takeSnapshot(of.threads, of.link);
    this.lastNs = startNs;
  }

  /**
   * Start a new period at `now` without a row for the time since the last one (the
   * timeline of the migration starts when it does). Returns the snapshot it starts from.
   */
  restart(now: number): Snapshot {
    this.prev = takeSnapshot(this.of.threads, this.of.link);
    this.lastNs = now;
    return this.prev;
  }

  /** At `t`, the end of a slice: add a row if a period has passed since the last, or if `force`. */
  sampleIfDue(t: number, force = false): boolean {
    if (!(t - this.lastNs >= this.periodNs || force)) return false;
    const { threads, link, migration, converge, balloon } = this.of;
    const cur = takeSnapshot(threads, link);
    const row = sampleRow(
      this.prev,
      cur,
      (t - this.lastNs) / 1e9,
      t,
      migration,
      converge,
      this.ringFullExits,
    );
    if (balloon) row.balloon = balloon.sample();
    this.rows.push(row);
    this.ringFullExits = 0;
    this.prev = cur;
    this.lastNs = t;
    return true;
  }
}

function sampleRow(
  a: Snapshot,
  b: Snapshot,
  periodS: number,
  t: number,
  m: MigrationThread,
  converge: ConvergeController,
  ringFull: number,
): TimelineRecord {
  const stalls: Record<string, number> = {};
  STALL_CAUSES.forEach((c, k) => (stalls[c] = (b.stalls[k] - a.stalls[k]) / 1e6));
  const ideal = b.ideal - a.ideal;
  return {
    time_s: t / 1e9,
    state: m.pausedAt(t - 1) ? 'paused' : m.state,
    iteration: m.syncCount,
    guest_writes_per_s: (b.writes - a.writes) / periodS,
    guest_progress: ideal > 0 ? (b.accesses - a.accesses) / ideal : 1,
    remaining_pages:
      m.ctx.sync.dirtyPages + (m.missing ? m.missing.reduce((n, s) => n + s.count, 0) : 0),
    link_mbps: ((b.transferred - a.transferred) * 8) / periodS / 1e6,
    // The throttle in force on the guest: none once it runs on the destination.
    throttle_pct:
      m.state === 'postcopy-active' || m.state === 'completed' ? 0 : converge.throttlePct,
    ring_full_exits: ringFull,
    stalls_ms: stalls,
  };
}
