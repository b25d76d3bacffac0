import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { CompiledProgram, LabelledPlan, TableView } from '../../dsl/compile.ts';
import { run } from '../../engine/run.ts';
import { provenanceOf, registerProvenance } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
import { didYouMean } from '../../dsl/diagnostics.ts';
import type { PlanProgress } from './progress.ts';

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

export interface RunProgramOptions {
  /** Overrides the seed of every plan (`--seed N`). */
  seed?: number;
  /** Plan `index` of all plans (0-based) reports progress. */
  onProgress?: (index: number, label: string, info: PlanProgress) => void;
}

/**
 * The plans of every experiment, in order. With `seed`, every plan takes that seed
 * and its label says so; plans that become identical (a sweep over seeds) run once.
 */
export function plansOf(
  program: CompiledProgram,
  seed?: number,
): { mode: 'run' | 'sweep'; line: number; plans: LabelledPlan[] }[] {
  return program.experiments.map((e) => {
    if (seed === undefined) return { mode: e.mode, line: e.line, plans: e.plans };
    const seen = new Set<string>();
    const plans: LabelledPlan[] = [];
    for (const p of e.plans) {
      const label = p.label.replace(/(^|\/)seed=\d+(?=\/|$)/, `$1seed=${seed}`);
      if (seen.has(label)) continue;
      seen.add(label);
      plans.push({ label, plan: { ...p.plan, seed } });
    }
    return { mode: e.mode, line: e.line, plans };
  });
}

/** A plan with its place in the file: `index` counts all plans of all experiments. */
export interface IndexedPlan {
  /** 0-based, over every plan of every experiment, in file order (`plan_index`). */
  index: number;
  /** Which experiment (0-based) the plan belongs to. */
  experiment: number;
  label: string;
  plan: LabelledPlan['plan'];
}

/** Every plan of the file, numbered in order (`--seed` applied as in `plansOf`). */
export function indexedPlans(program: CompiledProgram, seed?: number): IndexedPlan[] {
  let index = 0;
  return plansOf(program, seed).flatMap((e, experiment) =>
    e.plans.map(({ label, plan }) => ({ index: index++, experiment, label, plan })),
  );
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

/** Number of plans `runProgram` will run. */
export function countPlans(program: CompiledProgram, seed?: number): number {
  return plansOf(program, seed).reduce((n, e) => n + e.plans.length, 0);
}

/**
 * `table V with a, b` names a column V does not have. The language cannot know a
 * table's columns before the run (a balloon adds some), so this is found at display.
 */
export class ColumnError extends Error {}

/**
 * One table of an experiment: the run's own table for `run`; for `sweep`, the plans'
 * tables stacked with a leading `label` column (the summary: one row per plan).
 * With `columns` (`table V with a, b`), only those, in that order, after `label`.
 */
export function experimentTable(
  e: ExperimentRun,
  view: TableView,
  columns?: readonly string[],
): ColumnTable {
  const table = wholeTable(e, view);
  if (!columns) return table;
  const names = table.columnNames();
  for (const c of columns) {
    if (!names.includes(c)) {
      throw new ColumnError(
        `Table ${view} has no column '${c}'.${didYouMean(c, names)} Its columns: ${names.join(', ')}.`,
      );
    }
  }
  const lead = names.includes('label') && !columns.includes('label') ? ['label'] : [];
  const picked = [...lead, ...columns];
  // select() makes a new table: give it the provenance of the run's own.
  const selected = table.select(...picked);
  const provenance = provenanceOf(table);
  if (provenance) registerProvenance(selected, provenance);
  return selected;
}

function wholeTable(e: ExperimentRun, view: TableView): ColumnTable {
  if (e.mode === 'run' && e.runs.length === 1) return e.runs[0].result[view];
  const parts = e.runs.map(({ label, result }) => {
    const t = result[view];
    return aq.table({ label: new Array<string>(t.numRows()).fill(label) }).assign(t);
  });
  return parts.length ? parts[0].concat(...parts.slice(1)) : aq.table({ label: [] });
}
