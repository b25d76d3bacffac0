import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import type { CompiledProgram } from '../../dsl/compile.ts';
import { arrowTables, writeArrowTable } from './arrow.ts';
import type { RunArgs } from './commands.ts';
import { writeCsvs } from './csv.ts';
import { formatNumber, formatWideTable } from './format.ts';
import { renderReport } from './html-report.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { formatDiagnostics, loadFile } from './load.ts';
import { ProgressBar } from './progress.ts';
import { RESULT_TABLES } from '../../engine/results.ts';
import { runPlans } from './pool.ts';
import { assembleExperiments, ColumnError, experimentTable, indexedPlans } from './runs.ts';
import { inShard } from './shard.ts';
import type { ExperimentRun } from './runs.ts';

/** `mmulab run FILE`: compile, run (in parallel, or one shard), print, write the files. */
export async function runCommand(args: RunArgs, io: CliIo): Promise<ExitCode> {
  const loaded = loadFile('mmulab run', args.file, io.cwd);
  const { compiled } = loaded;
  if (compiled.diagnostics.length) io.stderr.write(`${formatDiagnostics(loaded)}\n\n`);
  if (!compiled.ok) {
    io.stderr.write(`${loaded.shownPath}: not run; fix the errors above.\n`);
    return ExitCode.PlanError;
  }
  const { program } = compiled;
  if (program.experiments.length === 0) {
    io.stderr.write(`${loaded.shownPath}: nothing to run; add a \`run\` or \`sweep\` statement.\n`);
    return ExitCode.Ok;
  }
  const all = indexedPlans(program, args.seed);
  const { shard } = args;
  const plans = shard ? all.filter((p) => inShard(shard, p.index)) : all;
  if (shard)
    io.stderr.write(
      `shard ${shard.index}/${shard.count}: ${plans.length} of ${all.length} plan(s)\n`,
    );
  const progress = new ProgressBar(io.stderr, plans.length);
  const stop = interruptOnSigint();
  let outcome: Awaited<ReturnType<typeof runPlans>>;
  try {
    outcome = await runPlans(plans, {
      jobs: args.jobs,
      signal: stop.signal,
      onProgress: (done, label, info) => {
        const k = Math.min(Math.floor(done), plans.length - 1);
        progress.update(k, label, { ...info, fraction: done - k });
      },
    });
  } catch (e) {
    // The checker should reject what the engine rejects; if not, say which plan.
    progress.clear();
    io.stderr.write(`mmulab run: the engine rejected a plan: ${(e as Error).message}\n`);
    return ExitCode.PlanError;
  } finally {
    stop.dispose();
  }
  progress.clear();
  const experiments = assembleExperiments(program, loaded.text, plans, outcome.results);
  let printed: string;
  try {
    printed = printResults(experiments, program, io, args.seed);
  } catch (e) {
    if (!(e instanceof ColumnError)) throw e;
    io.stderr.write(
      `${loaded.shownPath}: ${e.message}\nFix the \`table ... with\` line and run again.\n`,
    );
    return ExitCode.PlanError;
  }
  io.stdout.write(printed);
  if (args.csv !== undefined) {
    const dir = resolve(io.cwd, args.csv);
    const files = writeCsvs(dir, experiments, loaded.path);
    io.stderr.write(`wrote ${files.length} CSV file(s) to ${shown(io, dir)}\n`);
  }
  if (args.arrow !== undefined) {
    const dir = resolve(io.cwd, args.arrow);
    const runs = experiments.flatMap((e) => e.runs);
    const shardText = shard ? `${shard.index}/${shard.count}` : undefined;
    for (const t of arrowTables(runs, basename(loaded.path))) writeArrowTable(dir, t, shardText);
    io.stderr.write(`wrote ${RESULT_TABLES.length} Arrow file(s) to ${shown(io, dir)}\n`);
  }
  for (const out of program.outputs) {
    if (out.kind !== 'export') continue;
    // `export ... to "DIR"`: DIR is relative to the .mmu file, not the working directory.
    const dir = resolve(dirname(loaded.path), out.dir);
    let count: number;
    if (out.format === 'csv') count = writeCsvs(dir, experiments, loaded.path, out.views).length;
    else {
      const runs = experiments.flatMap((e) => e.runs);
      const shardText = shard ? `${shard.index}/${shard.count}` : undefined;
      const tables = arrowTables(runs, basename(loaded.path)).filter((t) =>
        (out.views as readonly string[]).includes(t.table),
      );
      for (const t of tables) writeArrowTable(dir, t, shardText);
      count = tables.length;
    }
    io.stderr.write(`wrote ${count} file(s) to ${shown(io, dir)}\n`);
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
        guestperf: args.guestperf,
      }),
    );
    io.stderr.write(`wrote ${shown(io, path)}\n`);
  }
  if (outcome.interrupted) {
    io.stderr.write(
      `mmulab run: interrupted; ${outcome.results.size} of ${plans.length} plan(s) finished and are shown above.\n`,
    );
    return ExitCode.Interrupted;
  }
  return ExitCode.Ok;
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
): string {
  const width = io.stdout.isTTY && io.stdout.columns ? io.stdout.columns : 120;
  const tables = program.outputs.flatMap((o) =>
    o.kind === 'table' ? o.views.map((view) => ({ view, columns: o.columns })) : [],
  );
  const out: string[] = [];
  for (const e of experiments) {
    const seeded = seed === undefined ? '' : `, --seed ${seed}`;
    out.push(`== ${e.statement}  (line ${e.line}, ${e.runs.length} plan(s)${seeded})`, '');
    for (const { view, columns } of tables) {
      const t = experimentTable(e, view, columns);
      // Each block of a wide table repeats what names a row: the plan, else the first column.
      const keys = t.columnNames().includes('label') ? ['label'] : t.columnNames().slice(0, 1);
      out.push(`${view}:`, t.numRows() ? formatWideTable(t, width, keys) : '(no rows)', '');
    }
    if (tables.length === 0)
      for (const r of e.runs) out.push(statusLine(r.label, r.result.summary));
    for (const r of e.runs) {
      const p = r.result.provenance;
      out.push(
        `# ${r.label}: plan_hash ${p.plan_hash}, seed ${p.seed}, mmulab ${p.mmulab_version}`,
      );
    }
    out.push('');
  }
  return `${out.join('\n')}`;
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
