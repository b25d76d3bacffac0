import { showExplorations } from '../experiment/explorations.ts';
import type { Scope } from '../../dsl/compile.ts';
import { EMPTY_SCOPE } from '../../dsl/compile.ts';
import { complete } from '../../dsl/completion.ts';
import { inspect } from '../../dsl/inspect.ts';
import { isComplete } from '../../dsl/is-complete.ts';
import {
  AGGREGATE_DOCS,
  FIELD_DOCS,
  keywordDocs,
  sweepWordDocs,
  UNIT_DOCS,
  VALUE_DOCS,
} from '../../dsl/keyword-docs.ts';
import { languageOverview } from '../../dsl/overview.ts';
import { SUMMARY_COLUMN_DOCS } from '../../dsl/column-docs.ts';
import type { MimeBundle } from '../display/mime.ts';
import { NotebookDisplay } from '../display/notebook-display.ts';
import type { CellDisplay } from '../display/notebook-display.ts';
import type { ExpectResult } from '../experiment/expect.ts';
import { expectFailureText } from '../output/expect-text.ts';
import { progressBundle } from '../display/progress.ts';
import { ColumnError } from '../experiment/experiment-table.ts';
import { CachingRunner } from '../experiment/caching-runner.ts';
import { runExperiments } from '../experiment/experiments.ts';
import type { ExperimentRun, ProgramRun } from '../experiment/experiments.ts';
import { indexedPlans } from '../experiment/plans.ts';
import { PlanFailed } from '../experiment/runner.ts';
import type { PlanRunner } from '../experiment/runner.ts';
import { exportKind, exportTarget, isExportOutput, writeExports } from '../output/exports.ts';
import { runEnvironment } from '../output/environment.ts';
import { variantLines } from '../../dsl/compile/variant.ts';
import type { SourceText } from '../output/environment.ts';
import { CompileStopped, InThreadCompiler } from './cell-compile.ts';
import { splitCell } from '../experiment/cell-parts.ts';
import type { CellCompiler, CompiledCell } from './cell-compile.ts';
import { definitionsForVariant } from './variant-definitions.ts';
import type { SessionCell, VariantDefinitions } from './variant-definitions.ts';
import type { ErrorContent, PagePayload, Payload } from './protocol.ts';

/**
 * One notebook's mmulab session, independent of Jupyter's wire: what a cell does
 * (compile against the definitions of earlier cells, run its experiments, render its
 * outputs), plus the editor services. The handler turns its calls into messages.
 *
 * Lines that start with `%` are kernel commands, as IPython's magics: `%help`,
 * `%who`, `%reset`, `%echo`, `%clear`. A cell runs its parts in order, so
 * `%reset` then definitions then `%who` does what it reads like.
 */

/** Where a cell's outputs go: the handler publishes them on iopub. */
export interface CellOutput {
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(bundle: MimeBundle, displayId?: string): void;
  updateDisplay(bundle: MimeBundle, displayId: string): void;
  clear(wait: boolean): void;
}

export type CellOutcome =
  | { status: 'ok'; result?: MimeBundle; payload: Payload[] }
  | { status: 'error'; error: ErrorContent };

export interface ExecuteOptions {
  /** Interrupt: stops a running simulation at its next slice. */
  signal?: AbortSignal;
}

export const KERNEL_COMMANDS: Readonly<Record<string, string>> = {
  help: '%help [WORD]  the language at a glance, or the documentation of a keyword, key or unit',
  who: '%who          list the definitions of this session (vm, tracking, costs, migration) and its lets',
  reset: '%reset        forget every definition and result of this session',
  echo: '%echo TEXT    print TEXT',
  clear: "%clear        clear this cell's output so far",
  variant:
    '%variant [N]  the values of `vary` bounds for variant N in the cells run after it (default MMULAB_VARIANT, else 0), and in the definitions of the cells run before it, compiled again (it names those that changed; rerun the cells with runs for their results); without N, which variant is in force',
};

/** `MMULAB_VARIANT` in the kernel's environment: the variant before any `%variant`. */
export function variantFromEnvironment(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.MMULAB_VARIANT?.trim();
  return text && /^\d+$/.test(text) && Number.isSafeInteger(Number(text))
    ? Number(text)
    : undefined;
}

/**
 * `%help` without a word: the statements and fields from the language's one source
 * (dsl/overview.ts), then what a cell does with them and the kernel commands. Written on
 * first use: the overview reads the grammar, which a kernel builds only when asked.
 */
const overview = (): string => `mmulab — a laboratory for KVM's MMU and dirty-page tracking

A cell holds mmulab statements; definitions persist across cells. A cell with run or
sweep shows their summary unless it asks for tables or plots; a table or plot without a
run shows the previous cell's results.

${languageOverview()}

Kernel commands:
${Object.values(KERNEL_COMMANDS)
  .map((d) => `  ${d}`)
  .join('\n')}

Press Shift-Tab on a word for its documentation, Tab to complete.
In a console, exit or quit ends the session.
The language reference: docs/language.md in the mmulab repository.`;

function errorOf(ename: string, evalue: string, traceback: string[]): CellOutcome {
  return { status: 'error', error: { ename, evalue, traceback } };
}

const RED = '\u001b[31m';
const RESET = '\u001b[0m';

/**
 * The longest cell the kernel compiles, in UTF-16 code units: a 1 MiB cell compiles in
 * seconds and ~450 MB; the 10 MB cells a paste can produce would take minutes and
 * gigabytes. Real programs are a few KB.
 */
export const MAX_CELL_CHARS = 1 << 20;

/**
 * A cell that is only `exit` or `quit` (with or without `()`), as IPython's
 * ExitAutocall accepts them: the console that sent it ends its session.
 */
function isExit(code: string): boolean {
  return /^\s*(exit|quit)(\(\))?\s*$/.test(code);
}

function oversized(code: string): CellOutcome {
  const n = (x: number): string => x.toLocaleString('en-US');
  const evalue = `This cell has ${n(code.length)} characters; the kernel compiles cells of up to ${n(MAX_CELL_CHARS)}. Split it into smaller cells.`;
  return errorOf('MmulabError', evalue, [`${RED}${evalue}${RESET}`]);
}

export class MmulabSession {
  private scope: Scope = EMPTY_SCOPE;
  /** The experiments of the last cell that ran any: what a later `table` or `plot` shows. */
  private lastExperiments: ExperimentRun[] = [];
  /**
   * The code of every cell that compiled since the last reset, in the order it ran,
   * with the files each read: what the session's definitions and results come from,
   * hashed into the provenance of its exports as the CLI hashes a program's files.
   */
  private sources: SourceText[] = [];
  private cellsCompiled = 0;
  private readonly display = new NotebookDisplay();
  private progressCount = 0;
  /** `%variant N` (or MMULAB_VARIANT): the variant cells compile for; undefined is 0. */
  private variant: number | undefined = variantFromEnvironment(process.env);
  /** Whether a cell had `vary` bounds: then every export records the variant. */
  private varied = false;
  /** Every cell that compiled since the last reset: `%variant N` compiles their definitions again. */
  private cells: SessionCell[] = [];

  constructor(
    private readonly runner: PlanRunner,
    /** Directory that relative paths (`use`, traces, `export`) resolve against. */
    private readonly cwd: string = process.cwd(),
    /** Where cells compile: the kernel passes a ThreadCompiler, so its heartbeat stays live. */
    private readonly compiler: CellCompiler = new InThreadCompiler(),
  ) {}

  /** Forget every definition and result (`%reset`, and a kernel restart). */
  reset(): void {
    this.scope = EMPTY_SCOPE;
    this.lastExperiments = [];
    this.sources = [];
    this.cellsCompiled = 0;
    this.cells = [];
  }

  async execute(code: string, out: CellOutput, options: ExecuteOptions = {}): Promise<CellOutcome> {
    let result: MimeBundle | undefined;
    const payload: PagePayload[] = [];
    if (code.length > MAX_CELL_CHARS) return oversized(code);
    if (isExit(code)) return { status: 'ok', payload: [{ source: 'ask_exit', keepkernel: false }] };
    for (const part of splitCell(code)) {
      if (part.kind === 'code') {
        const outcome = await this.executeCode(part.text, out, options);
        if (outcome.status === 'error') return outcome;
        continue;
      }
      switch (part.name) {
        case 'help':
          payload.push({ source: 'page', data: { 'text/plain': helpText(part.arg) }, start: 0 });
          break;
        case 'who':
          result = whoBundle(this.scope);
          break;
        case 'reset':
          this.reset();
          break;
        case 'echo':
          out.stream('stdout', `${part.arg}\n`);
          break;
        case 'clear':
          out.clear(false);
          break;
        case 'variant': {
          const arg = part.arg.trim();
          if (arg === '') {
            out.stream('stdout', `variant ${this.variant ?? 0}\n`);
            break;
          }
          if (!/^\d+$/.test(arg) || !Number.isSafeInteger(Number(arg))) {
            const evalue = `line ${part.line}:${part.column}: %variant needs a whole number >= 0, got '${arg}'.`;
            return errorOf('UsageError', evalue, [
              `${RED}${evalue}${RESET}`,
              'Write `%variant 7`, then run the cells whose definitions have `vary` bounds.',
            ]);
          }
          const failed = await this.setVariant(Number(arg), out, options.signal);
          if (failed) return failed;
          break;
        }
        default: {
          const known = Object.keys(KERNEL_COMMANDS)
            .map((k) => `%${k}`)
            .join(', ');
          // Where, like a language error (line:col), so one pattern finds every error.
          const what = part.name === '' ? `'${part.text}' is not` : `'%${part.name}' is not`;
          const evalue = `line ${part.line}:${part.column}: ${what} a kernel command.`;
          return errorOf('UsageError', evalue, [
            `${RED}${evalue}${RESET}`,
            `Known commands: ${known}. '%help' explains them.`,
          ]);
        }
      }
    }
    return result ? { status: 'ok', result, payload } : { status: 'ok', payload };
  }

  /**
   * `%variant N`: the cells run from here on take variant N's values, and the definitions
   * of the cells run so far are compiled again for it (variant-definitions.ts); says
   * which changed, and that results already shown are the earlier variant's. An error
   * outcome, with the variant and scope left as they were, when one no longer compiles.
   */
  private async setVariant(
    n: number,
    out: CellOutput,
    signal: AbortSignal | undefined,
  ): Promise<CellOutcome | undefined> {
    const previous = this.variant ?? 0;
    let again: VariantDefinitions;
    try {
      again = await definitionsForVariant(
        this.cells,
        this.scope,
        n,
        this.compiler,
        this.cwd,
        signal,
      );
    } catch (e) {
      if (!(e instanceof CompileStopped)) throw e;
      const evalue = e.interrupted
        ? `Interrupted while compiling the definitions for variant ${n}; still variant ${previous}.`
        : e.message;
      return errorOf(e.interrupted ? 'KeyboardInterrupt' : 'MmulabError', evalue, [
        `${RED}${evalue}${RESET}`,
      ]);
    }
    if (again.status === 'error') {
      const evalue = `%variant ${n}: cell ${again.cell} no longer compiles (${again.evalue}); still variant ${previous}.`;
      return errorOf('MmulabError', evalue, [
        `${RED}${evalue}${RESET}`,
        ...again.traceback,
        'Fix or rerun that cell, then run %variant again.',
      ]);
    }
    this.variant = n;
    this.scope = again.scope;
    const lines = [`variant ${n}: the cells run from here on take its values of \`vary\` bounds`];
    if (again.picks.length > 0 || again.changed.length > 0) {
      this.varied = true;
      lines.push(...variantLines({ n, picks: again.picks }));
      const changed = again.changed.map((c) => `${c.name} (cell ${c.cell})`);
      lines.push(
        changed.length > 0
          ? `re-evaluated for variant ${n}: ${changed.join(', ')}; results shown before are variant ${previous}'s: rerun the cells with runs for this variant's`
          : `re-evaluated for variant ${n}: no definition changed (its values are those of variant ${previous})`,
      );
    }
    out.stream('stdout', `${lines.join('\n')}\n`);
    return undefined;
  }

  private async executeCode(
    text: string,
    out: CellOutput,
    options: ExecuteOptions,
  ): Promise<CellOutcome> {
    let compiled: CompiledCell;
    try {
      compiled = await this.compiler.compile(
        {
          text,
          scope: this.scope,
          cwd: this.cwd,
          ...(this.variant === undefined ? {} : { variant: this.variant }),
        },
        options.signal,
      );
    } catch (e) {
      if (!(e instanceof CompileStopped)) throw e;
      if (e.interrupted) {
        const evalue = 'Interrupted while compiling the cell; nothing ran.';
        return errorOf('KeyboardInterrupt', evalue, [`${RED}KeyboardInterrupt${RESET}: ${evalue}`]);
      }
      return errorOf('MmulabError', e.message, [`${RED}${e.message}${RESET}`]);
    }
    if (compiled.warnings.length > 0) out.stream('stderr', `${compiled.warnings.join('\n\n')}\n`);
    if (compiled.status === 'error')
      return errorOf('MmulabError', compiled.evalue, compiled.traceback);
    this.scope = compiled.scope;
    this.sources.push({ name: `cell ${++this.cellsCompiled}`, text }, ...compiled.used);
    this.cells.push({ n: this.cellsCompiled, text });
    const program = compiled.program;
    if (program.variant) {
      // The student's own problem: the values this variant's bounds took.
      out.stream('stdout', `${variantLines(program.variant).join('\n')}\n`);
      this.varied = true;
    }
    let experiments = this.lastExperiments;
    let interrupted = false;
    const plans = indexedPlans(program);
    if (plans.length > 0) {
      const displayId = `mmulab-progress-${++this.progressCount}`;
      const total = plans.length;
      out.display(
        progressBundle({ label: plans[0]!.label, done: 0, total, fraction: 0 }),
        displayId,
      );
      let ran: ProgramRun;
      // What the line last showed: an interrupted or failed run ends on it.
      let last = { done: 0, label: plans[0]!.label };
      try {
        ran = await runExperiments(program, text, plans, this.runner, {
          signal: options.signal,
          onProgress: ({ done, label }) => {
            last = { done: Math.floor(done), label };
            out.updateDisplay(
              progressBundle({ label, done: last.done, total, fraction: done / total }),
              displayId,
            );
          },
        });
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const label = e instanceof PlanFailed ? e.label : last.label;
        finishProgress(
          out,
          displayId,
          progressBundle({
            label,
            done: last.done,
            total,
            fraction: last.done / total,
            status: 'interrupted',
          }),
        );
        // The engine error's class (KvmError, PlanError, SimInvariantError, ...), as
        // Python kernels name an exception by its class.
        const ename = e instanceof PlanFailed ? e.errorName : e instanceof Error ? e.name : 'Error';
        return errorOf(ename, message, [
          `${RED}The engine rejected plan ${label}: ${message}${RESET}`,
        ]);
      }
      interrupted = ran.interrupted;
      finishProgress(
        out,
        displayId,
        progressBundle({
          label: interrupted ? last.label : '',
          done: ran.finished,
          total,
          fraction: ran.finished / total,
          status: interrupted ? 'interrupted' : 'finished',
        }),
      );
      experiments = ran.experiments;
      this.lastExperiments = experiments;
    }
    // A cell without runs renders only what it asks for, from the previous results;
    // NotebookDisplay shows summaries for runs nobody asked a view of.
    const shows = program.outputs.some((o) => !isExportOutput(o));
    let failed: ExpectResult[] = [];
    if (plans.length > 0 || shows) {
      let cell: CellDisplay;
      try {
        cell = this.display.render(
          program.outputs,
          experiments,
          program.lets ?? [],
          program.experiments.length > 0,
        );
      } catch (e) {
        if (!(e instanceof ColumnError)) throw e;
        // The results are kept: a corrected output line in the next cell shows them.
        return errorOf('MmulabError', e.message, [`${RED}${e.message}${RESET}`]);
      }
      for (const bundle of cell.bundles) out.display(bundle);
      failed = cell.failed;
    }
    // `explore`: the cell's explorations, their counterexamples and `expect explore`.
    const explored = showExplorations(
      program,
      this.runner instanceof CachingRunner ? this.runner.cache : undefined,
    );
    if (explored) {
      const cell = this.display.explorations(explored);
      for (const bundle of cell.bundles) out.display(bundle);
      failed = [...failed, ...cell.failed];
    }
    // `export ... to "DIR"`: relative to the notebook's directory (the kernel's cwd).
    const exports = program.outputs.some(isExportOutput);
    const written = await writeExports(
      experiments,
      program.outputs,
      this.cwd,
      {
        source: 'notebook',
        ...(exports
          ? {
              environment: runEnvironment(
                this.sources,
                this.varied ? (this.variant ?? 0) : this.variant,
              ),
            }
          : {}),
      },
      program.lets ?? [],
    );
    for (const { output, files } of written)
      out.stream(
        'stdout',
        `wrote ${files.length} ${exportKind(output)} file(s) to ${exportTarget(output)}\n`,
      );
    if (failed.length > 0) {
      // An error reply, as a failed assert in Python: nbconvert --execute and nbgrader
      // stop at (or mark) the cell.
      const evalue = `${failed.length} expect statement${failed.length === 1 ? '' : 's'} failed: ${failed.map((f) => `${f.output.text} (${f.summary})`).join('; ')}`;
      const traceback = failed.flatMap((f) =>
        expectFailureText(f)
          .split('\n')
          .map((l, i) => (i === 0 ? `${RED}${l}${RESET}` : l)),
      );
      return errorOf('ExpectFailed', evalue, traceback);
    }
    if (interrupted) {
      const finished = experiments.reduce((n, e) => n + e.runs.length, 0);
      const evalue = `Interrupted: ${finished} of ${plans.length} plan(s) finished; their results are shown above.`;
      return errorOf('KeyboardInterrupt', evalue, [`${RED}KeyboardInterrupt${RESET}: ${evalue}`]);
    }
    return { status: 'ok', payload: [] };
  }

  complete(
    code: string,
    cursor: number,
  ): { matches: string[]; cursorStart: number; cursorEnd: number } {
    // Editor services run on the main thread: a cell too long to compile gets none.
    if (code.length > MAX_CELL_CHARS)
      return { matches: [], cursorStart: cursor, cursorEnd: cursor };
    const m = /^[ \t]*%(\w*)$/.exec(lineBefore(code, cursor));
    if (m) {
      const matches = Object.keys(KERNEL_COMMANDS)
        .filter((k) => k.startsWith(m[1] ?? ''))
        .map((k) => `%${k}`);
      return { matches, cursorStart: cursor - (m[1]?.length ?? 0) - 1, cursorEnd: cursor };
    }
    return complete(code, cursor, this.scope, this.scope);
  }

  inspect(
    code: string,
    cursor: number,
    detail: 0 | 1,
  ): { found: boolean; data: Record<string, string> } {
    if (code.length > MAX_CELL_CHARS) return { found: false, data: {} };
    const r = inspect(code, cursor, detail, this.scope);
    if (r?.found)
      return { found: true, data: { 'text/plain': r.plain, 'text/markdown': r.markdown } };
    // Out of context (a bare `vcpus` on a line of its own), every doc naming the word.
    const docs = docsFor(wordAt(code, cursor));
    return docs ? { found: true, data: { 'text/plain': docs } } : { found: false, data: {} };
  }

  isComplete(code: string): { status: 'complete' | 'incomplete' | 'invalid'; indent?: string } {
    // Complete, so that executing it answers at once that it is too long.
    if (code.length > MAX_CELL_CHARS || isExit(code)) return { status: 'complete' };
    const parts = splitCell(code);
    const last = parts[parts.length - 1];
    if (last === undefined || last.kind === 'command') return { status: 'complete' };
    return isComplete(last.text);
  }
}

/**
 * The progress line's last state. Notebooks redraw the live line in place
 * (update_display_data), but a console that cannot redraw (jupyter console prints
 * display_data and ignores updates) would keep its first state, "0%". So the live
 * line is emptied and the last state shown as an output of its own: every frontend
 * ends with it, once.
 */
function finishProgress(out: CellOutput, displayId: string, last: MimeBundle): void {
  out.updateDisplay({ data: {}, metadata: {} }, displayId);
  out.display(last);
}

/** The text of the cursor's line before the cursor (cursor in code points). */
function lineBefore(code: string, cursor: number): string {
  const before = Array.from(code).slice(0, cursor).join('');
  return before.slice(before.lastIndexOf('\n') + 1);
}

/**
 * `%who`: the session's definitions, one per line, by kind then name, then its lets
 * with their expressions (`let sent_per_ms = pages_sent / total_ms`).
 */
function whoBundle(scope: Scope): MimeBundle {
  const kinds = ['vm', 'tracking', 'costs', 'migration'] as const;
  const lines = [
    ...kinds.flatMap((k) => [...scope[k].keys()].sort().map((name) => `${k} ${name}`)),
    ...[...(scope.lets ?? new Map())]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, l]) => `let ${name} = ${l.text}`),
  ];
  const text = lines.length > 0 ? lines.join('\n') : 'no definitions';
  return { data: { 'text/plain': text }, metadata: {} };
}

/** The identifier (or `%command`) around the cursor (a code-point offset). */
function wordAt(code: string, cursor: number): string {
  const chars = Array.from(code);
  let a = cursor;
  let b = cursor;
  while (a > 0 && /[\w%]/.test(chars[a - 1] ?? '')) a--;
  while (b < chars.length && /\w/.test(chars[b] ?? '')) b++;
  return chars.slice(a, b).join('');
}

/** `%help WORD`: every piece of documentation that names WORD. */
export function helpText(word: string): string {
  const w = word.trim();
  if (w === '') return overview();
  return docsFor(w) ?? `No documentation for '${w}'. '%help' lists the statements and commands.`;
}

/** Every piece of documentation that names `w`, or undefined when there is none. */
function docsFor(w: string): string | undefined {
  if (w === '') return undefined;
  const found: string[] = [];
  if (keywordDocs()[w]) found.push(`${w} (statement): ${keywordDocs()[w]}`);
  for (const [block, docs] of Object.entries(FIELD_DOCS)) {
    if (docs[w]) found.push(`${w} (in ${block}): ${docs[w]}`);
  }
  if (VALUE_DOCS[w]) found.push(`${w} (value): ${VALUE_DOCS[w]}`);
  if (sweepWordDocs()[w] && !keywordDocs()[w])
    found.push(`${w} (in a value): ${sweepWordDocs()[w]}`);
  if (UNIT_DOCS[w]) found.push(`${w} (unit): ${UNIT_DOCS[w]}`);
  const aggregate = /^p[1-9][0-9]?$/.test(w) ? 'pN' : w;
  const aggregateDoc = Object.entries(AGGREGATE_DOCS).find(([k]) => k === aggregate)?.[1];
  if (aggregateDoc) found.push(`${w} (aggregate): ${aggregateDoc}`);
  if (SUMMARY_COLUMN_DOCS[w]) found.push(`${w} (column of the summary): ${SUMMARY_COLUMN_DOCS[w]}`);
  const command = KERNEL_COMMANDS[w.replace(/^%/, '')];
  if (command) found.push(command);
  return found.length > 0 ? found.join('\n\n') : undefined;
}
