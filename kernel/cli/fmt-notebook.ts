import { format } from '../../dsl/format.ts';
import type { Diagnostic } from '../../dsl/diagnostics.ts';
import { isCommandLine } from '../experiment/cell-parts.ts';
import { cellText, notebookLanguage, parseNotebook } from './notebook-file.ts';

/** A syntax error in one code cell of a notebook, with the cell's text to show it in. */
export interface CellDiagnostic {
  /** 1-based, counting every cell (Markdown too), as Jupyter shows them. */
  cell: number;
  source: string;
  diagnostic: Diagnostic;
}

/** The notebook in canonical layout, or why not. */
export interface NotebookFormatResult {
  text: string;
  diagnostics: CellDiagnostic[];
  /** The kernel's language when it is not mmulab: then nothing was formatted. */
  otherLanguage?: string;
}

/**
 * An mmulab notebook (.ipynb) with every code cell in canonical layout: the language
 * lines between kernel commands are formatted as `mmulab fmt` formats a file, kernel
 * command lines and Markdown cells stay as written. The JSON is rewritten only if a
 * cell changed (then as Jupyter writes it: one-space indent, a final newline), so a
 * formatted notebook's bytes never move. A notebook of another kernel (tslab's
 * TypeScript) is left as it is. Throws an Error with a reader's message for a file
 * that is not a notebook.
 */
export function formatNotebook(text: string, file: string): NotebookFormatResult {
  const nb = parseNotebook(text, file);
  const language = notebookLanguage(nb);
  if (language !== 'mmulab') return { text, diagnostics: [], otherLanguage: language };
  const diagnostics: CellDiagnostic[] = [];
  let changed = false;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    const source = cellText(cell);
    const r = formatCell(source);
    for (const d of r.diagnostics) diagnostics.push({ cell: i + 1, source, diagnostic: d });
    if (r.diagnostics.length === 0 && r.text !== source) {
      cell.source = Array.isArray(cell.source) ? sourceLines(r.text) : r.text;
      changed = true;
    }
  });
  if (diagnostics.length > 0 || !changed) return { text, diagnostics };
  return { text: `${JSON.stringify(nb, null, 1)}\n`, diagnostics };
}

/**
 * One cell: each run of language lines formatted on its own (a kernel command ends a
 * run, as it does when the kernel compiles the cell), with the blank lines around it
 * and the cell's own final newline, or its absence, kept.
 */
function formatCell(source: string): { text: string; diagnostics: Diagnostic[] } {
  const lines = source.split('\n');
  const out: string[] = [];
  const diagnostics: Diagnostic[] = [];
  let i = 0;
  while (i < lines.length) {
    if (isCommandLine(lines[i])) {
      out.push(lines[i++]);
      continue;
    }
    const from = i;
    while (i < lines.length && !isCommandLine(lines[i])) i++;
    let lo = from;
    let hi = i;
    while (lo < hi && lines[lo].trim() === '') out.push(lines[lo++]);
    while (hi > lo && lines[hi - 1].trim() === '') hi--;
    if (lo < hi) {
      const r = format(`${lines.slice(lo, hi).join('\n')}\n`);
      // The run's line numbers are the cell's, shifted by the lines before it.
      for (const d of r.diagnostics) diagnostics.push({ ...d, line: d.line + lo });
      out.push(...r.text.replace(/\n$/, '').split('\n'));
    }
    for (let k = hi; k < i; k++) out.push(lines[k]);
  }
  return { text: out.join('\n'), diagnostics };
}

/** nbformat's multi-line source: one string per line, each but the last ending in \n. */
function sourceLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((l) => l !== '');
}
