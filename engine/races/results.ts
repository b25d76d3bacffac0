import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { contentHash, MMULAB_VERSION } from '../results.ts';
import type { ExploreResult, Violation } from './types.ts';

/**
 * Explorations as Arquero tables, like a run's results: one row per exploration, one
 * row per trace step, each table carrying where it comes from.
 */

/**
 * Where an exploration table comes from. `plan_hash` and `seed` have the meaning they
 * have for a run (engine/results.ts `Provenance`), so front ends show both alike: the
 * hash identifies the protocol and options; exploration draws no random numbers
 * (seed 0).
 */
export interface ExploreProvenance {
  mmulab_version: string;
  plan_hash: string;
  seed: number;
  protocols: string[];
}

const TABLE_PROVENANCE = new WeakMap<ColumnTable, ExploreProvenance>();

/** The provenance of a table `explorationTable` or `traceTable` made, if any. */
export function exploreProvenanceOf(table: ColumnTable): ExploreProvenance | undefined {
  return TABLE_PROVENANCE.get(table);
}

function provenance(results: readonly ExploreResult[]): ExploreProvenance {
  return {
    mmulab_version: MMULAB_VERSION,
    // One exploration: its own hash; several: the hash of theirs, in order.
    plan_hash:
      results.length === 1
        ? results[0].protocolHash
        : contentHash(results.map((r) => r.protocolHash)),
    seed: 0,
    protocols: [...new Set(results.map((r) => r.protocol))],
  };
}

/** The columns of `explorationTable`, in order. */
export const EXPLORATION_COLUMNS = [
  'protocol',
  'memory_model',
  'reduction',
  'threads',
  'states',
  'transitions',
  'interleavings',
  'terminal_states',
  'depth',
  'violations',
  'violated',
  'shortest_trace',
  'truncated',
  'loop_bounds',
  'time_ms',
] as const;

/**
 * One row per exploration: `violations` counts the violated properties, `violated`
 * names them, `shortest_trace` is the length (steps and flushes) of the shortest
 * counterexample among them (null when none), `time_ms` is wall time.
 */
export function explorationTable(results: readonly ExploreResult[]): ColumnTable {
  const cols: Record<(typeof EXPLORATION_COLUMNS)[number], unknown[]> = Object.fromEntries(
    EXPLORATION_COLUMNS.map((c) => [c, []]),
  ) as unknown as Record<(typeof EXPLORATION_COLUMNS)[number], unknown[]>;
  for (const r of results) {
    cols.protocol.push(r.protocol);
    cols.memory_model.push(r.memory);
    cols.reduction.push(r.reduction);
    cols.threads.push(r.threads);
    cols.states.push(r.states);
    cols.transitions.push(r.transitions);
    cols.interleavings.push(r.interleavings);
    cols.terminal_states.push(r.terminalStates);
    cols.depth.push(r.depth);
    cols.violations.push(r.violations.length);
    cols.violated.push(r.violations.map((v) => v.property).join(', '));
    cols.shortest_trace.push(
      r.violations.length ? Math.min(...r.violations.map((v) => v.trace.steps.length)) : null,
    );
    cols.truncated.push(r.truncated);
    cols.loop_bounds.push(r.loopBounds.join(' '));
    cols.time_ms.push(Math.round(r.timeMs * 1000) / 1000);
  }
  const t = aq.table(cols);
  TABLE_PROVENANCE.set(t, provenance(results));
  return t;
}

/** The columns of `traceTable`, in order. */
export const TRACE_COLUMNS = [
  'step',
  'thread',
  'kind',
  'label',
  'line',
  'col',
  'text',
  'reads',
  'writes',
  'locals',
  'culprit',
] as const;

/**
 * A violation's trace, one row per step. `culprit` is true for the steps that write a
 * cell the violated property reads (under TSO: the flush that makes it visible, and
 * the store that buffered it).
 */
export function traceTable(result: ExploreResult, violation: Violation): ColumnTable {
  const culprits = new Set(violation.culprits);
  const rows = violation.trace.steps.map((s) => ({
    step: s.index,
    thread: s.thread,
    kind: s.kind,
    label: s.label,
    line: s.loc?.line ?? null,
    col: s.loc?.col ?? null,
    text: s.text,
    reads: s.reads.map((a) => `${a.var}=${a.shown}`).join(', '),
    writes: s.writes
      .map((a) => `${a.var}=${a.shown}${a.via === 'buffer' ? ' (buffered)' : ''}`)
      .join(', '),
    locals: s.locals.map((l) => l.text).join('; '),
    culprit: s.writes.some((a) => culprits.has(a.var)),
  }));
  const t = rows.length
    ? aq.from(rows)
    : aq.table(Object.fromEntries(TRACE_COLUMNS.map((c) => [c, []])));
  TABLE_PROVENANCE.set(t, provenance([result]));
  return t;
}
