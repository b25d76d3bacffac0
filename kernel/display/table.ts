import type { ColumnTable } from 'arquero';
import { provenanceOf } from '../../engine/results.ts';
import { escapeHtml, formatNumber } from '../cli/format.ts';
import { mmulabMetadata, provenanceRecord } from './mime.ts';
import type { MimeBundle, ProvenanceRecord } from './mime.ts';

/**
 * An Arquero table as a notebook output: `text/html` and a fixed-width `text/plain`.
 * We do not use Arquero's `toHTML`: it inserts column names unescaped and pads every
 * number of a column to the same decimals (200.000000 beside 1.234568).
 */

export interface TableBundleOptions {
  /** Shown before the size in the caption (escaped). */
  title?: string;
  /** Rows shown before "… N more rows" (default 20). */
  maxRows?: number;
  /**
   * Provenance of the rows. Default: the provenance of the run that made `table`
   * (`provenanceOf`), if any. A sweep's stacked table has none of its own, so its
   * caller passes one record per plan.
   */
  provenance?: readonly ProvenanceRecord[];
}

export const DEFAULT_MAX_ROWS = 20;
/** Longest cell text, in characters, before it is cut with "…" (keeps payloads bounded). */
const MAX_CELL_HTML = 120;
const MAX_CELL_TEXT = 40;
/** Shown for null, undefined and NaN (the same mark as the command line's tables). */
export const MISSING = '—';

// Inline CSS only: a <style> element would restyle the whole notebook page, and
// GitHub and nbviewer strip classes.
const CSS = {
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

/** The bundle of `table`: its head as HTML and text, and its provenance in metadata. */
export function tableBundle(table: ColumnTable, options: TableBundleOptions = {}): MimeBundle {
  const maxRows = Math.max(0, Math.floor(options.maxRows ?? DEFAULT_MAX_ROWS));
  const names = table.columnNames();
  const total = table.numRows();
  // Only the head is materialised, so a 10 M-row timeline costs no more than 20 rows.
  const rows = table.objects({ limit: maxRows }) as Record<string, unknown>[];
  const numeric = names.map((n) => isNumericColumn(rows, n));
  const more = total - rows.length;
  const caption = [options.title, `${count(total, 'row')} × ${count(names.length, 'column')}`]
    .filter((s): s is string => s !== undefined && s !== '')
    .join(' · ');
  const own = provenanceOf(table);
  const provenance = options.provenance
    ? options.provenance.map((p) => provenanceRecord(p, p.label))
    : own
      ? [provenanceRecord(own)]
      : [];
  return {
    data: {
      'text/plain': textTable(caption, names, rows, numeric, more),
      'text/html': htmlTable(caption, names, rows, numeric, more),
    },
    metadata: mmulabMetadata({ rows: total, columns: names.length }, provenance),
  };
}

/** A column is numeric (right-aligned) when every shown value is a number or missing. */
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

/** "1 row", "1,234 rows". */
function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** One cell as people read it, unescaped and cut to `max` characters. */
export function formatCell(value: unknown, max: number = MAX_CELL_HTML): string {
  let text: string;
  if (value === null || value === undefined) text = MISSING;
  else if (typeof value === 'number') text = formatNumber(value);
  else if (typeof value === 'bigint') text = value.toLocaleString('en-US');
  else if (typeof value === 'string') text = value;
  else if (value instanceof Date)
    text = Number.isNaN(value.getTime()) ? MISSING : value.toISOString();
  else if (typeof value === 'object') text = jsonText(value);
  else text = String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Objects and arrays as JSON; bigints inside them as digits (JSON.stringify throws on them). */
function jsonText(value: object): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    // A cyclic value has no JSON form; its tag still says what it is.
    return Object.prototype.toString.call(value);
  }
}

function htmlTable(
  caption: string,
  names: readonly string[],
  rows: readonly Record<string, unknown>[],
  numeric: readonly boolean[],
  more: number,
): string {
  const align = (c: number): string => `text-align:${numeric[c] ? 'right' : 'left'}`;
  const head = names
    .map((n, c) => `<th style="${CSS.th};${align(c)}">${escapeHtml(n)}</th>`)
    .join('');
  const body = rows.map(
    (r) =>
      `<tr style="${CSS.tr}">${names
        .map((n, c) => `<td style="${CSS.td};${align(c)}">${escapeHtml(formatCell(r[n]))}</td>`)
        .join('')}</tr>`,
  );
  if (more > 0)
    body.push(
      `<tr><td colspan="${Math.max(1, names.length)}" style="${CSS.more}">… ${count(more, 'more row')}</td></tr>`,
    );
  return [
    `<div style="${CSS.wrap}"><table style="${CSS.table}">`,
    `<caption style="${CSS.caption}">${escapeHtml(caption)}</caption>`,
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>`,
    ...body,
    `</tbody></table></div>`,
  ].join('\n');
}

/** The same cells as a fixed-width grid: numbers right-aligned, text left-aligned. */
function textTable(
  caption: string,
  names: readonly string[],
  rows: readonly Record<string, unknown>[],
  numeric: readonly boolean[],
  more: number,
): string {
  const body = rows.map((r) => names.map((n) => formatCell(r[n], MAX_CELL_TEXT)));
  const widths = names.map((n, c) => Math.max(n.length, ...body.map((line) => line[c].length)));
  const pad = (text: string, c: number): string =>
    numeric[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const lines = [
    caption,
    names.map(pad).join('  '),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...body.map((line) => line.map(pad).join('  ')),
  ];
  if (more > 0) lines.push(`… ${count(more, 'more row')}`);
  return lines.map((l) => l.trimEnd()).join('\n');
}
