import * as aq from 'arquero';
import type { RunPlan } from '../../engine/plan.ts';
import type { Provenance, ResultTableName, RunResult } from '../../engine/results.ts';
import { RESULT_TABLES, registerProvenance } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';
import type { RunOptions } from '../../engine/sim/simulation.ts';
import { errorFields, PlanFailed } from './runner.ts';

/**
 * One plan as it crosses a worker-thread boundary (WorkerRunner, PoolRunner): plain
 * data in (the plan), plain data out (each table's column names and row objects, or
 * the engine error's class and message). Arquero tables and error classes do not
 * survive structured cloning, so the main thread rebuilds them (`resultFromOutcome`,
 * `planFailed`).
 */

/** What a worker is given. */
export interface PlanTask {
  /** The plan's index, which its result is keyed by. */
  index: number;
  label: string;
  plan: RunPlan;
  /**
   * Optional progress cell shared with the main thread (a pool's): the worker stores
   * the share of the plan's time limit used (0..1) at `progressSlot`, the main thread
   * polls it.
   */
  progress?: SharedArrayBuffer;
  progressSlot?: number;
}

/** A table as plain data: its column names (kept for empty tables) and its rows. */
export interface PlainTable {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** A run's result as plain data. */
export interface PlanOutcome {
  index: number;
  tables: Record<ResultTableName, PlainTable>;
  provenance: Provenance;
  interrupted: boolean;
}

/** What a worker sends back for one plan. */
export type TaskReply =
  | { kind: 'result'; outcome: PlanOutcome }
  /** `name`: the engine error's class (KvmError, PlanError, SimInvariantError, Error). */
  | { kind: 'failed'; label: string; name: string; message: string };

/** Run `task.plan` (in a worker) and return its result, or the engine's error, as plain data. */
export function runPlanTask(task: PlanTask, options: RunOptions = {}): TaskReply {
  try {
    return { kind: 'result', outcome: outcomeOf(task.index, run(task.plan, options)) };
  } catch (e) {
    return { kind: 'failed', label: task.label, ...errorFields(e) };
  }
}

/** A pool's task (plan-worker.js): `runPlanTask`, its progress written to the shared cell. */
export function poolTask(task: PlanTask): TaskReply {
  const cell =
    task.progress && task.progressSlot !== undefined
      ? new Float64Array(task.progress, task.progressSlot * 8, 1)
      : undefined;
  const reply = runPlanTask(task, cell ? { onProgress: (info) => (cell[0] = info.fraction) } : {});
  if (cell) cell[0] = 1;
  return reply;
}

/** The error a worker's `failed` reply stands for. */
export function planFailed(reply: Extract<TaskReply, { kind: 'failed' }>): PlanFailed {
  return new PlanFailed(reply.label, reply.name, reply.message);
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
