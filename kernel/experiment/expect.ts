import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { ExpectOutput, LetDefinition } from '../../dsl/compile.ts';
import { queryRows } from './aggregate.ts';
import { selectColumns } from './column-info.ts';
import type { ExperimentRun } from './experiments.ts';
import { compileExpr, exprColumns, truthy } from './expressions.ts';
import { viewTable } from './views.ts';

/**
 * `expect [all|any] VIEW [where ...] [by ... AGG ...] : CONDITION` over an experiment's
 * results: the view's tidy table with the lets, after `where` and the aggregation,
 * then the condition on every row. `all` (the default) passes when it holds for every
 * row, `any` when it holds for one; no row left after `where` is a failure (an
 * assertion about nothing says nothing).
 */

export interface ExpectResult {
  output: ExpectOutput;
  pass: boolean;
  /** Rows the condition was checked on. */
  checked: number;
  /**
   * The rows that failed (`all`), or every row (`any`, failing), with the columns that
   * say which run or group each is and the columns the condition reads.
   */
  failing: ColumnTable;
  /** One line: "3 of 6 rows fail", "no row has stale_pages > 0", "all 6 rows pass". */
  summary: string;
}

/** Thrown by the front ends' callers to stop (tslab) once a failed expect is shown. */
export class ExpectFailed extends Error {
  override readonly name = 'ExpectFailed';
}

export function evaluateExpect(
  e: ExperimentRun,
  output: ExpectOutput,
  lets: readonly LetDefinition[] = [],
): ExpectResult {
  if (output.view === 'explore')
    throw new Error('expect explore checks the explorations (kernel/experiment/explorations.ts)');
  const table = queryRows(viewTable(e, output.view, lets), output, output.view);
  const lead = output.by?.length
    ? output.by
    : ['label', ...e.axes.map((a) => a.column), ...(e.runs.length > 1 ? [] : ['seed'])];
  return evaluateExpectRows(table, output, lead);
}

/**
 * The condition of `output` on every row of `table` (already filtered and grouped):
 * the verdict, and the failing rows with the `lead` columns that say which row each
 * is and the columns the condition reads.
 */
export function evaluateExpectRows(
  table: ColumnTable,
  output: ExpectOutput,
  lead: readonly string[],
): ExpectResult {
  const condition = compileExpr(output.condition, table.columnNames(), output.view);
  const holds = (table.objects() as Record<string, unknown>[]).map((r) => truthy(condition(r)));
  const checked = holds.length;
  const passed = holds.filter(Boolean).length;
  const pass = checked > 0 && (output.quantifier === 'any' ? passed > 0 : passed === checked);
  const failingRows =
    output.quantifier === 'any'
      ? table
      : table.filter(aq.escape((r: Record<string, unknown>) => !truthy(condition(r)))).reify();
  const shown = identifying(table, output, lead);
  const failing = selectColumns(pass ? table.slice(0, 0) : failingRows, shown);
  const summary =
    checked === 0
      ? `no row${output.where ? ' matches the where' : ''} in ${output.view}`
      : pass
        ? output.quantifier === 'any'
          ? `${passed} of ${checked} row${checked === 1 ? '' : 's'} pass`
          : `all ${checked} row${checked === 1 ? '' : 's'} pass`
        : output.quantifier === 'any'
          ? `none of ${checked} row${checked === 1 ? '' : 's'} passes`
          : `${checked - passed} of ${checked} row${checked === 1 ? '' : 's'} fail`;
  return { output, pass, checked, failing, summary };
}

/** The columns of a failing row shown: what names it (`lead`) and what the condition reads. */
function identifying(table: ColumnTable, output: ExpectOutput, lead: readonly string[]): string[] {
  const names = table.columnNames();
  const out: string[] = [];
  for (const c of [...lead, ...exprColumns(output.condition)])
    if (names.includes(c) && !out.includes(c)) out.push(c);
  return out;
}
