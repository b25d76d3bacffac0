import { writeFileSync } from 'node:fs';
import { format } from '../../dsl/format.ts';
import { formatDiagnostic } from '../../dsl/diagnostics.ts';
import type { FmtArgs } from './commands.ts';
import { formatNotebook } from './fmt-notebook.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { readCliFile } from './load.ts';

/**
 * `mmulab fmt FILE... [--check | --write]`: the canonical layout of .mmu files and of
 * the code cells of mmulab notebooks. Every file is looked at, so that --check names
 * all the files to fix at once.
 */
export function fmtCommand(args: FmtArgs, io: CliIo): ExitCode {
  let code: ExitCode = ExitCode.Ok;
  for (const file of args.files) {
    if (fmtFile(file, args, io) !== ExitCode.Ok) code = ExitCode.PlanError;
  }
  return code;
}

function fmtFile(file: string, args: FmtArgs, io: CliIo): ExitCode {
  const { path, text } = readCliFile('mmulab fmt', file, io.cwd);
  const formatted = formatText(file, text, io);
  if (formatted === null) return ExitCode.PlanError;
  if (args.check) {
    if (formatted === text) return ExitCode.Ok;
    io.stderr.write(`${file} is not formatted; run 'mmulab fmt --write ${file}'.\n`);
    return ExitCode.PlanError;
  }
  if (args.write) {
    if (formatted !== text) writeFileSync(path, formatted);
    return ExitCode.Ok;
  }
  io.stdout.write(formatted);
  return ExitCode.Ok;
}

/** The file in canonical layout; null after saying why there is none. */
function formatText(file: string, text: string, io: CliIo): string | null {
  if (file.endsWith('.ipynb')) {
    let r: ReturnType<typeof formatNotebook>;
    try {
      r = formatNotebook(text, file);
    } catch (e) {
      io.stderr.write(`mmulab fmt: ${(e as Error).message}\n`);
      return null;
    }
    if (r.otherLanguage !== undefined) {
      io.stderr.write(
        `mmulab fmt: ${file} is a ${r.otherLanguage} notebook; only mmulab notebooks have cells to format, left as it is.\n`,
      );
      return text;
    }
    const errors = r.diagnostics.filter((d) => d.diagnostic.severity === 'error');
    if (errors.length === 0) return r.text;
    const shown = errors.map(({ cell, source, diagnostic }) =>
      formatDiagnostic(source, { ...diagnostic, file: `${file} [cell ${cell}]` }),
    );
    io.stderr.write(`${shown.join('\n\n')}\n`);
    io.stderr.write(`mmulab fmt: ${file} has syntax errors; fix them before formatting.\n`);
    return null;
  }
  const result = format(text);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return result.text;
  io.stderr.write(
    `${errors.map((d) => formatDiagnostic(text, { ...d, file: d.file ?? file })).join('\n\n')}\n`,
  );
  io.stderr.write(`mmulab fmt: ${file} has syntax errors; fix them before formatting.\n`);
  return null;
}
