import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from '../../dsl/format.ts';
import { formatDiagnostic } from '../../dsl/diagnostics.ts';
import type { FmtArgs } from './commands.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { UsageError } from './args.ts';

/** `mmulab fmt FILE [--check | --write]`: the canonical layout of a file. */
export function fmtCommand(args: FmtArgs, io: CliIo): ExitCode {
  const path = resolve(io.cwd, args.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(
      `mmulab fmt: cannot read '${args.file}' (looked for ${path}). Check the path and retry.`,
    );
  }
  const result = format(text);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    io.stderr.write(
      `${errors.map((d) => formatDiagnostic(text, { ...d, file: d.file ?? args.file })).join('\n\n')}\n`,
    );
    io.stderr.write(`mmulab fmt: ${args.file} has syntax errors; fix them before formatting.\n`);
    return ExitCode.PlanError;
  }
  if (args.check) {
    if (result.text === text) return ExitCode.Ok;
    io.stderr.write(`${args.file} is not formatted; run 'mmulab fmt --write ${args.file}'.\n`);
    return ExitCode.PlanError;
  }
  if (args.write) {
    if (result.text !== text) writeFileSync(path, result.text);
    return ExitCode.Ok;
  }
  io.stdout.write(result.text);
  return ExitCode.Ok;
}
