import type { ColumnTable } from 'arquero';
import { tableCells } from './cells.ts';
import type { CellOptions } from './cells.ts';
import { count, escapeHtml } from './format.ts';

/**
 * A table as HTML, for the report and for a notebook's `text/html`: escaped names and
 * cells, values as `tableCells` writes them (one number style per column, as the text
 * table), numbers right-aligned. We do not use Arquero's `toHTML`: it inserts column
 * names unescaped and pads a column's numbers to its longest decimals (200.000000 beside 1.234568).
 *
 * Two looks of the same markup: `inline` styles every element (a notebook output: a
 * <style> element would restyle the whole notebook page, and GitHub and nbviewer strip
 * classes), `classes` leaves the look to TABLE_STYLESHEET on the page (the report).
 */

export interface HtmlTableOptions extends CellOptions {
  /** A caption above the table (escaped). */
  caption?: string;
  /** Default 'inline'. */
  look?: 'inline' | 'classes';
}

/** The rules a page holding `classes` tables carries once. */
export const TABLE_STYLESHEET = `.table-wrap { overflow: auto; max-height: 32rem; border: 1px solid #e4e4e4; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #eee; white-space: nowrap; }
th { position: sticky; top: 0; background: #f7f7f7; text-align: left; }
td.num, th.num { text-align: right; }
td.more { color: #666; font-style: italic; }`;

/** The attributes of each element, per look (with their leading space). */
interface Look {
  wrap: string;
  table: string;
  caption: string;
  /** A header or data cell; `numeric`: right-aligned. */
  cell(kind: 'th' | 'td', numeric: boolean): string;
  row: string;
  more: string;
}

const INLINE_CSS = {
  wrap: 'overflow-x:auto;max-width:100%',
  // white-space is inherited, so cells stay on one line without a style each.
  table:
    'border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:12px;margin:0;white-space:nowrap',
  caption: 'caption-side:top;text-align:left;padding:0 0 4px 0;color:#555;font-style:normal',
  th: 'padding:2px 6px;border-bottom:1px solid #999;font-weight:600',
  // With collapsed borders a row's border draws under every cell: one style per row.
  tr: 'border-bottom:1px solid #e4e4e4',
  td: 'padding:1px 6px',
  more: 'padding:2px 6px;color:#666;font-style:italic;text-align:left',
};

const LOOKS: Record<'inline' | 'classes', Look> = {
  inline: {
    wrap: ` style="${INLINE_CSS.wrap}"`,
    table: ` style="${INLINE_CSS.table}"`,
    caption: ` style="${INLINE_CSS.caption}"`,
    cell: (kind, numeric) =>
      ` style="${INLINE_CSS[kind]};text-align:${numeric ? 'right' : 'left'}"`,
    row: ` style="${INLINE_CSS.tr}"`,
    more: ` style="${INLINE_CSS.more}"`,
  },
  classes: {
    wrap: ' class="table-wrap"',
    table: '',
    caption: '',
    cell: (_kind, numeric) => (numeric ? ' class="num"' : ''),
    row: '',
    more: ' class="more"',
  },
};

export function htmlTable(table: ColumnTable, options: HtmlTableOptions = {}): string {
  const look = LOOKS[options.look ?? 'inline'];
  const { names, headers, rows, numeric, more } = tableCells(table, options);
  const head = headers.map((n, c) => `<th${look.cell('th', numeric[c])}>${escapeHtml(n)}</th>`);
  const body = rows.map(
    (line) =>
      `<tr${look.row}>${line.map((text, c) => `<td${look.cell('td', numeric[c])}>${escapeHtml(text)}</td>`).join('')}</tr>`,
  );
  if (more > 0)
    body.push(
      `<tr><td colspan="${Math.max(1, names.length)}"${look.more}>… ${count(more, 'more row')}</td></tr>`,
    );
  return [
    `<div${look.wrap}><table${look.table}>`,
    ...(options.caption === undefined
      ? []
      : [`<caption${look.caption}>${escapeHtml(options.caption)}</caption>`]),
    `<thead><tr>${head.join('')}</tr></thead>`,
    `<tbody>`,
    ...body,
    `</tbody></table></div>`,
  ].join('\n');
}
