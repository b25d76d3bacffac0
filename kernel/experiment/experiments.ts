import type { CompiledProgram } from '../../dsl/compile.ts';
import { run } from '../../engine/run.ts';
import type { RunOptions } from '../../engine/sim/simulation.ts';
import type { RunResult } from '../../engine/results.ts';
import { indexedPlans } from './plans.ts';
import type { IndexedPlan } from './plans.ts';

/**
 * A program's experiments (its `run` and `sweep` statements) with the results of
 * their plans: what every output (tables, plots, exports, the report) is made from.
 */

/** One plan of an experiment and its result. */
export interface PlanRun {
  /** The plan's `plan_index`: its position among all plans of the file (0-based). */
  index: number;
  label: string;
  result: RunResult;
}

/** An experiment (`run` or `sweep` statement) and the results of its plans. */
export interface ExperimentRun {
  mode: 'run' | 'sweep';
  /** Line of the statement in the source. */
  line: number;
  /** The statement as written (its first line). */
  statement: string;
  runs: PlanRun[];
}

/** Simulated progress of one plan, as `run(plan, { onProgress })` reports it. */
export type PlanProgress = Parameters<NonNullable<RunOptions['onProgress']>>[0];

export interface RunProgramOptions {
  /** Overrides the seed of every plan (`--seed N`). */
  seed?: number;
  /** Plan `index` of all plans (0-based) reports progress. */
  onProgress?: (index: number, label: string, info: PlanProgress) => void;
}

/**
 * The experiments with the results that exist, in plan order. Plans without a result
 * (another shard's, or not finished before an interrupt) are left out, and so is an
 * experiment left with no plan.
 */
export function assembleExperiments(
  program: CompiledProgram,
  source: string,
  plans: readonly IndexedPlan[],
  results: ReadonlyMap<number, RunResult>,
): ExperimentRun[] {
  const lines = source.split(/\r?\n|\r/);
  const out: ExperimentRun[] = [];
  program.experiments.forEach((e, k) => {
    const runs: PlanRun[] = [];
    for (const p of plans) {
      const result = results.get(p.index);
      if (p.experiment === k && result) runs.push({ index: p.index, label: p.label, result });
    }
    if (runs.length === 0) return;
    out.push({ mode: e.mode, line: e.line, statement: (lines[e.line - 1] ?? '').trim(), runs });
  });
  return out;
}

/** Run every plan of every experiment, one after the other, in this thread. */
export function runProgram(
  program: CompiledProgram,
  source: string,
  options: RunProgramOptions = {},
): ExperimentRun[] {
  const plans = indexedPlans(program, options.seed);
  const results = new Map<number, RunResult>();
  const onProgress = options.onProgress;
  for (const { index, label, plan } of plans) {
    const progress = onProgress
      ? { onProgress: (info: PlanProgress) => onProgress(index, label, info) }
      : {};
    results.set(index, run(plan, progress));
  }
  return assembleExperiments(program, source, plans, results);
}
