/**
 * `mmulab/tslab`: mmulab in tslab TypeScript notebooks.
 *
 * ```ts
 * import { mmu, show, experimentTable } from 'mmulab/tslab';
 * const runs = await mmu(`vm tiny { ... }  run tiny with ring, m seed 1  table summary`);
 * show(experimentTable(runs[0], 'iterations').filter((d) => d.pages_sent > 0));
 * ```
 *
 * `mmu` displays a cell's outputs exactly as the mmulab kernel does (the same MIME
 * bundles from kernel/display/), and everything a TypeScript user needs to drive the
 * engine directly is re-exported. tslab compiles cells to CommonJS, so this module is
 * bundled to dist/tslab.cjs (scripts/build.mjs).
 */
import { showExplorations } from './experiment/explorations.ts';
import { createRequire } from 'node:module';
import { basename, dirname, relative, resolve } from 'node:path';
import type { ColumnTable } from 'arquero';
import { compile, diagnosticRenderer, EMPTY_SCOPE } from '../dsl/compile.ts';
import { shownDiagnostics } from '../dsl/diagnostics.ts';
import type { Scope } from '../dsl/compile.ts';
import { nodeFileLoader } from '../dsl/node-loader.ts';
import { CachingRunner } from './experiment/caching-runner.ts';
import { runExperiments } from './experiment/experiments.ts';
import type { ProgramRun } from './experiment/experiments.ts';
import { indexedPlans } from './experiment/plans.ts';
import { PlanFailed } from './experiment/runner.ts';
import { progressBundle } from './display/progress.ts';
import { InThreadRunner } from './experiment/in-thread.ts';
import { PoolRunner } from './experiment/pool-runner.ts';
import { SessionRunner, sessionPoolThreads } from './experiment/session-runner.ts';
import { ResultCache, defaultCacheDir } from './experiment/result-cache.ts';
import { cachedRun } from './experiment/cached-run.ts';
import { run as engineRun } from '../engine/run.ts';
import type { RunPlan } from '../engine/plan.ts';
import type { RunResult } from '../engine/results.ts';
import type { RunOptions } from '../engine/sim/simulation.ts';
import type { ExperimentRun } from './experiment/experiments.ts';
import type { PlanRunner, RunProgress } from './experiment/runner.ts';
import type { PlotlyFigure } from './output/figures.ts';
import type { MimeBundle } from './display/mime.ts';
import { NotebookDisplay } from './display/notebook-display.ts';
import { tableBundle } from './display/table.ts';
import { ExpectFailed } from './experiment/expect.ts';
import type { ExpectResult } from './experiment/expect.ts';
import { expectFailureText } from './output/expect-text.ts';
import { runEnvironment } from './output/environment.ts';
import type { SourceText } from './output/environment.ts';
import { exportKind, exportTarget, isExportOutput, writeExports } from './output/exports.ts';

// Everything needed to call the engine without the language, and the views.
export * from '../engine/index.ts';
export * as aq from 'arquero';
export type { ColumnTable } from 'arquero';
export { compile, EMPTY_SCOPE } from '../dsl/compile.ts';
export type { CompileResult, CompiledOutput, CompiledProgram, Scope } from '../dsl/compile.ts';
export { formatDiagnostic } from '../dsl/diagnostics.ts';
export type { Diagnostic } from '../dsl/diagnostics.ts';
export { experimentTable, tidyTable } from './experiment/experiment-table.ts';
export { columnsOf } from './experiment/column-info.ts';
export { applyLets } from './experiment/derive.ts';
export { aggregateRows, queryRows, whereRows } from './experiment/aggregate.ts';
export { compileExpr } from './experiment/expressions.ts';
export { evaluateExpect, ExpectFailed } from './experiment/expect.ts';
export type { ExpectResult } from './experiment/expect.ts';
export { tableOutputTable, viewTable } from './experiment/views.ts';
export { CachingRunner } from './experiment/caching-runner.ts';
export { ResultCache, defaultCacheDir, userCacheDir } from './experiment/result-cache.ts';
export { cachedRun } from './experiment/cached-run.ts';
export { shownOutputs } from './output/shown.ts';
export type { ShownOutput } from './output/shown.ts';
export { runProgram } from './experiment/experiments.ts';
export type { ExperimentRun, PlanRun, ProgramRun } from './experiment/experiments.ts';
export { InThreadRunner } from './experiment/in-thread.ts';
export { PlanFailed } from './experiment/runner.ts';
export type { PlanRunner, RunProgress } from './experiment/runner.ts';
export { guestperfFigure, plotFigure } from './output/figures.ts';
export { crossRunFigure } from './output/cross-run-figure.ts';
export {
  explorationFigures,
  explorationsTable,
  runExplorations,
  showExplorations,
} from './experiment/explorations.ts';
export type { Exploration, ExplorationsShown } from './experiment/explorations.ts';
export type { PlotlyFigure, PlotlyJson } from './output/figures.ts';
export * from './display/index.ts';

/** Where bundles go: tslab's display by default. */
export type DisplaySink = (bundle: MimeBundle) => void;
/**
 * Where a call's progress line goes: shown under `displayId` (update false), then
 * replaced in place (update true), as Jupyter's update_display_data replaces it.
 */
export type ProgressSink = (bundle: MimeBundle, displayId: string, update: boolean) => void;

export interface MmuOptions {
  /** Overrides the seed of every plan, like `mmulab run --seed N`. */
  seed?: number;
  /** The values of `vary` bounds for this variant, like `mmulab run --variant N` (default 0). */
  variant?: number;
  /** The name diagnostics show, and the file `use "..."` paths resolve against. */
  file?: string;
  /** Display the cell's outputs (default true). */
  display?: boolean;
  /** Where to send the bundles (default: tslab's display, or stdout outside tslab). */
  sink?: DisplaySink;
  /**
   * Where the progress line of the call's plans goes, or false for none. Default: in a
   * tslab cell, a bar in the cell's output replaced in place as plans finish, then the
   * line that says how many finished, as the mmulab kernel shows it; none outside tslab,
   * with a `sink`, or with `display: false`.
   */
  progress?: ProgressSink | false;
  /**
   * Where the plans run (default: one plan in this thread; several on a pool of
   * `MMULAB_JOBS` worker threads, default the machine's cores, kept for the notebook's
   * later calls, as the mmulab kernel runs a cell's sweep).
   */
  runner?: PlanRunner;
  /**
   * The result cache's directory (as `mmulab run --cache DIR`), or false for none: only
   * the plans and explorations whose results it does not hold run. Default: the
   * kernel's (`defaultCacheDir()`: MMULAB_CACHE_DIR, else ~/.cache/mmulab;
   * MMULAB_CACHE=off turns it off).
   */
  cache?: string | false;
  /** Aborting stops the run (in this thread: between plans); what finished is shown and returned. */
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
}

export interface ShowOptions {
  /** A table's caption title. */
  title?: string;
  /** Rows of a table shown before "… N more rows". */
  maxRows?: number;
  sink?: DisplaySink;
}

/**
 * State of this notebook process: the definitions of earlier `mmu` calls (a later
 * call can run `vm web` defined before), and what the display has sent (plotly.js
 * goes to the page once). A restarted tslab kernel is a new process.
 */
let scope: Scope = EMPTY_SCOPE;
const notebook = new NotebookDisplay();
/**
 * The text of every `mmu` call that compiled, in order, with the files each read: the
 * provenance `export` records, as the CLI records a program's files.
 */
const sources: SourceText[] = [];
let calls = 0;
/**
 * The notebook's runner when a call names none, made at the first call: its pool's
 * threads stay for later sweeps (idle threads do not keep the process alive).
 */
let notebookRunner: PlanRunner | undefined;

/**
 * Compile and run mmulab text, display its tables and charts, and return the
 * experiments so that TypeScript can use their Arquero tables. Throws an Error whose
 * message is the diagnostics (with source line and caret) when the text has errors;
 * then no definition of the text is kept. Warnings go to stderr.
 */
export async function mmu(text: string, options: MmuOptions = {}): Promise<ExperimentRun[]> {
  const base = options.file === undefined ? process.cwd() : dirname(resolve(options.file));
  const used: SourceText[] = [];
  const compiled = compile(text, {
    scope,
    load: (path, from) => {
      const loaded = nodeFileLoader(path, from);
      if (loaded) used.push({ name: relative(base, loaded.file), text: loaded.text });
      return loaded;
    },
    ...(options.file === undefined ? {} : { file: options.file }),
    ...(options.variant === undefined ? {} : { variant: options.variant }),
  });
  const { shown, omitted } = shownDiagnostics(compiled.diagnostics);
  const formatted = [...shown.map(diagnosticRenderer(compiled, text, options.file)), ...omitted];
  if (!compiled.ok) throw new Error(formatted.join('\n\n'));
  if (formatted.length) process.stderr.write(`${formatted.join('\n\n')}\n`);
  scope = compiled.scope;
  calls++;
  sources.push(
    { name: options.file === undefined ? `mmu call ${calls}` : basename(options.file), text },
    ...used,
  );
  const { seed, signal, onProgress } = options;
  const cache = resultCache(options.cache);
  const planRunner =
    options.runner ??
    (notebookRunner ??= new SessionRunner(
      new InThreadRunner(),
      new PoolRunner(sessionPoolThreads()),
    ));
  const runner = cache === undefined ? planRunner : new CachingRunner(planRunner, cache);
  const plans = indexedPlans(compiled.program, seed);
  const progressSink = progressSinkOf(options);
  const progress =
    progressSink && plans.length > 0 ? new ProgressLine(progressSink, plans) : undefined;
  let ran: ProgramRun;
  try {
    ran = await runExperiments(compiled.program, text, plans, runner, {
      ...(signal === undefined ? {} : { signal }),
      onProgress: (p) => {
        progress?.update(p);
        onProgress?.(p);
      },
    });
  } catch (e) {
    await progress?.finish(e instanceof PlanFailed ? e.label : undefined);
    throw e;
  }
  await progress?.finish(undefined, ran);
  const { experiments } = ran;
  let failedExpects: readonly ExpectResult[] = [];
  if (options.display !== false) {
    const { bundles, failed } = notebook.render(
      compiled.program.outputs,
      experiments,
      compiled.program.lets ?? [],
    );
    await send(bundles, options.sink);
    failedExpects = failed;
  }
  // `explore`: the text's explorations, their counterexamples and `expect explore`.
  const explored = showExplorations(compiled.program, cache);
  if (explored && options.display !== false) {
    const { bundles, failed } = notebook.explorations(explored);
    await send(bundles, options.sink);
    failedExpects = [...failedExpects, ...failed];
  }
  // `export ... to "DIR"`: relative to the file named, else the notebook's directory.
  const exports = compiled.program.outputs.some(isExportOutput);
  const written = await writeExports(
    experiments,
    compiled.program.outputs,
    base,
    {
      source: options.file === undefined ? 'notebook' : basename(options.file),
      ...(exports
        ? { environment: runEnvironment(sources, options.variant ?? compiled.program.variant?.n) }
        : {}),
    },
    compiled.program.lets ?? [],
  );
  for (const { output, files } of written)
    process.stdout.write(
      `wrote ${files.length} ${exportKind(output)} file(s) to ${exportTarget(output)}\n`,
    );
  if (failedExpects.length)
    throw new ExpectFailed(failedExpects.map(expectFailureText).join('\n\n'));
  return experiments;
}

/**
 * The engine's `run(plan, options)` (re-exported from the engine under this name),
 * through the result cache `mmu` uses: an unchanged plan, with an unchanged policy, is
 * not run again. A policy counts by its own text; one that reads anything outside it
 * (a notebook variable, `Date`, `Math.random`, `console`) runs every time (see
 * `cachedRun`). `cache`: a directory, or false for none; default as for `mmu`.
 */
export function run(
  plan: RunPlan,
  options: RunOptions & { cache?: string | false } = {},
): RunResult {
  const { cache: dir, ...runOptions } = options;
  const cache = resultCache(dir);
  return cache === undefined ? engineRun(plan, runOptions) : cachedRun(plan, runOptions, cache);
}

/** The cache an `mmu` or `run` call uses: its option, else the default directory. */
function resultCache(option: string | false | undefined): ResultCache | undefined {
  const dir = option === undefined ? defaultCacheDir() : option;
  return dir === false || dir === undefined ? undefined : new ResultCache(dir);
}

/** Display an Arquero table or a Plotly figure as the kernel does. */
export async function show(
  value: ColumnTable | PlotlyFigure,
  options: ShowOptions = {},
): Promise<void> {
  if (isTable(value)) {
    const { title, maxRows } = options;
    await send(
      [
        tableBundle(value, {
          ...(title === undefined ? {} : { title }),
          ...(maxRows === undefined ? {} : { maxRows }),
        }),
      ],
      options.sink,
    );
  } else if (isFigure(value)) {
    await send(notebook.chart(value), options.sink);
  } else {
    throw new TypeError(
      `show: expected an Arquero table or a Plotly figure ({ data, layout }), got ${typeof value}`,
    );
  }
}

// Duck-typed: the table may come from the user's own copy of Arquero, not the one
// bundled here, so `instanceof` would say no.
function isTable(value: unknown): value is ColumnTable {
  const t = value as Partial<Record<'columnNames' | 'numRows' | 'objects', unknown>> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.columnNames === 'function' &&
    typeof t.numRows === 'function' &&
    typeof t.objects === 'function'
  );
}

function isFigure(value: unknown): value is PlotlyFigure {
  const f = value as Partial<Record<'data' | 'layout', unknown>> | null;
  return typeof f === 'object' && f !== null && Array.isArray(f.data);
}

/** Send bundles one by one, yielding between them (see `tslabSink`). */
async function send(
  bundles: readonly MimeBundle[],
  sink: DisplaySink = tslabSink(),
): Promise<void> {
  for (const b of bundles) {
    sink(b);
    // tslab does not await its ZMQ sends, and zeromq 6 allows one pending send per
    // socket (tslab gap 11, zeromq/zeromq.js#381): give each one a turn of the loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The display_data content tslab's kernel sends (Jupyter messaging 5.3). */
interface DisplayContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}
type WriteDisplayData = (content: DisplayContent, update: boolean) => void;

/**
 * tslab's public `display.raw(type, data)` sends one MIME type per message and no
 * metadata. A whole bundle (Plotly JSON + HTML fallback + text, and our metadata)
 * goes through the function tslab's public display itself calls,
 * `jupyter.lastWriteDisplayData`, set while a cell runs. That is tslab-internal
 * (dist/jupyter.js, 1.0.x), so when it is missing we fall back to `display.html`,
 * which carries the chart's HTML fallback; outside a kernel, the text goes to stdout.
 */
function tslabSink(): DisplaySink {
  const write = findWriteDisplayData();
  if (write) return (b) => write({ data: b.data, metadata: b.metadata, transient: {} }, false);
  const html = findTslabHtml();
  if (html)
    return (b) => {
      const content = b.data['text/html'] ?? b.data['text/plain'];
      if (typeof content === 'string') html(content);
    };
  return (b) => process.stdout.write(`${String(b.data['text/plain'] ?? '')}\n`);
}

/**
 * The progress line of one call's plans (the kernel's, session.ts): a bar shown when the
 * plans start and replaced as they advance, then taken away and followed by the line
 * that says how many finished, or where the run stopped.
 */
class ProgressLine {
  private readonly displayId: string;
  private readonly total: number;
  private last: { done: number; label: string };
  /** A send is on its way (see `send`): an update that comes before its turn is dropped. */
  private sending = false;

  constructor(
    private readonly sink: ProgressSink,
    plans: readonly { label: string }[],
  ) {
    this.displayId = `mmulab-tslab-progress-${++progressLines}`;
    this.total = plans.length;
    this.last = { done: 0, label: plans[0]!.label };
    this.show(progressBundle({ ...this.last, total: this.total, fraction: 0 }), false);
  }

  update(p: RunProgress): void {
    this.last = { done: Math.floor(p.done), label: p.label };
    // A run in this thread reports while it computes, without a turn of the event loop
    // in between; tslab's socket takes one pending send at a time (see `send`), and the
    // next report carries the newer state anyway.
    if (this.sending) return;
    this.show(
      progressBundle({ ...this.last, total: this.total, fraction: p.done / this.total }),
      true,
    );
  }

  /** The run ended: `ran` when it returned, else it failed during plan `failed`. */
  async finish(failed: string | undefined, ran?: ProgramRun): Promise<void> {
    const interrupted = ran === undefined || ran.interrupted;
    const done = ran === undefined ? this.last.done : ran.finished;
    // One send per turn of the event loop, as `send` does, also before the next output.
    await nextTurn();
    this.sink({ data: {}, metadata: {} }, this.displayId, true);
    await nextTurn();
    this.sink(
      progressBundle({
        label: interrupted ? (failed ?? this.last.label) : '',
        done,
        total: this.total,
        fraction: done / this.total,
        status: interrupted ? 'interrupted' : 'finished',
      }),
      `${this.displayId}-end`,
      false,
    );
    await nextTurn();
  }

  private show(bundle: MimeBundle, update: boolean): void {
    this.sink(bundle, this.displayId, update);
    this.sending = true;
    setImmediate(() => (this.sending = false));
  }
}
let progressLines = 0;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Where a call's progress line goes (MmuOptions.progress), or undefined for none. */
function progressSinkOf(options: MmuOptions): ProgressSink | undefined {
  if (options.display === false || options.progress === false) return undefined;
  if (options.progress !== undefined) return options.progress;
  return options.sink === undefined ? tslabProgressSink() : undefined;
}

/** tslab's display with display ids, in a running tslab cell; else undefined. */
function tslabProgressSink(): ProgressSink | undefined {
  const write = findWriteDisplayData();
  if (!write) return undefined;
  return (b, displayId, update) =>
    write({ data: b.data, metadata: b.metadata, transient: { display_id: displayId } }, update);
}

/** tslab as this module resolves it, then as the kernel's main script does. */
function tslabRequires(): NodeJS.Require[] {
  const own = createRequire(import.meta.url);
  const main = own.main?.filename;
  return main ? [own, createRequire(main)] : [own];
}

function findWriteDisplayData(): WriteDisplayData | undefined {
  for (const req of tslabRequires()) {
    try {
      const jupyter = req('tslab/dist/jupyter.js') as { lastWriteDisplayData?: unknown };
      if (typeof jupyter.lastWriteDisplayData === 'function')
        return jupyter.lastWriteDisplayData as WriteDisplayData;
    } catch {
      // Not installed there, or another layout: try the next, then the public API.
    }
  }
  return undefined;
}

function findTslabHtml(): ((html: string) => void) | undefined {
  for (const req of tslabRequires()) {
    try {
      const tslab = req('tslab') as { display?: { html?: unknown } };
      const html = tslab.display?.html;
      const ready = (req('tslab/dist/jupyter.js') as { lastWriteDisplayData?: unknown })
        .lastWriteDisplayData;
      // display.html throws "Not ready" outside a running cell.
      if (typeof html === 'function' && ready)
        return (s) => (html as (s: string) => void).call(tslab.display, s);
    } catch {
      // As above.
    }
  }
  return undefined;
}
