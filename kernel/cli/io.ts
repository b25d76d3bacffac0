import type { ProgressStream } from './progress.ts';

/** Where a command reads and writes: the process, or a test double. */
export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  /** Relative paths are resolved against it. */
  cwd: string;
  /** The environment (`--shard auto` reads the batch system's); absent: the process's. */
  env?: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
}

/** Exit codes of every command (issue 4, "Command line"). */
export const ExitCode = {
  Ok: 0,
  /** The plan has errors (diagnostics, or the engine rejected it). */
  PlanError: 1,
  /** An `expect` statement failed (the results are printed and written all the same). */
  ExpectFailed: 1,
  /** Usage: unknown command or option, a missing value or file. */
  Usage: 2,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2, the shell's convention for a signal. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
