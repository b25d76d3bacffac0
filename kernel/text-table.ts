import type { ColumnTable } from 'arquero';

/** Options of `formatTextTable`. */
export interface TextTableOptions {
  /** Significant decimals for non-integer numbers (default 3). */
  decimals?: number;
  /** Text for null / undefined / NaN cells (default "—"). */
  missing?: string;
}

/**
 * Render an Arquero table for a terminal: a header, a rule, one line per row; numbers
 * right-aligned with a fixed number of decimals, text left-aligned. Unlike Arquero's
 * `print()`, strings are not quoted and there is no index column.
 */
export function formatTextTable(table: ColumnTable, options: TextTableOptions = {}): string {
  const decimals = options.decimals ?? 3;
  const missing = options.missing ?? '—';
  const names = table.columnNames();
  const rows = table.objects() as Record<string, unknown>[];
  const numeric = names.map((name) =>
    rows.every((r) => r[name] === null || r[name] === undefined || typeof r[name] === 'number'),
  );
  const cell = (v: unknown): string => {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return missing;
    if (typeof v === 'number')
      return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(decimals);
    return String(v);
  };
  const body = rows.map((r) => names.map((n) => cell(r[n])));
  const widths = names.map((n, c) => Math.max(n.length, ...body.map((line) => line[c].length)));
  const pad = (text: string, c: number): string =>
    numeric[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const lines = [
    names.map((n, c) => pad(n, c)).join('  '),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...body.map((line) => line.map((text, c) => pad(text, c)).join('  ')),
  ];
  return lines.map((l) => l.trimEnd()).join('\n');
}
