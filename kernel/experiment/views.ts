import type { ColumnTable } from 'arquero';
import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import { queryRows } from './aggregate.ts';
import { applyLets } from './derive.ts';
import { pickColumns, tidyTable } from './experiment-table.ts';
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
 * What `table VIEW [where ...] [by ... AGG ...] [with ...]` shows of `view` of `e`;
 * throws ColumnError for a column the table lacks or an aggregate it cannot take.
 */
export function tableOutputTable(
  e: ExperimentRun,
  view: ResultTableName,
  out: Pick<TableOutput, 'where' | 'by' | 'aggregates' | 'columns'>,
  lets: readonly LetDefinition[] = [],
): ColumnTable {
  const table = queryRows(viewTable(e, view, lets), out, view);
  return out.columns ? pickColumns(table, view, out.columns) : table;
}
