/**
 * Shared helpers for migration tests (engine/run.ts): the summary row as a typed
 * record, table rows, and the assertions every migration test makes (nothing lost,
 * an iterations table that adds up).
 */
import { expect } from 'vitest';
import type { ColumnTable } from 'arquero';
import type { RunResult } from '../../engine/results.ts';

/** QEMU's per-page wire sizes (migration/ram.c save_page_header + page, save_zero_page). */
export const NORMAL_PAGE_WIRE_BYTES = 8 + 4096;
export const ZERO_PAGE_WIRE_BYTES = 8 + 1;
/** The plan's default device state, sent during downtime (MigrationPolicy.deviceStateBytes). */
export const DEFAULT_DEVICE_STATE_BYTES = 2 ** 20;

/** The summary columns the tests read. */
export interface Summary {
  status: string;
  total_ms: number;
  setup_ms: number;
  downtime_ms: number | null;
  downtime_limit_ms: number;
  iterations: number;
  transferred_bytes: number;
  ram_bytes: number;
  normal_pages: number;
  zero_pages: number;
  pages_sent: number;
  throttle_pct: number;
  postcopy_requests: number;
  guest_writes_per_s: number;
  pf_slow: number;
  ring_full_exits: number;
  lost_dirty: number;
  stale_pages: number | null;
  stall_slow_fault_ms: number;
  stall_split_ms: number;
  stall_ring_full_ms: number;
  stall_throttle_ms: number;
  stall_remote_fault_ms: number;
  stall_mmio_ms: number;
}

/** One row of the iterations table (one sync, QEMU's dirty-sync-count). */
export interface IterationRow {
  iteration: number;
  time_s: number;
  dirty_pages_synced: number;
  pages_sent: number;
  remaining_pages: number;
  throttle_pct: number;
}

export interface EventRow {
  time_s: number;
  kind: string;
  vcpu: number;
  detail: string;
}

/** One row of the timeline (one sample period). */
export interface TimelineRow {
  time_s: number;
  state: string;
  guest_writes_per_s: number;
  throttle_pct: number;
  stall_throttle_ms: number;
}

export interface StaleRow {
  gfn: number;
  source_generation: number;
  destination_generation: number;
  cause: string;
}

/** A table's rows as plain objects of type T. */
export function rowsOf<T>(table: ColumnTable): T[] {
  return table.objects() as T[];
}

/** The one summary row. */
export function summaryOf(result: RunResult): Summary {
  return rowsOf<Summary>(result.summary)[0];
}

/** The events of one kind, in time order. */
export function eventsOf(result: RunResult, kind: string): EventRow[] {
  return rowsOf<EventRow>(result.events).filter((e) => e.kind === kind);
}

/**
 * The run completed and the destination holds every page's last generation. On
 * failure the message shows the first stale pages with their causes.
 */
export function expectNoLoss(result: RunResult): void {
  const s = summaryOf(result);
  expect(s.status).toBe('completed');
  const stale = rowsOf<StaleRow>(result.stale).slice(0, 5);
  expect(s.stale_pages, `stale pages, first ones: ${JSON.stringify(stale)}`).toBe(0);
}

/**
 * The iterations table adds up: one row per sync numbered 1..n with n the summary's
 * `iterations` (dirty-sync-count); every RAM page was sent at least once; and every
 * page sent was either in the first pass (all of RAM) or found dirty by a sync, once
 * each: pages_sent = RAM pages + the sum of dirty_pages_synced.
 */
export function expectConsistentIterations(result: RunResult): void {
  const s = summaryOf(result);
  const rows = rowsOf<IterationRow>(result.iterations);
  const ramPages = s.ram_bytes / 4096;
  expect(rows.map((r) => r.iteration)).toEqual(
    Array.from({ length: s.iterations }, (_, i) => i + 1),
  );
  expect(s.pages_sent).toBeGreaterThanOrEqual(ramPages);
  expect(s.pages_sent).toBe(ramPages + rows.reduce((n, r) => n + r.dirty_pages_synced, 0));
  expect(s.normal_pages + s.zero_pages).toBe(s.pages_sent);
  for (let k = 1; k < rows.length; k++)
    expect(rows[k].time_s).toBeGreaterThanOrEqual(rows[k - 1].time_s);
}
