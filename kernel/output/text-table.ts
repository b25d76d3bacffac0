import type { ColumnTable } from 'arquero';
import { selectColumns } from '../experiment/column-info.ts';
import { tableCells } from './cells.ts';
import type { CellOptions } from './cells.ts';
import { count } from './format.ts';

/**
 * A table as fixed-width text, for a terminal and for a notebook's `text/plain`: a
 * header, a rule, one line per row; numbers right-aligned, text left-aligned, values
 * as `formatCell` writes them. Unlike Arquero's `print()`, strings are not quoted and
 * there is no index column.
 */

export interface TextTableOptions extends CellOptions {
  /** A line above the header. */
  caption?: string;
}

export function textTable(table: ColumnTable, options: TextTableOptions = {}): string {
  const { headers, rows, numeric, more } = tableCells(table, options);
  const widths = headers.map((n, c) => Math.max(n.length, ...rows.map((line) => line[c].length)));
  const pad = (text: string, c: number): string =>
    numeric[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const lines = [
    ...(options.caption === undefined ? [] : [options.caption]),
    headers.map(pad).join('  '),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...rows.map((line) => line.map(pad).join('  ')),
  ];
  if (more > 0) lines.push(`… ${count(more, 'more row')}`);
  return lines.map((l) => l.trimEnd()).join('\n');
}

/**
 * A text table that fits in `width` columns: when the table is wider, its columns
 * are printed in blocks, one after the other, each block repeating the `keys`
 * columns (the run label, the time) so every line can still be read alone.
 */
export function fittedTextTable(
  table: ColumnTable,
  width: number,
  keys: readonly string[] = [],
): string {
  const full = textTable(table);
  const ruleWidth = (t: string): number => t.split('\n')[1]?.length ?? 0;
  if (!Number.isFinite(width) || ruleWidth(full) <= width) return full;
  const names = table.columnNames();
  const keyCols = keys.filter((k) => names.includes(k));
  const rest = names.filter((n) => !keyCols.includes(n));
  const widthOf = (cols: string[]): number =>
    cols.length ? ruleWidth(textTable(selectColumns(table, cols))) : 0;
  const keyWidth = widthOf(keyCols);
  const blocks: string[][] = [];
  let current: string[] = [];
  let used = keyWidth;
  for (const name of rest) {
    const w = widthOf([name]) + (used > 0 ? 2 : 0);
    if (current.length > 0 && used + w > width) {
      blocks.push(current);
      current = [];
      used = keyWidth;
    }
    current.push(name);
    used += widthOf([name]) + (used > 0 ? 2 : 0);
  }
  if (current.length) blocks.push(current);
  return blocks.map((cols) => textTable(selectColumns(table, [...keyCols, ...cols]))).join('\n\n');
}
