import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { LetDefinition } from '../../dsl/compile.ts';
import { unitFromName } from '../../engine/results.ts';
import { columnsOf, registerColumns } from './column-info.ts';
import { compileExpr, exprColumns } from './expressions.ts';

/**
 * `let NAME = EXPR`: derived columns, added with Arquero's `derive` and a compiled
 * closure per let (expressions.ts). A let is added to every table that has the
 * columns it reads (a let over summary columns does not appear in the timeline); lets
 * come in dependency order, so one may use an earlier one. A derived column's unit is
 * what its name says (`fault_us` is in µs), as for result columns.
 */
export function applyLets(table: ColumnTable, lets: readonly LetDefinition[]): ColumnTable {
  let out = table;
  for (const l of lets) {
    const names = out.columnNames();
    if (names.includes(l.name)) continue;
    if (!exprColumns(l.expr).every((c) => names.includes(c))) continue;
    const fn = compileExpr(l.expr, names, 'of the let');
    const info = columnsOf(out);
    out = out.derive({ [l.name]: aq.escape(fn) });
    const derived = columnsOf(out).find((c) => c.name === l.name)!;
    const unit = unitFromName(l.name);
    registerColumns(out, [...info, { ...derived, ...(unit === undefined ? {} : { unit }) }]);
  }
  return out;
}
