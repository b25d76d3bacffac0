import type { ColumnTable } from 'arquero';
import { tableCells } from './cells.ts';
import type { CellOptions } from './cells.ts';
import { count } from './format.ts';

/**
 * A table as fixed-width text, for a terminal and for a notebook's `text/plain`: a
 * header, a rule, one line per row; numbers right-aligned in one style per column,
 * text left-aligned, values as `tableCells` writes them. Unlike Arquero's `print()`,
 * strings are not quoted and there is no index column. A table wider than `width` is
 * printed in blocks of columns, one under the other, each repeating the key columns
 * (the run's label) so every line can still be read alone; the columns keep their
 * order, so the headline columns a table leads with are in the first block.
 */

export interface TextTableOptions extends CellOptions {
  /** A line above the header. */
  caption?: string;
  /** The widest line, in characters; a wider table is printed in blocks (default: no limit). */
  width?: number;
  /**
   * The columns every block repeats (default: `label` if the table has it, else its
   * first column).
   */
  keys?: readonly string[];
}

/** The width of a terminal table: the terminal's, kept between 80 and 120 columns. */
export function terminalWidth(columns: number | undefined): number {
  return Math.min(120, Math.max(80, columns ?? 120));
}

/** Space between two columns. */
const GAP = '  ';

export function textTable(table: ColumnTable, options: TextTableOptions = {}): string {
  const { names, headers, rows, numeric, more } = tableCells(table, options);
  const widths = headers.map((n, c) => Math.max(n.length, ...rows.map((line) => line[c].length)));
  const pad = (text: string, c: number): string =>
    numeric[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const block = (columns: readonly number[]): string[] => [
    columns.map((c) => pad(headers[c], c)).join(GAP),
    columns.map((c) => '─'.repeat(widths[c])).join(GAP),
    ...rows.map((line) => columns.map((c) => pad(line[c], c)).join(GAP)),
  ];
  const keyNames = options.keys ?? (names.includes('label') ? ['label'] : names.slice(0, 1));
  const blocks = columnBlocks(widths, keysOf(names, keyNames), options.width ?? Infinity);
  const lines = [
    ...(options.caption === undefined ? [] : [options.caption]),
    ...blocks.flatMap((columns, i) => [...(i > 0 ? [''] : []), ...block(columns)]),
  ];
  if (more > 0) lines.push(`… ${count(more, 'more row')}`);
  return lines.map((l) => l.trimEnd()).join('\n');
}

/** The indices of the key columns the table has. */
function keysOf(names: readonly string[], keys: readonly string[]): number[] {
  return keys.map((k) => names.indexOf(k)).filter((i) => i >= 0);
}

/**
 * The columns of each block, in order: all of them when they fit in `width`; else as
 * many as fit after the keys, each block led by the keys. A column wider than the
 * space left after the keys gets a block of its own.
 */
function columnBlocks(
  widths: readonly number[],
  keys: readonly number[],
  width: number,
): number[][] {
  const all = widths.map((_w, c) => c);
  const lineWidth = (cols: readonly number[]): number =>
    cols.reduce((sum, c) => sum + widths[c], 0) + GAP.length * Math.max(0, cols.length - 1);
  if (lineWidth(all) <= width) return [all];
  const blocks: number[][] = [];
  let current: number[] = [];
  for (const c of all.filter((i) => !keys.includes(i))) {
    if (current.length > 0 && lineWidth([...keys, ...current, c]) > width) {
      blocks.push([...keys, ...current]);
      current = [];
    }
    current.push(c);
  }
  if (current.length > 0 || blocks.length === 0) blocks.push([...keys, ...current]);
  return blocks;
}

/**
 * A text table that fits in `width` columns, its blocks repeating `keys` (the run
 * label, the time); `textTable` with those options.
 */
export function fittedTextTable(
  table: ColumnTable,
  width: number,
  keys: readonly string[] = [],
): string {
  return textTable(table, { width, keys });
}
