import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { closest } from '../../dsl/diagnostics.ts';
import { isValidKernelName, KERNEL_NAME } from '../kernelspec.ts';
import type { SpecLocation } from '../kernelspec.ts';
import { FIGURE_FORMATS } from '../output/figure-formats.ts';
import type { FigureFormat } from '../output/figure-formats.ts';
import { parseArgs, UsageError } from './args.ts';
import type { OptionSpec } from './args.ts';
import { parseShard } from './shard.ts';
import type { Shard, ShardEnvironment } from './shard.ts';

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
  check FILE       print a .mmu file's or notebook's diagnostics without running anything
  plan FILE.mmu    print the plans a run would run, with their hashes (--json)
  figure FILE.mmu  run the file and write each chart as SVG, PDF or PNG (Chromium)
  fmt FILE...      print a .mmu file or notebook in canonical layout (--check for CI, --write)
  merge DIR...     join the Arrow files of a sweep's shards into one per table
  kernel install   install the Jupyter kernel (kernel uninstall removes it)
  help [COMMAND]   show this text, or a command's

options:
  -h, --help       show this text ('mmulab run --help' for a command's)
  -V, --version    print mmulab's version

exit codes: 0 ok, 1 the plan has errors, 2 usage, 130 interrupted (Ctrl-C)

example:
  mmulab run examples/quickstart.mmu --html out/quickstart.html`;

export const RUN_HELP = `usage: mmulab run FILE.mmu [--html REPORT.html] [--csv DIR] [--arrow DIR] [--seed N]
                       [--variant N] [--jobs N] [--shard i/N|auto] [--verify DIR]
                       [--dry-run] [--cache DIR]

Compile FILE.mmu, run every plan of its \`run\` and \`sweep\` statements, and print
the tables its \`table\` statements ask for (a sweep prints one table with a
\`label\` column, one row per plan). A progress bar is shown on stderr when it is
a terminal. Errors in the file are printed to stderr and nothing runs.

options:
  --html FILE      write a self-contained HTML report: the tables, a Plotly chart per
                   \`plot\` statement (\`plot progress\`: QEMU guestperf's chart of each
                   migration) and the \`expect\` lines; plotly.js is inlined, so the
                   file works offline
  --csv DIR        write one CSV per table and plan to DIR (<label>.<table>.csv),
                   its rows led by the label and the swept parameters, and one
                   long CSV per chart (<chart>.plot.csv: a row per point drawn),
                   each headed by the provenance as '# key: value' comment lines
  --arrow DIR      write one Arrow IPC file per table to DIR (<table>.arrow) with
                   every plan run, led by plan_index and label columns; the
                   provenance of each plan is in the Arrow schema metadata
                   (mmulab.provenance), and a stale table that lists fewer pages
                   than the summary counts says so there (mmulab.listed)
  --seed N         run every plan with seed N instead of the file's seeds
  --variant N      the values of the file's \`vary\` bounds for variant N (a whole
                   number, default 0): each student runs their own problem, the
                   same every time; the values picked are printed first and every
                   export records the variant
  -j, --jobs N     run plans on N worker threads (default: the machine's cores,
                   ${availableParallelism()} here); 1 runs them one after the other in-process.
                   The results and their order do not depend on N
  --shard i/N      run only shard i of N (1 <= i <= N): the plans whose index
                   modulo N is i-1, numbering all plans of the file from 0; for
                   Slurm job arrays and Kubernetes indexed Jobs. Write each shard's
                   tables with --arrow and join them with 'mmulab merge'
  --shard auto     take i and N from the batch system: a Slurm array task
                   (SLURM_ARRAY_TASK_ID, _MIN, _MAX, _COUNT) or a Kubernetes indexed
                   Job (JOB_COMPLETION_INDEX, with MMULAB_SHARD_COUNT set to the
                   Job's completions); examples/cluster/ has both job files
  --verify DIR     rerun and compare with the CSV files an earlier --csv (or
                   \`export ... as csv\`) wrote to DIR: the plan hashes, seeds, costs
                   and every value must match (Node, the commit and the sources'
                   hash may differ); reruns the variant the files record unless
                   --variant says another; prints each difference and exits 1 if any
  --dry-run        run nothing: print the values the file's \`vary\` bounds pick
                   (as a run prints them first), then for each experiment "N points
                   × R seeds = M plans" and the values of every axis it varies
  --cache DIR      keep every plan's results in DIR, keyed by the plan's hash and
                   the engine's fingerprint, and run only the plans not stored
                   there: a second run of an unchanged file runs nothing
  -h, --help       show this text

Ctrl-C stops the run: unfinished plans are dropped, the finished ones are
printed and written, and the exit code is 130.

exit codes: 0 ok, 1 the plan has errors or an \`expect\` failed, 2 usage, 130 interrupted`;

export const MERGE_HELP = `usage: mmulab merge DIR... --out DIR

Join the Arrow files that 'mmulab run FILE.mmu --shard i/N --arrow DIR' wrote for
each shard into one file per table (<table>.arrow) in the --out directory, rows
sorted by plan_index and the plans' provenance joined in the schema metadata.
The result does not depend on how the sweep was split: merging 1 shard or N
shards of the same file gives the same tables.

options:
  -o, --out DIR   where to write the merged files (created if missing)
  -h, --help      show this text

exit codes: 0 ok, 1 the files do not fit together (a shard given twice, files of
different sweeps, a file that is not mmulab's), 2 usage`;

export const CHECK_HELP = `usage: mmulab check FILE.mmu | NOTEBOOK.ipynb

Compile FILE.mmu and print its diagnostics (errors and warnings, each with its
line:col, the source line with a caret under the problem, and a hint). Without
errors, it prints the size of each experiment: "N points × R seeds = M plans".
Nothing runs ('mmulab run --dry-run' also lists the values of every axis).

An mmulab notebook's code cells are compiled in order, each seeing the cells above
it as the kernel does when the notebook runs top to bottom; a diagnostic names its
cell: 'lab.ipynb [cell 7]:3:5'.

options:
  -h, --help   show this text

exit codes: 0 no errors (warnings are printed but pass), 1 errors, 2 usage`;

export interface RunArgs {
  file: string;
  html?: string;
  csv?: string;
  seed?: number;
  /** The result cache's directory (`--cache DIR`). */
  cache?: string;
  /** Arrow IPC output directory. */
  arrow?: string;
  /** Worker threads; 1 runs in-process. */
  jobs: number;
  /** Only this shard's plans. */
  shard?: Shard;
  /** A directory of published CSV exports to compare the run with. */
  verify?: string;
  /** The variant whose values the file's `vary` bounds take (`--variant N`). */
  variant?: number;
  /** Print what would run (the values `vary` picks, the plans and axes of each experiment) and run nothing. */
  dryRun: boolean;
}

export interface MergeArgs {
  dirs: string[];
  out: string;
}

export interface CheckArgs {
  file: string;
}

export interface PlanArgs {
  file: string;
  /** One JSON object per line, each plan exactly as hashed. */
  json: boolean;
  seed?: number;
  variant?: number;
}

export const PLAN_HELP = `usage: mmulab plan FILE.mmu [--json] [--seed N] [--variant N]

Compile FILE.mmu and print every plan its \`run\` and \`sweep\` statements would run,
in order: its index (plan_index in exports), label and plan hash. Nothing runs.
The plan hash in every export is the FNV-1a 64 hash of the plan's canonical JSON
(keys sorted); --json prints that JSON, so anyone can recompute a published hash.

options:
  --json       one JSON object per line: plan_index, label, plan_hash and plan,
               the plan exactly as hashed
  --seed N     the plans as 'mmulab run --seed N' would run them
  --variant N  the plans of variant N, as 'mmulab run --variant N' would run them
  -h, --help   show this text

exit codes: 0 ok, 1 the file has errors, 2 usage`;

const PLAN_OPTIONS: readonly OptionSpec[] = [
  { name: 'json' },
  { name: 'seed', value: 'N' },
  { name: 'variant', value: 'N' },
  { name: 'help', short: 'h' },
];

/** `mmulab plan ...` arguments; null when help was asked for. Throws UsageError. */
export function parsePlanArgs(argv: readonly string[], cwd: string): PlanArgs | null {
  const { options, positionals } = parseArgs('mmulab plan', argv, PLAN_OPTIONS);
  if (options.has('help')) return null;
  const args: PlanArgs = {
    file: oneFile('mmulab plan', positionals, cwd),
    json: options.has('json'),
  };
  const seed = options.get('seed');
  if (typeof seed === 'string') args.seed = wholeSeed('mmulab plan', seed);
  const variant = options.get('variant');
  if (typeof variant === 'string') args.variant = wholeNumber('mmulab plan', 'variant', variant);
  return args;
}

/** A `--seed` value: a whole number >= 0. */
function wholeSeed(command: string, seed: string): number {
  return wholeNumber(command, 'seed', seed);
}

/** A `--seed` or `--variant` value: a whole number >= 0. */
function wholeNumber(command: string, option: 'seed' | 'variant', value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new UsageError(
      `${command}: --${option} needs a whole number >= 0, got '${value}'; for example --${option} 7.`,
    );
  return Number(value);
}

export interface FigureArgs {
  file: string;
  format: FigureFormat;
  /** Pixels; absent: 700, and the height the chart asks for (else 450). */
  width?: number;
  height?: number;
  /** Where the files go (created if missing). */
  out: string;
  seed?: number;
  variant?: number;
  jobs: number;
  cache?: string;
}

export const FIGURE_HELP = `usage: mmulab figure FILE.mmu [--format svg|pdf|png] [--width PX] [--height PX]
                          [--out DIR] [--seed N] [--variant N] [--jobs N] [--cache DIR]

Run FILE.mmu as 'mmulab run' does and write every chart its \`plot\` statements
draw (and \`plot progress\`'s, one per plan) as an image file for a paper:
<chart>.svg, .pdf or .png in DIR, named after the chart's title. The charts are
the report's, drawn by plotly.js in headless Chromium: SVG and PDF keep the
traces and text as vectors. Chromium is found at /usr/bin/chromium (Debian's
'chromium' package) or where MMULAB_CHROMIUM points.

options:
  --format F     svg (default), pdf or png
  --width PX     the chart's width in pixels (default 700; a PDF page of the same
                 size at 96 px per inch)
  --height PX    its height (default 450, or what a faceted chart needs)
  -o, --out DIR  where to write the files (default: the working directory)
  --seed N       run every plan with seed N instead of the file's seeds
  --variant N    the values of the file's \`vary\` bounds for variant N, as for 'mmulab run'
  -j, --jobs N   worker threads, as for 'mmulab run'
  --cache DIR    the result cache, as for 'mmulab run'
  -h, --help     show this text

exit codes: 0 ok, 1 the file has errors, draws no chart, or Chromium is missing,
2 usage`;

const FIGURE_OPTIONS: readonly OptionSpec[] = [
  { name: 'format', value: 'svg|pdf|png' },
  { name: 'width', value: 'PX' },
  { name: 'height', value: 'PX' },
  { name: 'out', short: 'o', value: 'DIR' },
  { name: 'seed', value: 'N' },
  { name: 'variant', value: 'N' },
  { name: 'jobs', short: 'j', value: 'N' },
  { name: 'cache', value: 'DIR' },
  { name: 'help', short: 'h' },
];

/** `mmulab figure ...` arguments; null when help was asked for. Throws UsageError. */
export function parseFigureArgs(argv: readonly string[], cwd: string): FigureArgs | null {
  const command = 'mmulab figure';
  const { options, positionals } = parseArgs(command, argv, FIGURE_OPTIONS);
  if (options.has('help')) return null;
  const file = oneFile(command, positionals, cwd);
  const format = options.get('format') ?? 'svg';
  if (!(FIGURE_FORMATS as readonly unknown[]).includes(format)) {
    const guess = typeof format === 'string' ? closest(format, FIGURE_FORMATS) : undefined;
    const mean = guess ? ` Did you mean '${guess}'?` : '';
    throw new UsageError(
      `${command}: unknown --format '${String(format)}'.${mean} Formats: ${FIGURE_FORMATS.join(', ')}.`,
    );
  }
  const args: FigureArgs = {
    file,
    format: format as FigureFormat,
    out: String(options.get('out') ?? '.'),
    jobs: jobsOption(command, options.get('jobs')) ?? availableParallelism(),
  };
  for (const name of ['width', 'height'] as const) {
    const value = options.get(name);
    if (typeof value !== 'string') continue;
    if (!/^\d+$/.test(value) || Number(value) < 10 || Number(value) > 10_000)
      throw new UsageError(
        `${command}: --${name} needs a whole number of pixels from 10 to 10000, got '${value}'; for example --${name} ${name === 'width' ? 700 : 450}.`,
      );
    args[name] = Number(value);
  }
  const seed = options.get('seed');
  if (typeof seed === 'string') args.seed = wholeSeed(command, seed);
  const variant = options.get('variant');
  if (typeof variant === 'string') args.variant = wholeNumber(command, 'variant', variant);
  const cache = options.get('cache');
  if (typeof cache === 'string') args.cache = cache;
  return args;
}

/** A `--jobs` value: 1 to 1024; undefined when not given. */
function jobsOption(command: string, jobs: string | true | undefined): number | undefined {
  if (typeof jobs !== 'string') return undefined;
  if (!/^\d+$/.test(jobs) || Number(jobs) < 1 || Number(jobs) > 1024)
    throw new UsageError(
      `${command}: --jobs needs a whole number from 1 to 1024, got '${jobs}'; for example --jobs 4 (--jobs 1 runs in-process).`,
    );
  return Number(jobs);
}

export interface FmtArgs {
  /** .mmu files or mmulab notebooks; several only with --check or --write. */
  files: string[];
  /** Exit 1 when a file is not in canonical layout; print nothing else. */
  check: boolean;
  /** Rewrite the files in place instead of printing one. */
  write: boolean;
}

export const FMT_HELP = `usage: mmulab fmt FILE... [--check | --write]

Print FILE in the canonical layout: one field per line, two spaces per level,
comments kept, literals as written. Formatting twice changes nothing, and formatting
never changes the compiled plan.

FILE is a .mmu file or an mmulab notebook (.ipynb): a notebook's code cells are
formatted cell by cell, its kernel commands (%help, %variant N) and Markdown as they
are. With several files give --check or --write.

options:
  --check      print nothing; exit 1 if a file is not formatted (for CI)
  --write      rewrite the files in place
  -h, --help   show this text

exit codes: 0 ok (or already formatted with --check), 1 syntax errors or not
formatted (--check), 2 usage`;

const FMT_OPTIONS: readonly OptionSpec[] = [
  { name: 'check' },
  { name: 'write' },
  { name: 'help', short: 'h' },
];

/** `mmulab fmt ...` arguments; null when help was asked for. Throws UsageError. */
export function parseFmtArgs(argv: readonly string[], cwd: string): FmtArgs | null {
  const { options, positionals } = parseArgs('mmulab fmt', argv, FMT_OPTIONS);
  if (options.has('help')) return null;
  const args = {
    files: someFiles('mmulab fmt', positionals, cwd),
    check: options.has('check'),
    write: options.has('write'),
  };
  if (args.check && args.write) {
    throw new UsageError(`mmulab fmt: --check and --write exclude each other; use one of them.`);
  }
  if (args.files.length > 1 && !args.check && !args.write) {
    throw new UsageError(
      `mmulab fmt: ${args.files.length} files and nothing to do with them; add --check (report the files not formatted) or --write (rewrite them).`,
    );
  }
  return args;
}

const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'html', value: 'FILE' },
  { name: 'csv', value: 'DIR' },
  { name: 'arrow', value: 'DIR' },
  { name: 'seed', value: 'N' },
  { name: 'variant', value: 'N' },
  { name: 'jobs', short: 'j', value: 'N' },
  { name: 'shard', value: 'i/N' },
  { name: 'verify', value: 'DIR' },
  { name: 'dry-run' },
  { name: 'cache', value: 'DIR' },
  { name: 'help', short: 'h' },
];

const CHECK_OPTIONS: readonly OptionSpec[] = [{ name: 'help', short: 'h' }];

const MERGE_OPTIONS: readonly OptionSpec[] = [
  { name: 'out', short: 'o', value: 'DIR' },
  { name: 'help', short: 'h' },
];

/** `mmulab run ...` arguments; null when help was asked for. Throws UsageError. */
export function parseRunArgs(
  argv: readonly string[],
  cwd: string,
  env: ShardEnvironment = {},
): RunArgs | null {
  const { options, positionals } = parseArgs('mmulab run', argv, RUN_OPTIONS);
  if (options.has('help')) return null;
  const args: RunArgs = {
    file: oneFile('mmulab run', positionals, cwd),
    jobs: availableParallelism(),
    dryRun: options.has('dry-run'),
  };
  const cache = options.get('cache');
  if (typeof cache === 'string') args.cache = cache;
  const html = options.get('html');
  const arrow = options.get('arrow');
  const jobs = options.get('jobs');
  const shard = options.get('shard');
  if (typeof arrow === 'string') args.arrow = arrow;
  const verify = options.get('verify');
  if (typeof verify === 'string') {
    let csvs: string[] = [];
    try {
      csvs = readdirSync(resolve(cwd, verify)).filter((f) => f.endsWith('.csv'));
    } catch {
      throw new UsageError(
        `mmulab run: --verify needs a directory of CSV exports, but '${verify}' is not a directory.`,
      );
    }
    if (csvs.length === 0)
      throw new UsageError(
        `mmulab run: --verify found no .csv file in '${verify}'; give the directory that --csv or \`export ... as csv\` wrote.`,
      );
    args.verify = verify;
  }
  if (typeof shard === 'string') args.shard = parseShard('mmulab run', shard, env);
  args.jobs = jobsOption('mmulab run', jobs) ?? args.jobs;
  const csv = options.get('csv');
  const seed = options.get('seed');
  if (typeof html === 'string') args.html = html;
  if (typeof csv === 'string') args.csv = csv;
  if (typeof seed === 'string') args.seed = wholeSeed('mmulab run', seed);
  const variant = options.get('variant');
  if (typeof variant === 'string') args.variant = wholeNumber('mmulab run', 'variant', variant);
  return args;
}

/** `mmulab check ...` arguments; null when help was asked for. Throws UsageError. */
export function parseCheckArgs(argv: readonly string[], cwd: string): CheckArgs | null {
  const { options, positionals } = parseArgs('mmulab check', argv, CHECK_OPTIONS);
  if (options.has('help')) return null;
  return { file: oneFile('mmulab check', positionals, cwd) };
}

/** `mmulab merge ...` arguments; null when help was asked for. Throws UsageError. */
export function parseMergeArgs(argv: readonly string[], cwd: string): MergeArgs | null {
  const { options, positionals } = parseArgs('mmulab merge', argv, MERGE_OPTIONS);
  if (options.has('help')) return null;
  const out = options.get('out');
  if (typeof out !== 'string')
    throw new UsageError(
      `mmulab merge: missing --out DIR; write 'mmulab merge DIR... --out DIR' (see 'mmulab merge --help').`,
    );
  if (positionals.length === 0)
    throw new UsageError(
      `mmulab merge: missing the shard directories; write 'mmulab merge DIR... --out DIR'.`,
    );
  for (const dir of positionals) {
    let isDir = false;
    try {
      isDir = statSync(resolve(cwd, dir)).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir)
      throw new UsageError(
        `mmulab merge: '${dir}' is not a directory; give the --arrow directories of the shards.`,
      );
  }
  return { dirs: positionals, out };
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

/** One or more existing files (`mmulab fmt`); the same messages as oneFile. */
function someFiles(command: string, positionals: readonly string[], cwd: string): string[] {
  if (positionals.length === 0) return [oneFile(command, positionals, cwd)];
  return positionals.map((file) => oneFile(command, [file], cwd));
}

export const KERNEL_HELP = `usage: mmulab kernel install [--user | --sys-prefix | --prefix DIR] [--name N]
                            [--display-name D] [--no-tslab]
       mmulab kernel uninstall [--user | --sys-prefix | --prefix DIR] [--name N]
                            [--no-tslab]

Install the mmulab Jupyter kernel: write its kernelspec (kernel.json and logos) to
<data dir>/kernels/<name>/, replacing an earlier install of that name, and print
the directory. The kernelspec runs this node (${process.execPath})
with this checkout's bin/mmulab-kernel.js by absolute path, so Jupyter finds it
whatever its PATH; install again after moving either. Neither Python nor Jupyter
is needed to install. 'uninstall' removes the directory.

It also installs the TypeScript kernel, tslab, as <data dir>/kernels/tslab/, set up
so that a notebook in any directory can import 'mmulab/tslab' (--no-tslab leaves
it out; uninstall removes it only if mmulab installed it).

locations (the data dir, as 'jupyter kernelspec install' picks it):
  --user           your Jupyter data dir: $JUPYTER_DATA_DIR, else
                   $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter
  --sys-prefix     /usr/bin/python3's sys.prefix + /share/jupyter
  --prefix DIR     DIR/share/jupyter (for a venv, or JUPYTER_PATH=DIR/share/jupyter)
  (none)           --user, or /usr/local/share/jupyter when run as root

options:
  --name N          kernel name (default ${KERNEL_NAME}): letters, digits, '-', '.', '_'
  --display-name D  name shown in the launcher and kernel picker (default ${KERNEL_NAME})
  --no-tslab        leave the TypeScript (tslab) kernel alone
  -h, --help        show this text

exit codes: 0 ok, 1 nothing to uninstall or the directory cannot be written, 2 usage

example:
  mmulab kernel install --user && jupyter lab   # then pick the "mmulab" kernel`;

export interface KernelArgs {
  action: 'install' | 'uninstall';
  location: SpecLocation;
  /** Kernel name (directory under kernels/). */
  name: string;
  /** Only for install. */
  displayName: string;
  /** Also the TypeScript kernel (tslab) with mmulab/tslab importable everywhere. */
  tslab: boolean;
}

const KERNEL_OPTIONS: readonly OptionSpec[] = [
  { name: 'user' },
  { name: 'sys-prefix' },
  { name: 'prefix', value: 'DIR' },
  { name: 'name', value: 'N' },
  { name: 'display-name', value: 'D' },
  { name: 'no-tslab' },
  { name: 'help', short: 'h' },
];

/** `mmulab kernel ...` arguments; null when help was asked for. Throws UsageError. */
export function parseKernelArgs(argv: readonly string[], cwd: string): KernelArgs | null {
  const [action, ...rest] = argv;
  if (action === undefined)
    throw new UsageError(
      `mmulab kernel: missing the action; write 'mmulab kernel install' or 'mmulab kernel uninstall' (see 'mmulab kernel --help').`,
    );
  if (action === '-h' || action === '--help') return null;
  if (action !== 'install' && action !== 'uninstall') {
    const guess = closest(action, ['install', 'uninstall']);
    const mean = guess ? ` Did you mean '${guess}'?` : '';
    throw new UsageError(
      `mmulab kernel: unknown action '${action}'.${mean} Actions: install, uninstall; see 'mmulab kernel --help'.`,
    );
  }
  const command = `mmulab kernel ${action}`;
  const { options, positionals } = parseArgs(command, rest, KERNEL_OPTIONS);
  if (options.has('help')) return null;
  if (positionals.length > 0)
    throw new UsageError(
      `${command}: unexpected argument '${positionals[0]}'; the location is an option: --user, --sys-prefix or --prefix DIR.`,
    );
  const given = ['user', 'sys-prefix', 'prefix'].filter((o) => options.has(o));
  if (given.length > 1)
    throw new UsageError(
      `${command}: ${given.map((o) => `--${o}`).join(' and ')} exclude each other; give one location.`,
    );
  const prefix = options.get('prefix');
  const location: SpecLocation =
    typeof prefix === 'string'
      ? { kind: 'prefix', dir: resolve(cwd, prefix) }
      : options.has('user')
        ? { kind: 'user' }
        : options.has('sys-prefix')
          ? { kind: 'sys-prefix' }
          : { kind: 'default' };
  const name = options.get('name');
  if (typeof name === 'string' && !isValidKernelName(name))
    throw new UsageError(
      `${command}: invalid kernel name '${name}'; use letters, digits, '-', '.' and '_', for example --name mmulab-dev.`,
    );
  const displayName = options.get('display-name');
  if (action === 'uninstall' && displayName !== undefined)
    throw new UsageError(
      `${command}: --display-name is for install; uninstall finds the kernel by --name.`,
    );
  return {
    action,
    location,
    name: typeof name === 'string' ? name.toLowerCase() : KERNEL_NAME,
    displayName: typeof displayName === 'string' ? displayName : KERNEL_NAME,
    tslab: !options.has('no-tslab'),
  };
}
