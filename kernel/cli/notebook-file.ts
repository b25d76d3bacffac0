/**
 * An .ipynb file as the command line reads it: its cells and its kernel's language
 * (nbformat 4). `mmulab fmt` formats an mmulab notebook's code cells and `mmulab check`
 * compiles them; the other commands refuse a notebook with a message that says how to
 * run it.
 */
import { isCommandLine } from '../experiment/cell-parts.ts';

export interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

export interface NotebookJson {
  cells: NotebookCell[];
  metadata?: { kernelspec?: { name?: string; language?: string } };
}

/** True if `file` names a notebook rather than a .mmu file. */
export function isNotebookPath(file: string): boolean {
  return file.endsWith('.ipynb');
}

/** A cell's text (nbformat stores it as one string or a list of lines). */
export function cellText(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The language of the notebook's kernel (`mmulab`, `typescript`), or 'unknown'. */
export function notebookLanguage(nb: NotebookJson): string {
  const kernel = nb.metadata?.kernelspec;
  return kernel?.language ?? kernel?.name ?? 'unknown';
}

/**
 * A cell's language lines with its kernel commands (`%help`, `%variant 3`) blanked, so
 * that the compiler's line numbers stay the cell's.
 */
export function languageLines(source: string): string {
  return source
    .split('\n')
    .map((line) => (isCommandLine(line) ? '' : line))
    .join('\n');
}

/** Parse a notebook; throws an Error whose message says why `text` is not one. */
export function parseNotebook(text: string, file: string): NotebookJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${file} is not a notebook: its JSON does not parse (${(e as Error).message}).`,
    );
  }
  const nb = json as Partial<NotebookJson> | null;
  if (nb === null || typeof nb !== 'object' || !Array.isArray(nb.cells)) {
    throw new Error(`${file} is not a notebook: it has no "cells" list.`);
  }
  return nb as NotebookJson;
}

/** Why a command that runs .mmu files does not take a notebook, and what to do instead. */
export function notebookRefusal(command: string, file: string): string {
  return `${command}: '${file}' is a notebook; ${command} takes a .mmu file. Run a notebook in Jupyter (\`mmulab kernel install\`, then \`jupyter nbconvert --to html --execute ${file}\`); \`mmulab check ${file}\` compiles its cells and \`mmulab fmt\` formats them.`;
}
