import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { showExplorations } from '../experiment/explorations.ts';
import type { ExplorationsShown } from '../experiment/explorations.ts';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { CompiledProgram } from '../../dsl/compile.ts';
import { RESULT_TABLES } from '../../engine/results.ts';
import { ColumnError } from '../experiment/experiment-table.ts';
import type { ExperimentRun, ProgramRun } from '../experiment/experiments.ts';
import { indexedPlans } from '../experiment/plans.ts';
import { runEnvironment } from '../output/environment.ts';
import { CachingRunner } from '../experiment/caching-runner.ts';
import { expectFailureText, expectLine } from '../output/expect-text.ts';
import { predictLine } from '../output/predict-text.ts';
import { variantLines } from '../../dsl/compile/variant.ts';
import { fileProvenance, writeExport, writeExports } from '../output/exports.ts';
import { writePlotCsvs } from '../output/plot-csv.ts';
import type { ExportSource } from '../output/exports.ts';
import { formatNumber } from '../output/format.ts';
import { renderReport } from '../output/report.ts';
import { compareCsvDirs, publishedVariant } from '../output/verify.ts';
import { shownByExperiment } from '../output/shown.ts';
import { terminalWidth, textTable } from '../output/text-table.ts';
import type { RunArgs } from './commands.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { formatDiagnostics, loadFile } from './load.ts';
import { cliRunner, runWithProgress } from './run-plans.ts';
import { describeExperiments } from './plan-count.ts';
import { inShard } from './shard.ts';

/** `mmulab run FILE`: compile, run (in parallel, or one shard), print, write the files. */
export async function runCommand(args: RunArgs, io: CliIo): Promise<ExitCode> {
  // --verify reruns the variant the published files record, unless told another.
  const variant =
    args.variant ??
    (args.verify === undefined ? undefined : publishedVariant(resolve(io.cwd, args.verify)));
  const loaded = loadFile('mmulab run', args.file, io.cwd, variant);
  const { compiled } = loaded;
  if (compiled.diagnostics.length) io.stderr.write(`${formatDiagnostics(loaded)}\n\n`);
  if (!compiled.ok) {
    io.stderr.write(`${loaded.shownPath}: not run; fix the errors above.\n`);
    return ExitCode.PlanError;
  }
  const { program } = compiled;
  if (program.experiments.length === 0 && !program.explores?.length) {
    io.stderr.write(
      `${loaded.shownPath}: nothing to run; add a \`run\`, \`sweep\` or \`explore\` statement.\n`,
    );
    return ExitCode.Ok;
  }
  const all = indexedPlans(program, args.seed);
  const { shard } = args;
  const plans = shard ? all.filter((p) => inShard(shard, p.index)) : all;
  if (shard)
    io.stderr.write(
      `shard ${shard.index}/${shard.count}${shard.source ? ` (${shard.source})` : ''}: ${plans.length} of ${all.length} plan(s)\n`,
    );
  if (args.dryRun) {
    // The values this variant's `vary` bounds took come first, as a real run prints them.
    const lines = [
      ...(program.variant ? variantLines(program.variant) : []),
      ...describeExperiments(program, loaded.text, args.seed, true),
    ];
    io.stdout.write(
      `${lines.join('\n')}\n${loaded.shownPath}: ${plans.length} plan(s); nothing run (--dry-run).\n`,
    );
    return ExitCode.Ok;
  }
  const stop = interruptOnSigint();
  const runner = cliRunner(io, plans, args.jobs, args.cache);
  let ran: ProgramRun | undefined;
  try {
    ran = await runWithProgress('mmulab run', io, program, loaded.text, plans, runner, stop.signal);
  } finally {
    stop.dispose();
  }
  // The checker should reject what the engine rejects; runWithProgress says which plan.
  if (!ran) return ExitCode.PlanError;
  const { experiments } = ran;
  if (runner instanceof CachingRunner)
    io.stderr.write(
      `cache: ${plans.length - runner.ran} of ${plans.length} plan(s) from ${shown(io, resolve(io.cwd, args.cache ?? ''))}\n`,
    );
  // `explore` statements: exhaustive, deterministic, and not split across shards.
  const cache = runner instanceof CachingRunner ? runner.cache : undefined;
  const explored = shard && shard.index !== 1 ? undefined : showExplorations(program, cache);
  let printed: Printed;
  try {
    printed = printResults(experiments, program, io, args.seed, explored, loaded.shownPath);
  } catch (e) {
    if (!(e instanceof ColumnError)) throw e;
    io.stderr.write(`${loaded.shownPath}: ${e.message}\nFix that output line and run again.\n`);
    return ExitCode.PlanError;
  }
  io.stdout.write(printed.text);
  const environment = runEnvironment(loaded.sources, variant ?? program.variant?.n);
  const from: ExportSource = {
    source: basename(loaded.path),
    ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
    environment,
  };
  for (const [format, given] of [
    ['csv', args.csv],
    ['arrow', args.arrow],
  ] as const) {
    if (given === undefined) continue;
    const dir = resolve(io.cwd, given);
    const files =
      format === 'csv'
        ? writeCsvDir(experiments, program, dir, from)
        : writeExport(experiments, { format, dir, views: RESULT_TABLES }, from);
    const kind = format === 'csv' ? 'CSV' : 'Arrow';
    io.stderr.write(`wrote ${files.length} ${kind} file(s) to ${shown(io, dir)}\n`);
  }
  // `export ... to "DIR"`: DIR is relative to the .mmu file, not the working directory.
  try {
    for (const { output, dir, files } of await writeExports(
      experiments,
      program.outputs,
      dirname(loaded.path),
      from,
      program.lets ?? [],
    ))
      io.stderr.write(
        output.kind === 'export'
          ? `wrote ${files.length} file(s) to ${shown(io, dir)}\n`
          : `wrote ${files.map((f) => shown(io, f)).join(', ')}\n`,
      );
  } catch (e) {
    if (!(e instanceof Error) || e.name !== 'ChromiumMissingError') throw e;
    io.stderr.write(`${loaded.shownPath}: export plot: ${e.message}\n`);
    return ExitCode.PlanError;
  }
  if (args.html !== undefined) {
    const path = resolve(io.cwd, args.html);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      renderReport({
        title: loaded.shownPath,
        experiments,
        outputs: program.outputs,
        lets: program.lets ?? [],
        environment,
        ...(explored ? { explorations: explored } : {}),
      }),
    );
    io.stderr.write(`wrote ${shown(io, path)}\n`);
  }
  if (args.verify !== undefined && !ran.interrupted) {
    const published = resolve(io.cwd, args.verify);
    const rerun = mkdtempSync(join(tmpdir(), 'mmulab-verify-'));
    try {
      writeCsvDir(experiments, program, rerun, from);
      const { compared, differences } = compareCsvDirs(published, rerun);
      for (const d of differences) io.stdout.write(`${d.file}: ${d.detail}\n`);
      if (differences.length) {
        io.stderr.write(
          `mmulab run --verify: ${differences.length} difference(s) from ${shown(io, published)} (${compared} file(s) compared).\n`,
        );
        return ExitCode.PlanError;
      }
      io.stderr.write(
        `mmulab run --verify: all ${compared} file(s) of ${shown(io, published)} re-made identically.\n`,
      );
    } finally {
      rmSync(rerun, { recursive: true, force: true });
    }
  }
  if (ran.interrupted) {
    io.stderr.write(
      `mmulab run: interrupted; ${ran.finished} of ${plans.length} plan(s) finished and are shown above.\n`,
    );
    return ExitCode.Interrupted;
  }
  if (printed.failed.length) {
    io.stderr.write(`${printed.failed.join('\n\n')}\n`);
    io.stderr.write(`${loaded.shownPath}: ${printed.failed.length} expect statement(s) failed.\n`);
    return ExitCode.ExpectFailed;
  }
  return ExitCode.Ok;
}

/**
 * `--csv DIR`: one CSV per table and plan, and one long CSV per chart (`<chart>.plot.csv`,
 * the points drawn); what `--verify` re-makes and compares.
 */
function writeCsvDir(
  experiments: readonly ExperimentRun[],
  program: CompiledProgram,
  dir: string,
  from: ExportSource,
): string[] {
  return [
    ...writeExport(experiments, { format: 'csv', dir, views: RESULT_TABLES }, from),
    ...writePlotCsvs(dir, experiments, program.outputs, program.lets ?? [], (e) =>
      fileProvenance([e], from),
    ),
  ];
}

/** What the terminal shows, and the failed expectations (for stderr and the exit code). */
interface Printed {
  text: string;
  failed: string[];
}

/**
 * Ctrl-C aborts the returned signal (the run stops and what finished is still
 * printed); a second Ctrl-C exits at once with 130.
 */
function interruptOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.Interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

function shown(io: CliIo, path: string): string {
  const rel = relative(io.cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The terminal output: per experiment, its tables, or a status line per plan. */
function printResults(
  experiments: readonly ExperimentRun[],
  program: CompiledProgram,
  io: CliIo,
  seed: number | undefined,
  explored: ExplorationsShown | undefined,
  shownPath: string,
): Printed {
  const failed: string[] = [];
  const planCommand = [
    `mmulab plan ${shownPath}`,
    ...(seed === undefined ? [] : [`--seed ${seed}`]),
    ...(program.variant ? [`--variant ${program.variant.n}`] : []),
  ].join(' ');
  const width = terminalWidth(io.stdout.isTTY ? io.stdout.columns : undefined);
  // The values this variant's `vary` bounds took: the student's own problem, first.
  const out: string[] = program.variant ? [...variantLines(program.variant), ''] : [];
  for (const { experiment: e, items: shownItems } of shownByExperiment(
    experiments,
    program.outputs,
    program.lets ?? [],
  )) {
    const seeded = seed === undefined ? '' : `, --seed ${seed}`;
    out.push(`== ${e.statement}  (line ${e.line}, ${e.runs.length} plan(s)${seeded})`, '');
    // A terminal shows the tables; plots are the report's (--html).
    let tables = 0;
    for (const item of shownItems) {
      if (item.kind === 'predict') {
        out.push(predictLine(item.result), '');
        continue;
      }
      if (item.kind === 'expect') {
        if (item.result.pass) out.push(expectLine(item.result), '');
        else failed.push(expectFailureText(item.result));
        continue;
      }
      if (item.kind !== 'table') continue;
      tables++;
      const { view, table: t, keys } = item;
      out.push(
        `${view}:`,
        t.numRows() ? textTable(t, { width, ...(keys.length ? { keys } : {}) }) : '(no rows)',
        ...(item.note === undefined ? [] : [item.note]),
        '',
      );
    }
    if (tables === 0) for (const r of e.runs) out.push(statusLine(r.label, r.result.summary));
    out.push(...provenanceLines(e.runs, planCommand), '');
  }
  if (explored) {
    // The table; the swimlane charts of the counterexamples are the report's (--html).
    const t = explored.table;
    out.push(`== explore  (${t.numRows()} exploration(s))`, '');
    out.push(textTable(t, { width, keys: ['protocol'] }), '');
    for (const r of explored.expects) {
      if (r.pass) out.push(expectLine(r), '');
      else failed.push(expectFailureText(r));
    }
    out.push(
      `# explore: plan_hash ${explored.provenance.plan_hash}, mmulab ${explored.provenance.mmulab_version}`,
      '',
    );
  }
  return { text: out.join('\n'), failed };
}

/** An experiment with more plans than this names their hashes in one line, not one each. */
const PROVENANCE_LINES_MAX = 4;

/**
 * Each plan's hash, seed and mmulab version under the experiment's output; a sweep's
 * hundreds of them would push its tables off the terminal, so past
 * PROVENANCE_LINES_MAX one line says where each plan's hash is (`mmulab plan`, which
 * prints them without running anything, and every export).
 */
function provenanceLines(runs: ExperimentRun['runs'], planCommand: string): string[] {
  if (runs.length <= PROVENANCE_LINES_MAX) {
    return runs.map((r) => {
      const p = r.result.provenance;
      return `# ${r.label}: plan_hash ${p.plan_hash}, seed ${p.seed}, mmulab ${p.mmulab_version}`;
    });
  }
  const versions = [...new Set(runs.map((r) => r.result.provenance.mmulab_version))].join(', ');
  return [
    `# ${runs.length} plans, mmulab ${versions}: \`${planCommand}\` lists each plan's label and plan_hash (so do --csv, --arrow and --html)`,
  ];
}

/** "web/ring/qemu/seed=1: completed in 3,020.821 ms, downtime 270.387 ms, 28 iterations, 0 stale pages". */
function statusLine(
  label: string,
  summary: ExperimentRun['runs'][number]['result']['summary'],
): string {
  const row = summary.object(0) as Record<string, number | string | null>;
  const n = (k: string): string => formatNumber(row[k] as number | null);
  return (
    `${label}: ${row.status} in ${n('total_ms')} ms, downtime ${n('downtime_ms')} ms, ` +
    `${n('iterations')} iterations, ${n('stale_pages')} stale pages`
  );
}
