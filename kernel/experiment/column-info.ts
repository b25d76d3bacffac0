import type { ColumnTable } from 'arquero';
import type { ColumnInfo, ColumnType } from '../../engine/results.ts';

/**
 * The type and unit of every column of the tables the experiment layer makes (tidy
 * tables, derived columns, aggregates). Arquero tables carry no metadata of their own,
 * so each table is registered here when it is made (held weakly: the entry goes with
 * the table). Axis titles, legends, CSV headers and Arrow field metadata read it.
 */

const TABLE_COLUMNS = new WeakMap<ColumnTable, readonly ColumnInfo[]>();

/** Record the columns of `table`, in its column order. */
export function registerColumns(table: ColumnTable, columns: readonly ColumnInfo[]): ColumnTable {
  TABLE_COLUMNS.set(table, columns);
  return table;
}

/**
 * The columns of `table` with their type and unit: as registered, else as its values
 * say (a table made elsewhere: numbers or text, no unit).
 */
export function columnsOf(table: ColumnTable): ColumnInfo[] {
  const known = TABLE_COLUMNS.get(table);
  return table.columnNames().map((name) => {
    const info = known?.find((c) => c.name === name);
    return info ?? { name, type: typeOfValues(table, name) };
  });
}

/** The unit of `name` in `table`, if it has one. */
export function unitOf(table: ColumnTable, name: string): string | undefined {
  return columnsOf(table).find((c) => c.name === name)?.unit;
}

/** What a column's values are: the first non-null value's type (number when all are null). */
function typeOfValues(table: ColumnTable, name: string): ColumnType {
  const values = table.array(name) as ArrayLike<unknown>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    return typeof v === 'string' ? 'text' : typeof v === 'boolean' ? 'boolean' : 'number';
  }
  return 'number';
}

/**
 * `table` with the columns `names` of `from` kept (in the order of `names`), their
 * metadata carried over: what `select` loses.
 */
export function selectColumns(table: ColumnTable, names: readonly string[]): ColumnTable {
  const info = columnsOf(table);
  const selected = table.select(...names);
  return registerColumns(
    selected,
    names.map((n) => info.find((c) => c.name === n) ?? { name: n, type: 'number' }),
  );
}
