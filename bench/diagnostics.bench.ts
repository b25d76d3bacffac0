/**
 * `mmulab check` on a file full of errors: a 340 KB file of `vm a { vcpus 4 }` lines,
 * an error on every line (20,000). Compiling and rendering the shown diagnostics (the
 * first 20 and a count) once took 25-50 s, quadratic in the errors; goal: a few
 * seconds, growing linearly. Printed, not asserted.
 */
import { compile, diagnosticRenderer } from '../dsl/compile.ts';
import { shownDiagnostics } from '../dsl/diagnostics.ts';
import { row, fmt, timeMs } from './util.ts';

for (const errors of [5_000, 20_000]) {
  const text = 'vm a { vcpus 4 }\n'.repeat(errors);
  let shown = 0;
  const ms = timeMs(() => {
    const result = compile(text, { file: 'many.mmu' });
    const render = diagnosticRenderer(result, text, 'many.mmu');
    shown = shownDiagnostics(result.diagnostics).shown.map(render).length;
  });
  row(
    `check of ${errors.toLocaleString('en')} errors (${fmt(text.length / 1024, 0)} KB), ${shown} shown`,
    `${fmt(ms / 1000, 2)} s`,
  );
}
