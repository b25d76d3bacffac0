import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { Axis } from '../../dsl/compile.ts';
import { didYouMean } from '../../dsl/diagnostics.ts';
import { registerProvenance, resultColumns } from '../../engine/results.ts';
import type { ColumnInfo, ResultTableName } from '../../engine/results.ts';
import { columnsOf, registerColumns, selectColumns } from './column-info.ts';
import type { ExperimentRun, PlanRun } from './experiments.ts';

/**
 * An output names a column its table does not have, or asks of a column what it
 * cannot give (a mean of text). The language checks what it can before the run; what
 * only the results show (a balloon adds columns) is found here, at display.
 */
export class ColumnError extends Error {
  override readonly name = 'ColumnError';
}

/**
 * The tidy table of one view of an experiment: every plan's rows stacked, each led by
 * `label`, one column per axis (its value in the axis's unit) and `seed`, then the
 * result table's own columns (those the lead already holds, as `tracking` or `seed`
 * of the summary, are not repeated). The same for `run` and `sweep`. Every column's
 * type and unit is registered (column-info.ts): the axes' from the experiment, the
 * result columns' from `resultColumns(plan)`.
 */
export function tidyTable(e: ExperimentRun, view: ResultTableName): ColumnTable {
  const parts = e.runs.map((r) => planTable(e.axes, r, view));
  const columns: ColumnInfo[] = [];
  for (const p of parts)
    for (const c of columnsOf(p)) if (!columns.some((k) => k.name === c.name)) columns.push(c);
  if (parts.length === 0) return registerColumns(aq.table({ label: [] }), leadColumns(e.axes));
  // A run without a balloon lacks the balloon's columns: null there.
  const names = columns.map((c) => c.name);
  const aligned = parts.map((p) => {
    const have = p.columnNames();
    const absent = names.filter((n) => !have.includes(n));
    const filled = absent.length
      ? p.assign(aq.table(Object.fromEntries(absent.map((n) => [n, nulls(p.numRows())]))))
      : p;
    return filled.select(...names);
  });
  const table = aligned.length === 1 ? aligned[0] : aligned[0].concat(...aligned.slice(1));
  if (e.runs.length === 1) registerProvenance(table, e.runs[0].result.provenance);
  return registerColumns(table, columns);
}

/** The columns every tidy table starts with: `label`, the axes, `seed`. */
export function leadColumns(axes: readonly Axis[]): ColumnInfo[] {
  return [
    { name: 'label', type: 'text' },
    ...axes.map(axisColumn),
    { name: 'seed', type: 'number' },
  ];
}

/** An axis as a column: quantities are numbers in the axis's unit, enums and names text. */
export function axisColumn(a: Axis): ColumnInfo {
  if (a.dim === 'enum' || a.dim === 'name') return { name: a.column, type: 'text' };
  if (a.dim === 'flag') return { name: a.column, type: 'boolean' };
  return { name: a.column, type: 'number', ...(a.unit === undefined ? {} : { unit: a.unit }) };
}

/** One plan's table of `view`, led by its label, axis values and seed (as `tidyTable` stacks them). */
export function planTable(axes: readonly Axis[], r: PlanRun, view: ResultTableName): ColumnTable {
  const t = r.result[view];
  const n = t.numRows();
  const lead = leadColumns(axes);
  const values: Record<string, unknown[]> = {
    label: new Array<string>(n).fill(r.label),
  };
  for (const a of axes) values[a.column] = new Array<unknown>(n).fill(r.params[a.column] ?? null);
  values.seed = new Array<number>(n).fill(r.result.provenance.seed);
  const own = t.columnNames().filter((c) => !(c in values));
  const known = resultColumns(r.plan)[view];
  const table = aq.table(values).assign(t.select(...own));
  const ownInfo = columnsOf(t.select(...own)).map((c) => known.find((k) => k.name === c.name) ?? c);
  return registerColumns(table, [...lead, ...ownInfo]);
}

function nulls(n: number): null[] {
  return new Array<null>(n).fill(null);
}

/**
 * One table of an experiment as `table V` shows it: the tidy table, with `columns`
 * (`table V with a, b`) only those, in that order, after `label`.
 */
export function experimentTable(
  e: ExperimentRun,
  view: ResultTableName,
  columns?: readonly string[],
): ColumnTable {
  const table = tidyTable(e, view);
  return columns ? pickColumns(table, view, columns) : table;
}

/** `columns` of `table` after its `label`; throws ColumnError naming a column it lacks. */
export function pickColumns(
  table: ColumnTable,
  view: string,
  columns: readonly string[],
): ColumnTable {
  const names = table.columnNames();
  for (const c of columns) requireColumn(names, c, view);
  const lead = names.includes('label') && !columns.includes('label') ? ['label'] : [];
  return selectColumns(table, [...lead, ...columns]);
}

/** Throws ColumnError unless `names` holds `column`; `where` names the table in the message. */
export function requireColumn(names: readonly string[], column: string, where: string): void {
  if (names.includes(column)) return;
  throw new ColumnError(
    `Table ${where} has no column '${column}'.${didYouMean(column, names)} Its columns: ${names.join(', ')}.`,
  );
}
