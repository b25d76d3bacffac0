import * as aq from 'arquero';
import type { RunPlan } from '../../engine/plan.ts';
import type { Provenance, ResultTableName, RunResult } from '../../engine/results.ts';
import { RESULT_TABLES, registerProvenance } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';

/**
 * One plan as it crosses a worker-thread boundary: plain data in (the plan), plain
 * data out (each table's column names and row objects). Arquero tables do not survive
 * structured cloning, so the main thread rebuilds them with `resultFromOutcome`.
 */

/** What a worker is given. */
export interface PlanTask {
  /** The plan's position among all plans of the file (0-based), for the caller. */
  index: number;
  plan: RunPlan;
  /**
   * Optional progress cell shared with the main thread: the worker stores the share
   * of the plan's time limit used (0..1) at `progressSlot`, the main thread polls it.
   */
  progress?: SharedArrayBuffer;
  progressSlot?: number;
}

/** A table as plain data: its column names (kept for empty tables) and its rows. */
export interface PlainTable {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** What a worker sends back. */
export interface PlanOutcome {
  index: number;
  tables: Record<ResultTableName, PlainTable>;
  provenance: Provenance;
  interrupted: boolean;
}

/** Run `task.plan` (in a worker) and return its result as plain data. */
export function runPlanTask(task: PlanTask): PlanOutcome {
  const cell =
    task.progress && task.progressSlot !== undefined
      ? new Float64Array(task.progress, task.progressSlot * 8, 1)
      : undefined;
  const result = run(task.plan, cell ? { onProgress: (info) => (cell[0] = info.fraction) } : {});
  if (cell) cell[0] = 1;
  return outcomeOf(task.index, result);
}

/** A run's result as plain data (structured-cloneable). */
export function outcomeOf(index: number, result: RunResult): PlanOutcome {
  const tables = byTable((name): PlainTable => {
    const t = result[name];
    return { columns: t.columnNames(), rows: t.objects() as Record<string, unknown>[] };
  });
  return { index, tables, provenance: result.provenance, interrupted: result.interrupted };
}

/** The `RunResult` a worker's outcome stands for: the same columns, rows and values. */
export function resultFromOutcome(outcome: PlanOutcome): RunResult {
  const tables = byTable((name) => {
    const table = aq.from(outcome.tables[name].rows, outcome.tables[name].columns);
    registerProvenance(table, outcome.provenance);
    return table;
  });
  return { ...tables, provenance: outcome.provenance, interrupted: outcome.interrupted };
}

/** `f` of every result table, keyed by the table's name. */
function byTable<T>(f: (name: ResultTableName) => T): Record<ResultTableName, T> {
  return Object.fromEntries(RESULT_TABLES.map((name) => [name, f(name)])) as Record<
    ResultTableName,
    T
  >;
}
