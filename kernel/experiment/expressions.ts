import type { Expr } from '../../dsl/compile.ts';
import { ExprShapeError, evaluator, exprColumns } from '../../dsl/compile/evaluate.ts';
import type { RowFunction } from '../../dsl/compile/evaluate.ts';
import { ColumnError, requireColumn } from './experiment-table.ts';

/**
 * Expressions (`let`, `where`, `expect`) over the rows of a result table: the language
 * evaluates an Expr as closures (dsl/compile/evaluate.ts, the one evaluator, with the
 * null rules); here it is checked against the table's columns first. Arquero receives
 * the closures through `aq.escape`: nothing turns user text into code.
 */

export { exprColumns, truthy } from '../../dsl/compile/evaluate.ts';
export type { Row, RowFunction } from '../../dsl/compile/evaluate.ts';

/**
 * `e` as a function of a row. `columns`: the columns the rows have; a column the
 * expression names that is not among them throws ColumnError (with did-you-mean),
 * where the table is called `where`.
 */
export function compileExpr(e: Expr, columns: readonly string[], where: string): RowFunction {
  for (const c of exprColumns(e)) requireColumn(columns, c, where);
  try {
    return evaluator(e);
  } catch (err) {
    if (err instanceof ExprShapeError) throw new ColumnError(err.message);
    throw err;
  }
}
