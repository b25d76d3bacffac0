import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { didYouMean } from '../../dsl/diagnostics.ts';
import { provenanceOf, registerProvenance } from '../../engine/results.ts';
import type { ResultTableName } from '../../engine/results.ts';
import type { ExperimentRun } from './experiments.ts';

/**
 * `table V with a, b` names a column V does not have. The language cannot know a
 * table's columns before the run (a balloon adds some), so this is found at display.
 */
export class ColumnError extends Error {
  override readonly name = 'ColumnError';
}

/**
 * One table of an experiment: the run's own table for `run`; for `sweep`, the plans'
 * tables stacked with a leading `label` column (the summary: one row per plan).
 * With `columns` (`table V with a, b`), only those, in that order, after `label`.
 */
export function experimentTable(
  e: ExperimentRun,
  view: ResultTableName,
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

function wholeTable(e: ExperimentRun, view: ResultTableName): ColumnTable {
  if (e.mode === 'run' && e.runs.length === 1) return e.runs[0].result[view];
  const parts = e.runs.map(({ label, result }) => {
    const t = result[view];
    return aq.table({ label: new Array<string>(t.numRows()).fill(label) }).assign(t);
  });
  return parts.length ? parts[0].concat(...parts.slice(1)) : aq.table({ label: [] });
}
