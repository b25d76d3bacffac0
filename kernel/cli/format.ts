import type { ColumnTable } from 'arquero';
import { formatTextTable } from '../text-table.ts';

/**
 * Formatting shared by the command's outputs: numbers for people, HTML escaping,
 * file names from run labels, and terminal tables that fit the screen.
 */

/**
 * A number as people read it: thousands separators and at most 3 decimals
 * (2,870.836); below 1, three significant digits (0.000123). Null, undefined and
 * NaN are "—".
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON that can sit inside a `<script>` element: `<`, `>` and `&` are escaped so no
 * value can close the element or open a comment (HTML 4.12.1.3, restrictions for
 * contents of script elements); U+2028/9 are escaped for pre-ES2019 parsers.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A file-name-safe form of a run label: `web/ring/qemu/seed=1` -> `web_ring_qemu_seed-1`. */
export function labelSlug(label: string): string {
  const slug = label
    .replace(/\//g, '_')
    .replace(/=/g, '-')
    .replace(/[^A-Za-z0-9_.-]/g, '');
  return slug || 'run';
}

/**
 * A terminal table that fits in `width` columns: when the table is wider, its
 * columns are printed in blocks, one after the other, each block repeating the
 * `keys` columns (the run label, the time) so every line can still be read alone.
 */
export function formatWideTable(
  table: ColumnTable,
  width: number,
  keys: readonly string[] = [],
): string {
  const full = formatTextTable(table);
  const ruleWidth = (t: string): number => t.split('\n')[1]?.length ?? 0;
  if (!Number.isFinite(width) || ruleWidth(full) <= width) return full;
  const names = table.columnNames();
  const keyCols = keys.filter((k) => names.includes(k));
  const rest = names.filter((n) => !keyCols.includes(n));
  const widthOf = (cols: string[]): number =>
    cols.length ? ruleWidth(formatTextTable(table.select(cols))) : 0;
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
  return blocks.map((cols) => formatTextTable(table.select([...keyCols, ...cols]))).join('\n\n');
}
