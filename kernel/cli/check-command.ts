import type { CheckArgs } from './commands.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { checkNotebook } from './check-notebook.ts';
import { isNotebookPath } from './notebook-file.ts';
import { countDiagnostics, formatDiagnostics, loadFile } from './load.ts';
import { countPlans } from '../experiment/plans.ts';
import { describeExperiments } from './plan-count.ts';

/** `mmulab check FILE`: diagnostics on stdout; 1 when any is an error. */
export function checkCommand(args: CheckArgs, io: CliIo): ExitCode {
  if (isNotebookPath(args.file)) return checkNotebook(args.file, io);
  const loaded = loadFile('mmulab check', args.file, io.cwd);
  const { compiled } = loaded;
  if (compiled.diagnostics.length) io.stdout.write(`${formatDiagnostics(loaded)}\n\n`);
  if (compiled.ok) {
    const n = compiled.program.experiments.length;
    io.stdout.write(
      `${loaded.shownPath}: ${countDiagnostics(loaded)}; ${n} experiment(s), ${countPlans(compiled.program)} plan(s).\n`,
    );
    for (const line of describeExperiments(compiled.program, loaded.text, undefined, false))
      io.stdout.write(`${line}\n`);
    return ExitCode.Ok;
  }
  io.stdout.write(`${loaded.shownPath}: ${countDiagnostics(loaded)}.\n`);
  return ExitCode.PlanError;
}
