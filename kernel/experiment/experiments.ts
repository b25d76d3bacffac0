import type { Axis, CompiledProgram, ParamValue } from '../../dsl/compile.ts';
import type { RunPlan } from '../../engine/plan.ts';
import type { RunResult } from '../../engine/results.ts';
import { InThreadRunner } from './in-thread.ts';
import { indexedPlans } from './plans.ts';
import type { IndexedPlan } from './plans.ts';
import type { PlanRunner, RunnerOptions } from './runner.ts';

/**
 * A program's experiments (its `run` and `sweep` statements) with the results of
 * their plans: what every output (tables, plots, exports, the report) is made from.
 */

/** One plan of an experiment and its result. */
export interface PlanRun {
  /** The plan's `plan_index`: its position among all plans of the file (0-based). */
  index: number;
  label: string;
  /** The plan's value of every axis of its experiment, by column (null where it has none). */
  params: Record<string, ParamValue>;
  /** The plan that ran: its result tables' columns are `resultColumns(plan)`. */
  plan: RunPlan;
  result: RunResult;
}

/** A plan of an experiment that has no result: another shard's, or cut short by an interrupt. */
export interface MissingPlan {
  index: number;
  label: string;
  params: Record<string, ParamValue>;
  seed: number;
}

/** An experiment (`run` or `sweep` statement) and the results of its plans. */
export interface ExperimentRun {
  mode: 'run' | 'sweep';
  /** Line of the statement in the source. */
  line: number;
  /** The statement as written (its first line). */
  statement: string;
  /** What varies between its plans besides the seed: one column each in every table. */
  axes: Axis[];
  runs: PlanRun[];
  /** Its plans without a result, in plan order (a figure flags the groups they belong to). */
  missing: MissingPlan[];
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
    const missing: MissingPlan[] = [];
    for (const p of plans) {
      if (p.experiment !== k) continue;
      const params = p.params ?? {};
      const result = results.get(p.index);
      if (result) runs.push({ index: p.index, label: p.label, params, plan: p.plan, result });
      else missing.push({ index: p.index, label: p.label, params, seed: p.plan.seed });
    }
    if (runs.length === 0) return;
    out.push({
      mode: e.mode,
      line: e.line,
      statement: (lines[e.line - 1] ?? '').trim(),
      axes: e.axes ?? [],
      runs,
      missing,
    });
  });
  return out;
}

/** A program's experiments, run. */
export interface ProgramRun {
  /** The experiments with the plans that finished (see `assembleExperiments`). */
  experiments: ExperimentRun[];
  /** How many plans finished. */
  finished: number;
  /** True when the signal stopped the run before every plan finished. */
  interrupted: boolean;
}

/**
 * Run `plans` of `program` (compiled from `source`) on `runner` and assemble their
 * results. Rejects with PlanFailed when the engine rejects a plan.
 */
export async function runExperiments(
  program: CompiledProgram,
  source: string,
  plans: readonly IndexedPlan[],
  runner: PlanRunner,
  options: RunnerOptions = {},
): Promise<ProgramRun> {
  const { results, interrupted } = await runner.run(plans, options);
  return {
    experiments: assembleExperiments(program, source, plans, results),
    finished: results.size,
    interrupted,
  };
}

export interface RunProgramOptions extends RunnerOptions {
  /** Where the plans run (default: an InThreadRunner). */
  runner?: PlanRunner;
  /** Overrides the seed of every plan (`--seed N`). */
  seed?: number;
}

/** Every plan of `program`, run (by default in this thread) and assembled. */
export function runProgram(
  program: CompiledProgram,
  source: string,
  options: RunProgramOptions = {},
): Promise<ProgramRun> {
  const { runner = new InThreadRunner(), seed, ...runnerOptions } = options;
  return runExperiments(program, source, indexedPlans(program, seed), runner, runnerOptions);
}
