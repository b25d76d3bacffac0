import { canonicalJson, planHash } from '../../engine/results.ts';
import { indexedPlans } from '../experiment/plans.ts';
import type { PlanArgs } from './commands.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { formatDiagnostics, loadFile } from './load.ts';

/**
 * `mmulab plan FILE`: the plans a run would run, numbered as exports number them, with
 * the hash every export records; `--json` prints each plan exactly as it is hashed.
 */
export function planCommand(args: PlanArgs, io: CliIo): ExitCode {
  const loaded = loadFile('mmulab plan', args.file, io.cwd, args.variant);
  const { compiled } = loaded;
  if (compiled.diagnostics.length) io.stderr.write(`${formatDiagnostics(loaded)}\n\n`);
  if (!compiled.ok) {
    io.stderr.write(`${loaded.shownPath}: no plans; fix the errors above.\n`);
    return ExitCode.PlanError;
  }
  for (const { index, label, plan } of indexedPlans(compiled.program, args.seed)) {
    const hash = planHash(plan);
    io.stdout.write(
      args.json
        ? `{"plan_index":${index},"label":${JSON.stringify(label)},"plan_hash":"${hash}","plan":${canonicalJson(plan)}}\n`
        : `${index}\t${hash}\t${label}\n`,
    );
  }
  return ExitCode.Ok;
}
