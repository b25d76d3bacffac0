import type { ColumnTable } from 'arquero';
import { unitFromName } from '../../engine/results.ts';
import { unitOf } from '../experiment/column-info.ts';
import { count, formatCell } from './format.ts';
import { columnNumberStyle } from './number-style.ts';

/**
 * The head of a table as the text of its cells: what the text and the HTML renderer
 * lay out, so both show the same values, alignment and row counts.
 */

export interface CellOptions {
  /** Rows shown; the rest are counted in `more` (default: all). */
  maxRows?: number;
  /** Longest cell, in characters, before it is cut with "…" (default: no limit). */
  maxCell?: number;
}

export interface TableCells {
  names: string[];
  /** What the header shows for each column: its name, and its unit when the name does not say it. */
  headers: string[];
  /** The shown rows, each a list of formatted cells in column order. */
  rows: string[][];
  /** Per column: right-aligned, because every shown value is a number or missing and one is a number. */
  numeric: boolean[];
  /** Rows of the whole table. */
  total: number;
  /** Rows not shown. */
  more: number;
}

export function tableCells(table: ColumnTable, options: CellOptions = {}): TableCells {
  const maxRows = Math.max(0, Math.floor(options.maxRows ?? Infinity));
  const names = table.columnNames();
  const total = table.numRows();
  // Only the head is materialised, so a 10 M-row timeline costs no more than 20 rows.
  const objects = table.objects({ limit: maxRows }) as Record<string, unknown>[];
  // One number style per column, from the values shown (number-style.ts).
  const styles = names.map((n) => columnNumberStyle(objects.map((r) => r[n])));
  const cellText = (value: unknown, c: number): string =>
    formatCell(
      typeof value === 'number' && !Number.isNaN(value) ? styles[c](value) : value,
      options.maxCell,
    );
  return {
    names,
    headers: names.map((n) => columnHeader(table, n)),
    rows: objects.map((r) => names.map((n, c) => cellText(r[n], c))),
    numeric: names.map((n) => isNumericColumn(objects, n)),
    total,
    more: total - objects.length,
  };
}

/**
 * A column's header: its name, which expressions use, then its unit in parentheses
 * unless the name already ends in it (`bandwidth (Gbit/s)`, but `downtime_ms`).
 */
export function columnHeader(table: ColumnTable, name: string): string {
  const unit = unitOf(table, name);
  return unit === undefined || unitFromName(name) === unit ? name : `${name} (${unit})`;
}

/** A column is numeric when every shown value is a number or missing, and one is a number. */
function isNumericColumn(rows: readonly Record<string, unknown>[], name: string): boolean {
  let seen = false;
  for (const r of rows) {
    const v = r[name];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' && typeof v !== 'bigint') return false;
    seen = true;
  }
  return seen;
}

/** "3 rows × 2 columns", after `title` when there is one: a table's caption. */
export function tableCaption(table: ColumnTable, title?: string): string {
  return [title, `${count(table.numRows(), 'row')} × ${count(table.numCols(), 'column')}`]
    .filter((s): s is string => s !== undefined && s !== '')
    .join(' · ');
}
