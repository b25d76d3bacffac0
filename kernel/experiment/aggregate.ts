import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { Aggregate, RowQuery } from '../../dsl/compile.ts';
import type { ColumnInfo } from '../../engine/results.ts';
import { columnsOf, registerColumns } from './column-info.ts';
import { ColumnError, requireColumn } from './experiment-table.ts';
import { compileExpr, truthy } from './expressions.ts';
import { studentT975 } from './student-t.ts';

const { op } = aq;

/** What `op.mean('x')` and its kin return (see the cast at `rollup`). */
type AggregateOp = unknown;
type ExprObject = Parameters<ColumnTable['rollup']>[0];

/**
 * `where`, `by` and the aggregates of a `table`, `expect` or plot, with Arquero's
 * filter, groupby and rollup. Aggregates skip missing values (null, NaN: a failed
 * migration's downtime), as Arquero's ops do; `n` counts rows. The standard
 * deviation and variance are the sample's (n − 1); `se` = sd/√n and `ci95` =
 * t(0.975, n − 1)·sd/√n (the half-width of the 95 % interval of the mean), with n the
 * values present. A group with fewer than two values has no sd, se or ci95 (null).
 * Groups come in the order their first row has in the table.
 */

/** The rows of `table` for which `where` is true; `name` is the table, for messages. */
export function whereRows(table: ColumnTable, where: RowQuery['where'], name: string): ColumnTable {
  if (!where) return table;
  const info = columnsOf(table);
  const keep = compileExpr(where, table.columnNames(), name);
  return registerColumns(
    table.filter(aq.escape((row: Record<string, unknown>) => truthy(keep(row)))).reify(),
    info,
  );
}

/** The whole query: `where`, then, when it has `by` or aggregates, the grouped table. */
export function queryRows(table: ColumnTable, q: RowQuery, name: string): ColumnTable {
  const kept = whereRows(table, q.where, name);
  if (!q.by?.length && !q.aggregates?.length) return kept;
  const aggregates = q.aggregates?.length
    ? q.aggregates
    : [{ op: 'n', name: 'n', span: { line: 0, column: 0, offset: 0, length: 0 } } as Aggregate];
  return aggregateRows(kept, q.by ?? [], aggregates, name);
}

/** Grouped by `by`, one column per aggregate (named by it), led by the `by` columns. */
export function aggregateRows(
  table: ColumnTable,
  by: readonly string[],
  aggregates: readonly Aggregate[],
  name: string,
): ColumnTable {
  const info = columnsOf(table);
  const names = table.columnNames();
  for (const c of by) requireColumn(names, c, name);
  const spec: Record<string, AggregateOp> = {};
  const finish: { name: string; sd: string; n: string; ci: boolean }[] = [];
  const out: ColumnInfo[] = by.map((c) => info.find((k) => k.name === c)!);
  aggregates.forEach((a, k) => {
    if (a.op === 'n') {
      spec[a.name] = op.count();
      out.push({ name: a.name, type: 'number' });
      return;
    }
    requireColumn(names, a.column, name);
    const col = info.find((c) => c.name === a.column)!;
    if (col.type !== 'number')
      throw new ColumnError(
        `Cannot take the ${a.op === 'percentile' ? `p${a.p}` : a.op} of '${a.column}': it holds ${col.type}. Aggregate a number column, or group by this one (by ${a.column}).`,
      );
    const unit = a.op === 'var' && col.unit !== undefined ? `${col.unit}²` : col.unit;
    out.push({ name: a.name, type: 'number', ...(unit === undefined ? {} : { unit }) });
    switch (a.op) {
      case 'percentile':
        spec[a.name] = op.quantile(a.column, a.p / 100);
        return;
      case 'se':
      case 'ci95': {
        const sd = `__sd_${k}`;
        const n = `__n_${k}`;
        spec[sd] = op.stdev(a.column);
        spec[n] = op.valid(a.column);
        finish.push({ name: a.name, sd, n, ci: a.op === 'ci95' });
        return;
      }
      default:
        spec[a.name] = ROLLUP[a.op](a.column);
    }
  });
  const grouped = by.length ? table.groupby(...by) : table;
  // Arquero's op.* called with a column name make the aggregate descriptors rollup
  // takes (its typings call them numbers and rollup's parameter functions or strings).
  let rolled = grouped.rollup(spec as unknown as ExprObject).ungroup();
  for (const f of finish) {
    rolled = rolled.derive({
      [f.name]: aq.escape((row: Record<string, unknown>) => spread(row[f.sd], row[f.n], f.ci)),
    });
  }
  // Arquero leaves an aggregate of no values undefined: null, as every missing cell.
  const plain = rolled.select(...out.map((c) => c.name));
  const cleaned = plain.derive(
    Object.fromEntries(
      out
        .filter((c) => !by.includes(c.name))
        .map((c) => [
          c.name,
          aq.escape((row: Record<string, unknown>) => missingAsNull(row[c.name])),
        ]),
    ),
  );
  return registerColumns(cleaned, out);
}

const ROLLUP: Record<
  Exclude<Aggregate['op'], 'n' | 'percentile' | 'se' | 'ci95'>,
  (column: string) => AggregateOp
> = {
  mean: (c) => op.mean(c),
  median: (c) => op.median(c),
  stdev: (c) => op.stdev(c),
  var: (c) => op.variance(c),
  min: (c) => op.min(c),
  max: (c) => op.max(c),
  sum: (c) => op.sum(c),
};

function missingAsNull(v: unknown): number | null {
  return typeof v === 'number' && !Number.isNaN(v) ? v : null;
}

/** sd/√n, times t(0.975, n − 1) for the 95 % interval; null with fewer than two values. */
export function spread(sd: unknown, n: unknown, ci95: boolean): number | null {
  if (typeof sd !== 'number' || Number.isNaN(sd) || typeof n !== 'number' || n < 2) return null;
  const se = sd / Math.sqrt(n);
  return ci95 ? studentT975(n - 1) * se : se;
}
