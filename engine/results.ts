import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { SimulationOutput } from './sim/simulation.ts';
import type { RunPlan } from './plan.ts';
import type { Costs } from './kvm/costs.ts';
import { STALL_CAUSES } from './guest/vcpu-thread.ts';
import { VCPU_STATS_COLUMNS } from './sim/vcpu-stats.ts';

import pkg from '../package.json' with { type: 'json' };

/** mmulab's version (package.json), recorded in every result. */
export const MMULAB_VERSION: string = pkg.version;

/** Where a result comes from: enough to re-make it. */
export interface Provenance {
  mmulab_version: string;
  /** FNV-1a 64 of the plan's canonical JSON, hex. */
  plan_hash: string;
  seed: number;
  /** The cost table in force (defaults with the plan's overrides). */
  costs: Costs;
}

/**
 * The tables of one run, in the order the engine builds them. Column names carry their
 * units.
 * - summary: one row (QEMU query-migrate's figures plus the simulator's own; the
 *   stall_<cause>_ms columns are vCPU time lost during migration, summed over vCPUs;
 *   the KVM counters pf_*, splits_*, ... are VM totals since the VM was created);
 * - iterations: one row per sync (dirty-sync-count);
 * - timeline: one row per sample period;
 * - events: ring-full exits, throttle changes, switchover, lost-dirty, ...
 * - stale: the pages the destination got wrong, with the cause (empty when correct);
 * - vcpu_stats: one row per vCPU, during migration: its accesses and progress (the
 *   share of the accesses it would have made undisturbed), its VM exits, userspace
 *   exits and ring-full exits, and the time it lost by cause (stall_<cause>_ms, whose
 *   sums over vCPUs are the summary's).
 * The language's `table`/`export` views, CSV and Arrow files and the worker-thread
 * transfer all take this list.
 */
export const RESULT_TABLES = [
  'summary',
  'iterations',
  'timeline',
  'events',
  'stale',
  'vcpu_stats',
] as const;
export type ResultTableName = (typeof RESULT_TABLES)[number];

/** The tables of one run (see RESULT_TABLES), where they come from, and whether it finished. */
export interface RunResult extends Record<ResultTableName, ColumnTable> {
  provenance: Provenance;
  /** True when the run was interrupted before it finished. */
  interrupted: boolean;
}

export function buildResult(out: SimulationOutput): RunResult {
  const { plan, vm, migration: m } = out;
  const stats = vm.getStats();
  const kvmMemory = vm.trackingMemory();
  const ramPages = m.ctx.memory.ramPages;
  const pagesSent = m.normalPages + m.zeroPages;
  const totalMs = m.totalNs / 1e6;
  const setupMs = m.setupNs / 1e6;
  const row: Record<string, string | number | boolean | null> = {
    vm: plan.vm.name,
    tracking: plan.tracking.name,
    migration: plan.migration.name,
    seed: plan.seed,
    status: m.state,
    switchover: m.switchover,
    total_ms: totalMs,
    // A run that ended inside the enabling ioctl has no setup time to report.
    setup_ms: m.totalNs >= m.setupNs ? setupMs : null,
    enable_ioctl_ms: m.totalNs >= m.setupNs ? m.enableIoctlNs / 1e6 : null,
    enable_split_ms: m.totalNs >= m.setupNs ? m.enableSplitNs / 1e6 : null,
    clear_ioctls: m.ctx.sync.clears,
    clear_ioctl_ms: m.ctx.sync.clearNs / 1e6,
    clear_ioctl_max_ms: m.ctx.sync.clearMaxNs / 1e6,
    clear_split_ms: m.ctx.sync.clearSplitNs / 1e6,
    downtime_ms: m.state === 'completed' ? m.downtimeNs / 1e6 : null,
    expected_downtime_ms: m.expectedDowntimeNs / 1e6,
    downtime_limit_ms: (plan.migration.downtimeLimitNs ?? 300e6) / 1e6,
    iterations: m.syncCount,
    transferred_bytes: m.ctx.link.transferred,
    ram_bytes: ramPages * 4096,
    normal_pages: m.normalPages,
    zero_pages: m.zeroPages,
    normal_bytes: m.normalPages * 4096,
    pages_sent: pagesSent,
    amplification: ramPages ? pagesSent / ramPages : 0,
    downtime_bytes: m.downtimeBytes,
    dirty_pages_rate_pps: m.ctx.converge.dirtyPagesRate,
    mbps: totalMs - setupMs > 0 ? (m.ctx.link.transferred * 8) / (totalMs - setupMs) / 1000 : 0,
    throttle_pct: m.ctx.converge.throttlePct,
    postcopy_requests: m.postcopyRequests,
    guest_writes_per_s: out.migrationWallNs > 0 ? out.guestWrites / (out.migrationWallNs / 1e9) : 0,
    guest_slowdown: out.guestIdeal > 0 ? 1 - out.guestAccesses / out.guestIdeal : 0,
    // The same while the guest ran: the downtime left out, so policies compare by what
    // dirty tracking cost the running guest.
    live_slowdown: out.guestIdealRunning > 0 ? 1 - out.guestAccesses / out.guestIdealRunning : 0,
    max_vcpu_stall_ms: out.maxVcpuStallNs / 1e6,
    p99_vcpu_stall_ms: out.p99VcpuStallNs / 1e6,
    bql_held_ms: m.bql.heldNs / 1e6,
    pf_fast: stats.pf_fast,
    pf_slow: stats.pf_fixed,
    pf_not_present: stats.pf_not_present,
    splits_eager: stats.eager_splits,
    splits_on_fault: stats.fault_splits,
    zaps_on_fault: stats.fault_zaps,
    pml_full_exits: stats.pml_full_exits,
    ring_full_exits: stats.dirty_ring_full,
    tlb_flushes: stats.remote_tlb_flush,
    mmu_lock_read_ms: stats.mmu_lock_read_ns / 1e6,
    mmu_lock_write_ms: stats.mmu_lock_write_ns / 1e6,
    tracking_memory_bytes: out.trackingBytes.kvm + out.trackingBytes.vmm,
    page_table_bytes: kvmMemory.pageTableBytes,
    dirty_bitmap_bytes: kvmMemory.bitmapBytes,
    dirty_ring_bytes: kvmMemory.ringBytes,
    lost_dirty: stats.lost_dirty,
    stale_pages: m.state === 'completed' ? out.stalePages : null,
  };
  // Stalls count from the start of migration, like guest_slowdown: the warm-up's
  // faults (mapping the guest's memory) are not a cost of migrating it.
  STALL_CAUSES.forEach((c, k) => (row[`stall_${c}_ms`] = out.stallNs[k] / 1e6));
  // A balloon adds its figures (free page reporting and hinting); runs without one keep
  // exactly the columns they had.
  if (out.balloon) {
    Object.assign(row, out.balloon.summary(out.threads));
    row.stale_free_pages = m.state === 'completed' ? out.staleFreePages : null;
  }
  const summary = aq.from([row]);
  const iterations = aq.from(out.iterations.length ? out.iterations : [], ITERATION_COLUMNS);
  const timeline = aq.from(
    out.timeline.map((r) => {
      const flat: Record<string, string | number> = {
        time_s: r.time_s,
        state: r.state,
        iteration: r.iteration,
        guest_writes_per_s: r.guest_writes_per_s,
        guest_progress: r.guest_progress,
        remaining_pages: r.remaining_pages,
        link_mbps: r.link_mbps,
        throttle_pct: r.throttle_pct,
        ring_full_exits: r.ring_full_exits,
      };
      for (const c of STALL_CAUSES) flat[`stall_${c}_ms`] = r.stalls_ms[c];
      if (r.balloon) Object.assign(flat, r.balloon);
      return flat;
    }),
  );
  const events = out.events.length
    ? aq.from(out.events)
    : aq.table({ time_s: [], kind: [], vcpu: [], detail: [] });
  const stale = out.stale.length
    ? aq.from(
        out.stale.map((s) => ({
          gfn: s.gfn,
          source_generation: s.sourceGeneration,
          destination_generation: s.destinationGeneration,
          cause: s.cause,
        })),
      )
    : aq.table({ gfn: [], source_generation: [], destination_generation: [], cause: [] });
  const vcpuStats = aq.from(out.vcpuStats, [
    ...VCPU_STATS_COLUMNS,
    ...STALL_CAUSES.map((c) => `stall_${c}_ms`),
  ]);
  const provenance: Provenance = {
    mmulab_version: MMULAB_VERSION,
    plan_hash: planHash(plan),
    seed: plan.seed,
    costs: { ...vm.costs },
  };
  for (const t of [summary, iterations, timeline, events, stale, vcpuStats])
    TABLE_PROVENANCE.set(t, provenance);
  return {
    summary,
    iterations,
    timeline,
    events,
    stale,
    vcpu_stats: vcpuStats,
    provenance,
    interrupted: out.interrupted,
  };
}

/**
 * Arquero tables carry no metadata of their own, so each table a run produces is
 * registered here with the provenance of that run (held weakly: it goes with the table).
 */
const TABLE_PROVENANCE = new WeakMap<ColumnTable, Provenance>();

/**
 * Record that `table` holds a run's results: for tables rebuilt from plain data, e.g.
 * after crossing a worker-thread boundary.
 */
export function registerProvenance(table: ColumnTable, provenance: Provenance): void {
  TABLE_PROVENANCE.set(table, provenance);
}

/** The provenance of a table a run produced (mmulab version, plan hash, seed, costs), if any. */
export function provenanceOf(table: ColumnTable): Provenance | undefined {
  return TABLE_PROVENANCE.get(table);
}

/** What a column holds: JSON's number, text or boolean (null where a run has no value). */
export type ColumnType = 'number' | 'text' | 'boolean';

/** One column of a result table, as `resultColumns` lists it. */
export interface ColumnInfo {
  name: string;
  type: ColumnType;
  /** The unit of the column's numbers (`ms`, `pages`, `Mbit/s`); absent for counts and text. */
  unit?: string;
}

/**
 * The unit a column's name states by its suffix (`downtime_ms` is in ms, `rss_mib` in
 * MiB), or undefined: the rule every result column follows, and a `let` may too.
 * Longer suffixes first (`_per_s` before `_s`).
 */
export function unitFromName(name: string): string | undefined {
  for (const [suffix, unit] of UNIT_SUFFIXES) if (name.endsWith(suffix)) return unit;
  return undefined;
}

/** The suffix that names a unit (`_ms` for ms), if one does: unitFromName's inverse. */
export function suffixForUnit(unit: string): string | undefined {
  return UNIT_SUFFIXES.find(([, u]) => u === unit)?.[0];
}

const UNIT_SUFFIXES: readonly (readonly [string, string])[] = [
  ['_per_s', '1/s'],
  ['_pps', 'pages/s'],
  ['_mbps', 'Mbit/s'],
  ['_bytes', 'bytes'],
  ['_pages', 'pages'],
  ['_mib', 'MiB'],
  ['_pct', '%'],
  ['_ms', 'ms'],
  ['_us', 'µs'],
  ['_ns', 'ns'],
  ['_s', 's'],
];

/** Text columns of the result tables; every other column holds numbers. */
const TEXT_COLUMNS: ReadonlySet<string> = new Set([
  'vm',
  'tracking',
  'migration',
  'status',
  'switchover',
  'state',
  'kind',
  'detail',
  'cause',
  'reporting',
  'hinting',
]);

const SUMMARY_COLUMNS = [
  'vm',
  'tracking',
  'migration',
  'seed',
  'status',
  'switchover',
  'total_ms',
  'setup_ms',
  'enable_ioctl_ms',
  'enable_split_ms',
  'clear_ioctls',
  'clear_ioctl_ms',
  'clear_ioctl_max_ms',
  'clear_split_ms',
  'downtime_ms',
  'expected_downtime_ms',
  'downtime_limit_ms',
  'iterations',
  'transferred_bytes',
  'ram_bytes',
  'normal_pages',
  'zero_pages',
  'normal_bytes',
  'pages_sent',
  'amplification',
  'downtime_bytes',
  'dirty_pages_rate_pps',
  'mbps',
  'throttle_pct',
  'postcopy_requests',
  'guest_writes_per_s',
  'guest_slowdown',
  'live_slowdown',
  'max_vcpu_stall_ms',
  'p99_vcpu_stall_ms',
  'bql_held_ms',
  'pf_fast',
  'pf_slow',
  'pf_not_present',
  'splits_eager',
  'splits_on_fault',
  'zaps_on_fault',
  'pml_full_exits',
  'ring_full_exits',
  'tlb_flushes',
  'mmu_lock_read_ms',
  'mmu_lock_write_ms',
  'tracking_memory_bytes',
  'page_table_bytes',
  'dirty_bitmap_bytes',
  'dirty_ring_bytes',
  'lost_dirty',
  'stale_pages',
];

/** GuestBalloon.summary's columns, then the free pages found stale. */
const BALLOON_SUMMARY_COLUMNS = [
  'reporting',
  'reporting_order',
  'hinting',
  'rss_start_bytes',
  'rss_bytes',
  'guest_free_bytes',
  'reports',
  'reported_pages',
  'balloon_exits',
  'discard_calls',
  'discarded_pages',
  'discard_skipped_pages',
  'refaults',
  'used_pages_discarded',
  'reused_before_discard',
  'pages_hinted',
  'pages_skipped_by_hinting',
  'hint_blocks_shrunk',
  'balloon_guest_ms',
  'balloon_exit_ms',
  'balloon_wait_ms',
  'balloon_host_ms',
  'alloc_failures',
  'stale_free_pages',
];

const TIMELINE_COLUMNS = [
  'time_s',
  'state',
  'iteration',
  'guest_writes_per_s',
  'guest_progress',
  'remaining_pages',
  'link_mbps',
  'throttle_pct',
  'ring_full_exits',
];

/** GuestBalloon.sample's columns. */
const BALLOON_TIMELINE_COLUMNS = [
  'rss_mib',
  'guest_free_mib',
  'reported_mib',
  'reports',
  'balloon_exits',
  'discard_calls',
  'refaults',
];

const EVENT_COLUMNS = ['time_s', 'kind', 'vcpu', 'detail'];
const STALE_COLUMNS = ['gfn', 'source_generation', 'destination_generation', 'cause'];

/**
 * The columns of every result table a run of `plan` returns, in order, with their
 * type and unit: known before the run, as `buildResult` lays them out (a VM with a
 * balloon or an `alloc` workload adds the balloon's columns). The language checks
 * column names against it; the front ends read units from it.
 */
export function resultColumns(plan: RunPlan): Record<ResultTableName, ColumnInfo[]> {
  return columnsOfRuns(
    plan.vm.balloon !== undefined || plan.vm.workloads.some((w) => w.kind === 'alloc'),
  );
}

/**
 * Every column a result table of some run can have (a balloon's included): what the
 * language checks names against when it knows no run yet.
 */
export function everyResultColumn(): Record<ResultTableName, ColumnInfo[]> {
  return columnsOfRuns(true);
}

/** The result tables' columns of a run with or without a balloon. */
function columnsOfRuns(balloon: boolean): Record<ResultTableName, ColumnInfo[]> {
  const stalls = STALL_CAUSES.map((c) => `stall_${c}_ms`);
  const info = (names: readonly string[]): ColumnInfo[] =>
    names.map((name) => {
      // `mbps` is the whole name, not a suffix (QEMU's query-migrate calls it so).
      const unit = name === 'mbps' ? 'Mbit/s' : unitFromName(name);
      return {
        name,
        type: TEXT_COLUMNS.has(name) ? 'text' : 'number',
        ...(unit === undefined ? {} : { unit }),
      };
    });
  return {
    summary: info([...SUMMARY_COLUMNS, ...stalls, ...(balloon ? BALLOON_SUMMARY_COLUMNS : [])]),
    iterations: info(ITERATION_COLUMNS),
    timeline: info([...TIMELINE_COLUMNS, ...stalls, ...(balloon ? BALLOON_TIMELINE_COLUMNS : [])]),
    events: info(EVENT_COLUMNS),
    stale: info(STALE_COLUMNS),
    vcpu_stats: info([...VCPU_STATS_COLUMNS, ...stalls]),
  };
}

const ITERATION_COLUMNS = [
  'iteration',
  'time_s',
  'dirty_pages_synced',
  'pages_sent',
  'sync_ms',
  'remaining_pages',
  'dirty_rate_pps',
  'throttle_pct',
  'bandwidth_mbps',
  'expected_downtime_ms',
];

/** FNV-1a 64-bit of the plan's canonical JSON (keys sorted), as hex. */
export function planHash(plan: RunPlan): string {
  return contentHash(plan);
}

/** FNV-1a 64-bit of any plain value's canonical JSON (keys sorted), as hex. */
export function contentHash(value: unknown): string {
  const text = canonicalJson(value);
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** JSON with object keys sorted and undefined fields left out: what contentHash hashes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
