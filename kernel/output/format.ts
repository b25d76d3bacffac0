import { flagWord } from '../../dsl/compile/experiment-types.ts';

/**
 * Values as people read them, the same in a terminal, a report and a notebook: one
 * number style, one mark for a missing value, one progress bar, HTML escaping, and
 * file names from run labels.
 */

/** Shown for null, undefined and NaN, in every table of every front end. */
export const MISSING = '—';

/**
 * A number as people read it: thousands separators and at most 3 decimals
 * (2,870.836; 270.5); below 1, three significant digits (0.000123). Null, undefined
 * and NaN are "—".
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return MISSING;
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

/**
 * One table cell as people read it, unescaped, cut to `max` characters with "…":
 * numbers by `formatNumber`, flags as the language writes them (`on`, `off`), objects
 * and arrays as JSON, dates in ISO 8601.
 */
export function formatCell(value: unknown, max = Infinity): string {
  let text: string;
  if (value === null || value === undefined) text = MISSING;
  else if (typeof value === 'number') text = formatNumber(value);
  else if (typeof value === 'bigint') text = value.toLocaleString('en-US');
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = flagWord(value);
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

/** A progress bar of `width` cells, `fraction` (0..1) of them full: `██████░░░░`. */
export function textBar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** "1 row", "1,234 rows". */
export function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
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
