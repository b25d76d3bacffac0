import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, UsageError } from './args.ts';
import type { OptionSpec } from './args.ts';

/**
 * What each command accepts: its help text and the parsing of its arguments into a
 * plain record. Nothing here loads the language or the engine, so `--help` and usage
 * errors answer at once; the commands themselves are imported only to run.
 */

export const MAIN_HELP = `usage: mmulab <command> [options]

Simulate KVM dirty logging and QEMU live migration described in the mmulab
language (.mmu files), and report the results as tables and charts.

commands:
  run FILE.mmu     run the file's experiments; print tables, write HTML and CSV
  check FILE.mmu   print the file's diagnostics without running anything
  help [COMMAND]   show this text, or a command's

options:
  -h, --help       show this text ('mmulab run --help' for a command's)
  -V, --version    print mmulab's version

exit codes: 0 ok, 1 the plan has errors, 2 usage

example:
  mmulab run examples/quickstart.mmu --html out/quickstart.html`;

export const RUN_HELP = `usage: mmulab run FILE.mmu [--html REPORT.html] [--csv DIR] [--seed N]

Compile FILE.mmu, run every plan of its \`run\` and \`sweep\` statements, and print
the tables its \`table\` statements ask for (a sweep prints one table with a
\`label\` column, one row per plan). A progress bar is shown on stderr when it is
a terminal. Errors in the file are printed to stderr and nothing runs.

options:
  --html FILE      write a self-contained HTML report: the tables, a Plotly chart per
                   \`plot\` statement and, for each migration, QEMU guestperf's chart
                   (guest progress with iteration markers beside remaining pages);
                   plotly.js is inlined, so the file works offline
  --csv DIR        write one CSV per table and plan to DIR (<label>.<table>.csv),
                   headed by the provenance as '# key: value' comment lines
  --seed N         run every plan with seed N instead of the file's seeds
  --no-guestperf   leave the guestperf charts out of the HTML report
  -h, --help       show this text

exit codes: 0 ok, 1 the plan has errors, 2 usage`;

export const CHECK_HELP = `usage: mmulab check FILE.mmu

Compile FILE.mmu and print its diagnostics (errors and warnings, each with its
line:col, the source line with a caret under the problem, and a hint). Nothing runs.

options:
  -h, --help   show this text

exit codes: 0 no errors (warnings are printed but pass), 1 errors, 2 usage`;

export interface RunArgs {
  file: string;
  html?: string;
  csv?: string;
  seed?: number;
  /** QEMU guestperf's chart per migration in the HTML report. */
  guestperf: boolean;
}

export interface CheckArgs {
  file: string;
}

const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'html', value: 'FILE' },
  { name: 'csv', value: 'DIR' },
  { name: 'seed', value: 'N' },
  { name: 'no-guestperf' },
  { name: 'help', short: 'h' },
];

const CHECK_OPTIONS: readonly OptionSpec[] = [{ name: 'help', short: 'h' }];

/** `mmulab run ...` arguments; null when help was asked for. Throws UsageError. */
export function parseRunArgs(argv: readonly string[], cwd: string): RunArgs | null {
  const { options, positionals } = parseArgs('mmulab run', argv, RUN_OPTIONS);
  if (options.has('help')) return null;
  const args: RunArgs = {
    file: oneFile('mmulab run', positionals, cwd),
    guestperf: !options.has('no-guestperf'),
  };
  const html = options.get('html');
  const csv = options.get('csv');
  const seed = options.get('seed');
  if (typeof html === 'string') args.html = html;
  if (typeof csv === 'string') args.csv = csv;
  if (typeof seed === 'string') {
    if (!/^\d+$/.test(seed) || !Number.isSafeInteger(Number(seed)))
      throw new UsageError(
        `mmulab run: --seed needs a whole number >= 0, got '${seed}'; for example --seed 7.`,
      );
    args.seed = Number(seed);
  }
  return args;
}

/** `mmulab check ...` arguments; null when help was asked for. Throws UsageError. */
export function parseCheckArgs(argv: readonly string[], cwd: string): CheckArgs | null {
  const { options, positionals } = parseArgs('mmulab check', argv, CHECK_OPTIONS);
  if (options.has('help')) return null;
  return { file: oneFile('mmulab check', positionals, cwd) };
}

/** The one FILE.mmu argument, which must be a readable file (relative to `cwd`). */
function oneFile(command: string, positionals: readonly string[], cwd: string): string {
  if (positionals.length === 0)
    throw new UsageError(
      `${command}: missing FILE.mmu; write '${command} FILE.mmu' (see '${command} --help').`,
    );
  if (positionals.length > 1)
    throw new UsageError(
      `${command}: expected one FILE.mmu, got ${positionals.length}: ${positionals.join(' ')}.`,
    );
  const file = positionals[0];
  const path = resolve(cwd, file);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file (looked for ${path})` : (e as Error).message;
    throw new UsageError(`${command}: cannot read '${file}': ${why}. Check the path and retry.`);
  }
  if (!isFile) throw new UsageError(`${command}: '${file}' is not a file; give a .mmu file.`);
  return file;
}
