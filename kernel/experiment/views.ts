import type { ColumnTable } from 'arquero';
import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import { queryRows } from './aggregate.ts';
import { applyLets } from './derive.ts';
import { pickColumns, tidyTable } from './experiment-table.ts';
import { headlineTable } from './headline.ts';
import type { ExperimentRun } from './experiments.ts';

/**
 * The tables outputs read: an experiment's tidy table of one view with the program's
 * lets, and what a `table` statement makes of it (where, by, aggregates, with).
 */

/** The tidy table of `view` with every let whose columns it has. */
export function viewTable(
  e: ExperimentRun,
  view: ResultTableName,
  lets: readonly LetDefinition[] = [],
): ColumnTable {
  return applyLets(tidyTable(e, view), lets);
}

export type TableOutput = Extract<CompiledOutput, { kind: 'table' }>;

/**
 * What `table VIEW [all] [where ...] [by ... AGG ...] [with ...]` shows of `view` of
 * `e`: the columns `with` names, or a grouped table's, or the view's headline columns
 * (every column with `all`, the headline ones first; headline.ts); throws ColumnError
 * for a column the table lacks or an aggregate it cannot take.
 */
export function tableOutputTable(
  e: ExperimentRun,
  view: ResultTableName,
  out: Pick<TableOutput, 'where' | 'by' | 'aggregates' | 'columns' | 'all'>,
  lets: readonly LetDefinition[] = [],
): ColumnTable {
  const table = queryRows(viewTable(e, view, lets), out, view);
  if (out.columns) return pickColumns(table, view, out.columns);
  if (out.by || out.aggregates) return table;
  return headlineTable(table, e, view, lets, out.all === true);
}
