import type { ColumnTable } from 'arquero';
import type { TableFileFormat } from '../../dsl/compile/outputs.ts';
import { tableCells } from './cells.ts';

/**
 * A table for a paper: LaTeX with booktabs rules (`\toprule`, `\midrule`, `\bottomrule`;
 * the document needs `\usepackage{booktabs}`) or a GitHub-flavoured Markdown table. The
 * cells are the ones every front end shows (cells.ts: the same numbers, the units in the
 * header), numbers right-aligned. The provenance leads as comments (`% key: value`, or an
 * HTML comment in Markdown), so the file says which runs it came from.
 */
export function paperTable(
  table: ColumnTable,
  format: TableFileFormat,
  provenance: readonly [string, string][],
): string {
  return format === 'latex' ? latexTable(table, provenance) : markdownTable(table, provenance);
}

/** LaTeX's special characters, each as text mode writes it. */
const LATEX_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '—': '---',
  '±': '$\\pm$',
  µ: '$\\mu$',
  '×': '$\\times$',
};

/** `text` safe in a LaTeX table cell. */
export function latexEscape(text: string): string {
  return text.replace(/[\\&%$#_{}~^—±µ×]/g, (c) => LATEX_ESCAPES[c] ?? c);
}

function latexTable(table: ColumnTable, provenance: readonly [string, string][]): string {
  const { headers, rows, numeric } = tableCells(table);
  const line = (cells: readonly string[]): string =>
    `${cells.map((c) => latexEscape(c)).join(' & ')} \\\\`;
  return [
    ...provenance.map(([k, v]) => `% ${k}: ${v.replace(/[\r\n]/g, ' ')}`),
    '% needs \\usepackage{booktabs}',
    `\\begin{tabular}{${numeric.map((n) => (n ? 'r' : 'l')).join('')}}`,
    '\\toprule',
    line(headers),
    '\\midrule',
    ...rows.map(line),
    '\\bottomrule',
    '\\end{tabular}',
    '',
  ].join('\n');
}

/** `|` would end a Markdown cell; a line break would end the row. */
function markdownCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

function markdownTable(table: ColumnTable, provenance: readonly [string, string][]): string {
  const { headers, rows, numeric } = tableCells(table);
  const line = (cells: readonly string[]): string => `| ${cells.map(markdownCell).join(' | ')} |`;
  // `--` inside an HTML comment ends it early in some readers.
  const comment = (s: string): string => s.replace(/--/g, '- -').replace(/[\r\n]/g, ' ');
  return [
    '<!--',
    ...provenance.map(([k, v]) => `${comment(k)}: ${comment(v)}`),
    '-->',
    '',
    line(headers),
    `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map(line),
    '',
  ].join('\n');
}
