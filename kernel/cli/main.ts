import { closest } from '../../dsl/diagnostics.ts';
import { UsageError } from './args.ts';
import {
  CHECK_HELP,
  FIGURE_HELP,
  FMT_HELP,
  KERNEL_HELP,
  MAIN_HELP,
  MERGE_HELP,
  PLAN_HELP,
  RUN_HELP,
  parseCheckArgs,
  parseFigureArgs,
  parseFmtArgs,
  parseKernelArgs,
  parseMergeArgs,
  parsePlanArgs,
  parseRunArgs,
} from './commands.ts';
import { ExitCode, processIo } from './io.ts';
import type { CliIo } from './io.ts';

/**
 * The `mmulab` command: parses the command line, turns usage errors into exit code 2
 * with a message that says what was wrong and how to fix it, and only then imports
 * the command (the language and the engine take a while to load). bin/mmulab.js
 * loads this file through tsx and calls `main`.
 */

const HELP: Readonly<Record<string, string>> = {
  run: RUN_HELP,
  check: CHECK_HELP,
  plan: PLAN_HELP,
  figure: FIGURE_HELP,
  fmt: FMT_HELP,
  merge: MERGE_HELP,
  kernel: KERNEL_HELP,
};

/** Run the command line `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${e.message}\n`);
      return ExitCode.Usage;
    }
    throw e;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    // Help is shown, but a command line without a command is still a usage error.
    io.stderr.write(`${MAIN_HELP}\n`);
    return ExitCode.Usage;
  }
  if (first === '-h' || first === '--help') return help(io, MAIN_HELP);
  if (first === '-V' || first === '--version') {
    const { MMULAB_VERSION } = await import('../../engine/results.ts');
    io.stdout.write(`mmulab ${MMULAB_VERSION}\n`);
    return ExitCode.Ok;
  }
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return help(io, MAIN_HELP);
    if (!HELP[topic]) throw unknownCommand(topic);
    return help(io, HELP[topic]);
  }
  if (first.startsWith('-'))
    throw new UsageError(
      `mmulab: unknown option '${first}' before the command. Options follow the command ('mmulab run FILE.mmu ${first}'); see 'mmulab --help'.`,
    );
  switch (first) {
    case 'run': {
      const args = parseRunArgs(rest, io.cwd, io.env ?? process.env);
      if (args === null) return help(io, RUN_HELP);
      const { runCommand } = await import('./run-command.ts');
      return runCommand(args, io);
    }
    case 'check': {
      const args = parseCheckArgs(rest, io.cwd);
      if (args === null) return help(io, CHECK_HELP);
      const { checkCommand } = await import('./check-command.ts');
      return checkCommand(args, io);
    }
    case 'plan': {
      const args = parsePlanArgs(rest, io.cwd);
      if (args === null) return help(io, PLAN_HELP);
      const { planCommand } = await import('./plan-command.ts');
      return planCommand(args, io);
    }
    case 'figure': {
      const args = parseFigureArgs(rest, io.cwd);
      if (args === null) return help(io, FIGURE_HELP);
      const { figureCommand } = await import('./figure-command.ts');
      return figureCommand(args, io);
    }
    case 'fmt': {
      const args = parseFmtArgs(rest, io.cwd);
      if (args === null) return help(io, FMT_HELP);
      const { fmtCommand } = await import('./fmt-command.ts');
      return fmtCommand(args, io);
    }
    case 'merge': {
      const args = parseMergeArgs(rest, io.cwd);
      if (args === null) return help(io, MERGE_HELP);
      const { mergeCommand } = await import('./merge-command.ts');
      return mergeCommand(args, io);
    }
    case 'kernel': {
      const args = parseKernelArgs(rest, io.cwd);
      if (args === null) return help(io, KERNEL_HELP);
      const { kernelCommand } = await import('./kernel-command.ts');
      return kernelCommand(args, io);
    }
    default:
      throw unknownCommand(first);
  }
}

function help(io: CliIo, text: string): ExitCode {
  io.stdout.write(`${text}\n`);
  return ExitCode.Ok;
}

function unknownCommand(name: string): UsageError {
  const commands = Object.keys(HELP);
  const guess = closest(name, commands);
  const mean = guess ? ` Did you mean '${guess}'?` : '';
  return new UsageError(
    `mmulab: unknown command '${name}'.${mean} Commands: ${commands.join(', ')}; see 'mmulab --help'.`,
  );
}
