import { compile, diagnosticRenderer } from '../../dsl/compile.ts';
import type { Scope } from '../../dsl/compile.ts';
import { shownDiagnostics } from '../../dsl/diagnostics.ts';
import { nodeFileLoaderIn, shownPath } from '../../dsl/node-loader.ts';
import { countPlans } from '../experiment/plans.ts';
import { readCliFile } from './load.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { cellText, languageLines, notebookLanguage, parseNotebook } from './notebook-file.ts';

/**
 * `mmulab check NOTEBOOK.ipynb`: compile an mmulab notebook's code cells in order, each
 * with the definitions, lets and runs of the cells above it, as the kernel does when the
 * notebook runs top to bottom (kernel commands are left out). Diagnostics name their
 * cell (`lab.ipynb [cell 7]:3:5`), counted as Jupyter shows cells, Markdown included.
 */
export function checkNotebook(file: string, io: CliIo): ExitCode {
  const { path, text } = readCliFile('mmulab check', file, io.cwd);
  const shown = shownPath(io.cwd, path);
  let nb: ReturnType<typeof parseNotebook>;
  try {
    nb = parseNotebook(text, shown);
  } catch (e) {
    io.stdout.write(`${(e as Error).message}\n`);
    return ExitCode.PlanError;
  }
  const language = notebookLanguage(nb);
  if (language !== 'mmulab') {
    io.stdout.write(
      `${shown}: a ${language} notebook; mmulab check compiles the cells of mmulab notebooks only.\n`,
    );
    return ExitCode.Ok;
  }
  const load = nodeFileLoaderIn(io.cwd);
  let scope: Scope | undefined;
  let errors = 0;
  let warnings = 0;
  let codeCells = 0;
  let experiments = 0;
  let plans = 0;
  const rendered: string[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    codeCells++;
    const source = languageLines(cellText(cell));
    const name = `${shown} [cell ${i + 1}]`;
    const r = compile(source, { file: name, load, scope });
    const { shown: first, omitted } = shownDiagnostics(r.diagnostics);
    // A diagnostic in a `use`d file is shown in that file's text.
    rendered.push(...first.map(diagnosticRenderer(r, source, name)), ...omitted);
    for (const d of r.diagnostics) {
      if (d.severity === 'error') errors++;
      else warnings++;
    }
    experiments += r.program.experiments.length;
    plans += countPlans(r.program);
    scope = r.scope;
  });
  if (rendered.length) io.stdout.write(`${rendered.join('\n\n')}\n\n`);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  io.stdout.write(
    `${shown}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}; ${plural(codeCells, 'code cell')}, ${experiments} experiment(s), ${plans} plan(s).\n`,
  );
  return errors > 0 ? ExitCode.PlanError : ExitCode.Ok;
}
