/**
 * The columns a text's outputs and `let`s can name, known before anything runs: every
 * result table's columns (engine/results.ts resultColumns, for the plans of the runs in
 * scope), the parameter column of each axis, `label` and `seed`. With no run in scope
 * (a cell of lets alone), every column some run can have.
 */
import { everyResultColumn, resultColumns } from '../../engine/results.ts';
import type { ColumnInfo, ResultTableName } from '../../engine/results.ts';
import type { CompiledExperiment } from './experiments.ts';
import type { Axis } from './experiment-types.ts';

/** The columns of the runs in scope: each result table's, and the axes of their experiments. */
export interface RunColumns {
  tables: Readonly<Record<ResultTableName, ReadonlyMap<string, ColumnInfo>>>;
  /** Every axis, first seen first; one per column. */
  axes: readonly Axis[];
}

/** The columns of every run some plan can make (a balloon's included), with no axis. */
export function anyRunColumns(): RunColumns {
  return { tables: byName(everyResultColumn()), axes: [] };
}

/** The columns of the runs of `experiments`; undefined when there are none. */
export function columnsOfExperiments(
  experiments: readonly CompiledExperiment[],
): RunColumns | undefined {
  let out: RunColumns | undefined;
  for (const e of experiments) {
    // A run's columns depend only on whether its VM has a balloon: one plan of each kind.
    const seen = new Set<boolean>();
    for (const { plan } of e.plans) {
      const balloon =
        plan.vm.balloon !== undefined || plan.vm.workloads.some((w) => w.kind === 'alloc');
      if (seen.has(balloon)) continue;
      seen.add(balloon);
      out = mergeRunColumns(out, { tables: byName(resultColumns(plan)), axes: [] });
    }
    out = mergeRunColumns(out, { tables: perView(() => new Map()), axes: experimentAxes(e) });
  }
  return out;
}

/**
 * The axes of `experiments` alone, as columnsOfExperiments merges them (first seen
 * first, a later experiment's axis winning a clash), without their tables' columns.
 */
export function axesOfExperiments(experiments: readonly CompiledExperiment[]): Axis[] {
  const axes = new Map<string, Axis>();
  for (const e of experiments) for (const x of experimentAxes(e)) axes.set(x.column, x);
  return [...axes.values()];
}

/** The columns of both (a table's columns and the axes of either); `b`'s axis wins a clash. */
export function mergeRunColumns(
  a: RunColumns | undefined,
  b: RunColumns | undefined,
): RunColumns | undefined {
  if (!a || !b) return a ?? b;
  const tables = perView((v) => new Map([...a.tables[v], ...b.tables[v]]));
  const axes = new Map(a.axes.map((x) => [x.column, x]));
  for (const x of b.axes) axes.set(x.column, x);
  return { tables, axes: [...axes.values()] };
}

/**
 * An experiment's axes: those the compiler recorded (`CompiledExperiment.axes`), or else
 * the kinds of definition whose name differs between its plans (`sweep db with [a, b], m`
 * varies `tracking`).
 */
export function experimentAxes(e: CompiledExperiment): Axis[] {
  if (e.axes) return e.axes;
  const kinds = ['vm', 'tracking', 'migration'] as const;
  const axes: Axis[] = [];
  for (const kind of kinds) {
    const names = [...new Set(e.plans.map(({ plan }) => plan[kind].name))];
    if (names.length > 1) axes.push({ column: kind, dim: 'name', values: names, source: 'option' });
  }
  return axes;
}

/** The column an axis adds to every table: a number in the axis's unit, text or a flag. */
export function axisColumn(axis: Axis): ColumnInfo {
  switch (axis.dim) {
    case 'enum':
    case 'name':
      return { name: axis.column, type: 'text' };
    case 'flag':
      return { name: axis.column, type: 'boolean' };
    default:
      return { name: axis.column, type: 'number', ...(axis.unit ? { unit: axis.unit } : {}) };
  }
}

/**
 * The columns of one result table of the runs in scope, as the library lays out a tidy
 * table: `label`, the axes, `seed`, then the table's own.
 */
export function viewColumns(runs: RunColumns, view: ResultTableName): Map<string, ColumnInfo> {
  const out = new Map<string, ColumnInfo>([['label', { name: 'label', type: 'text' }]]);
  for (const a of runs.axes) out.set(a.column, axisColumn(a));
  out.set('seed', { name: 'seed', type: 'number' });
  for (const [name, info] of runs.tables[view]) if (!out.has(name)) out.set(name, info);
  return out;
}

function byName(
  tables: Record<ResultTableName, ColumnInfo[]>,
): Record<ResultTableName, ReadonlyMap<string, ColumnInfo>> {
  return perView((v) => new Map(tables[v].map((c) => [c.name, c])));
}

/** A record with one entry per result table. */
function perView<T>(f: (view: ResultTableName) => T): Record<ResultTableName, T> {
  return {
    summary: f('summary'),
    iterations: f('iterations'),
    timeline: f('timeline'),
    events: f('events'),
    stale: f('stale'),
    vcpu_stats: f('vcpu_stats'),
  };
}
