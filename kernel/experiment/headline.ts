import type { ColumnTable } from 'arquero';
import type { LetDefinition } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import { selectColumns } from './column-info.ts';
import { leadColumns } from './experiment-table.ts';
import type { ExperimentRun } from './experiments.ts';

/**
 * The headline columns of a result table: what `table summary` shows without `all`
 * (a summary has some 60 columns; a terminal fits a dozen), and what every table of
 * the view leads with. After the run's label, its axes and seed come what a migration
 * is judged by first: whether it completed, how long it took and paused the guest,
 * how many passes and bytes it needed, and whether it lost a write; then the
 * program's lets, which the reader asked for by writing them.
 */
export const HEADLINE_COLUMNS: Readonly<Partial<Record<ResultTableName, readonly string[]>>> = {
  summary: ['status', 'total_ms', 'downtime_ms', 'iterations', 'transferred_bytes', 'stale_pages'],
};

/** The headline columns `table` has, in order; none when `view` has no headline set. */
export function headlineColumns(
  table: ColumnTable,
  e: ExperimentRun,
  view: ResultTableName,
  lets: readonly LetDefinition[] = [],
): string[] {
  const own = HEADLINE_COLUMNS[view];
  if (own === undefined) return [];
  const names = table.columnNames();
  const wanted = [...leadColumns(e.axes).map((c) => c.name), ...own, ...lets.map((l) => l.name)];
  return [...new Set(wanted)].filter((n) => names.includes(n));
}

/**
 * A table of runs as `table VIEW` shows it: its headline columns, or with `all` every
 * column, the headline ones first. A view without a headline set is shown whole.
 */
export function headlineTable(
  table: ColumnTable,
  e: ExperimentRun,
  view: ResultTableName,
  lets: readonly LetDefinition[],
  all: boolean,
): ColumnTable {
  const headline = headlineColumns(table, e, view, lets);
  if (headline.length === 0) return table;
  const rest = all ? table.columnNames().filter((n) => !headline.includes(n)) : [];
  return selectColumns(table, [...headline, ...rest]);
}
