/**
 * compile(text): lex, parse, build the AST, check, and lower to the engine's plain
 * data. Never throws on bad input: every problem is a diagnostic. Definitions can
 * come from an earlier `scope` (a Jupyter cell using names of earlier cells), and the
 * result carries the new scope.
 *
 * The work is done by one module per concept under compile/: `use` loading (use.ts,
 * files.ts), definitions and `extends` (definitions.ts, with bind.ts, lower.ts and
 * checks.ts), runs and sweeps (experiments.ts, sweep.ts) and outputs (outputs.ts).
 */
import type { Costs } from '../engine/kvm/costs.ts';
import type { MigrationPolicy, TrackingPolicy, VmSpec } from '../engine/plan.ts';
import type { Program, Span, Statement } from './ast.ts';
import { diagnostic, DiagnosticCode, formatDiagnostic, SourceLines } from './diagnostics.ts';
import type { Diagnostic } from './diagnostics.ts';
import { Definitions } from './compile/definitions.ts';
import { compileExperiment } from './compile/experiments.ts';
import { VariantPicker } from './compile/variant.ts';
import type { CompiledVariant } from './compile/variant.ts';
import type { CompiledExperiment } from './compile/experiments.ts';
import { traceRows } from './compile/files.ts';
import type { FileContext, FileLoader } from './compile/files.ts';
import { anyRunColumns, axesOfExperiments, columnsOfExperiments } from './compile/columns.ts';
import { experimentGroups, groupOfOutput } from './compile/output-groups.ts';
import { Lets } from './compile/lets.ts';
import { compileOutput } from './compile/outputs.ts';
import type { CompiledOutput, OutputContext } from './compile/outputs.ts';
import type { Axis, LetDefinition } from './compile/experiment-types.ts';
import { EMPTY_SCOPE } from './compile/scope.ts';
import type { Scope } from './compile/scope.ts';
import { compileUses } from './compile/use.ts';
import {
  compileExplore,
  compileExploreExpect,
  compileProtocol,
  EXPLORE_VIEW,
} from './compile/protocols.ts';
import type { CompiledExplore } from './compile/protocols.ts';
import type { ExpectOutput } from './compile/experiment-types.ts';
import type { Protocol } from '../engine/races/types.ts';
import type { UseContext } from './compile/use.ts';
import { parseProgram } from './parse.ts';

export type { CompiledExperiment } from './compile/experiments.ts';
export type { FileLoader, LoadedFile } from './compile/files.ts';
export type { CompiledOutput, ExportFormat, TableView } from './compile/outputs.ts';
export type {
  Aggregate,
  AggregateOp,
  Axis,
  BinaryOp,
  ExpectOutput,
  Expr,
  ExprFunction,
  LetDefinition,
  ParamValue,
  PlotError,
  PlotExtension,
  PlotLog,
  PlotMark,
  ProgressOutput,
  RowQuery,
} from './compile/experiment-types.ts';
export {
  AGGREGATE_OPS,
  EXPR_FUNCTIONS,
  PLOT_ERRORS,
  PLOT_MARKS,
  flagWord,
} from './compile/experiment-types.ts';
export { EMPTY_SCOPE } from './compile/scope.ts';
export type { DefinitionValues, Scope } from './compile/scope.ts';
export type { LabelledPlan } from './compile/sweep.ts';
export type { CompiledExplore } from './compile/protocols.ts';
export { EXPLORE_COLUMN_TYPES, EXPLORE_VIEW } from './compile/protocols.ts';

export interface CompiledProgram {
  vms: VmSpec[];
  tracking: TrackingPolicy[];
  costs: { name: string; costs: Partial<Costs> }[];
  migrations: MigrationPolicy[];
  experiments: CompiledExperiment[];
  outputs: CompiledOutput[];
  /** The `explore` statements, in order, each with its protocol's IR. */
  explores?: CompiledExplore[];
  /** `expect explore ...`: checked against the table of the explorations. */
  exploreExpects?: ExpectOutput[];
  /**
   * Every `let` in effect for this text's outputs (earlier cells' and this text's), in
   * definition order, each after the lets it uses; a redefinition replaces the earlier.
   */
  lets?: LetDefinition[];
  /** The variant compiled and the values its `vary` bounds took; none when nothing varies. */
  variant?: CompiledVariant;
}

export interface CompileOptions {
  /** File name shown in diagnostics, and passed to `load` as `fromFile`. */
  file?: string;
  /** Definitions of earlier texts (cells). */
  scope?: Scope;
  /** Reads the files of `use "..."` and `workload trace { file "..." }`; without it they are errors. */
  load?: FileLoader;
  /** The variant whose values `vary` bounds take (dsl/compile/variant.ts); default 0. */
  variant?: number;
  /**
   * Only the definitions and `use`s: no experiments, outputs, lets or protocols, and the
   * scope's lets, runs and protocols pass through. The kernel's `%variant N` compiles a
   * session's cells so again, for their definitions to take the new variant's values.
   */
  definitionsOnly?: boolean;
}

export interface CompileResult {
  program: CompiledProgram;
  diagnostics: Diagnostic[];
  /** `scope` plus this text's definitions that have no errors (a redefinition replaces). */
  scope: Scope;
  ast: Program;
  /** No diagnostic is an error. */
  ok: boolean;
  /**
   * The texts of the used files, by name: a diagnostic whose `file` is one of them is
   * rendered with `renderDiagnostic(result, text, d)`.
   */
  sources: ReadonlyMap<string, string>;
}

/** The statements that show or check results: they end a group of experiments. */
const OUTPUT_KINDS: ReadonlySet<Statement['kind']> = new Set([
  'table',
  'plot',
  'expect',
  'predict',
  'export',
]);
/**
 * A diagnostic of `compile(text, { file })` rendered (caret and all) against the text
 * it points into: a used file's, or `text` itself.
 */
export function renderDiagnostic(
  result: CompileResult,
  text: string,
  d: Diagnostic,
  file?: string,
): string {
  return diagnosticRenderer(result, text, file)(d);
}

/**
 * `renderDiagnostic` for many diagnostics of one compile: the lines of each text are
 * found once, so rendering them all is linear in the texts.
 */
export function diagnosticRenderer(
  result: CompileResult,
  text: string,
  file?: string,
): (d: Diagnostic) => string {
  const lines = new Map<string | undefined, SourceLines>();
  return (d) => {
    const used = d.file !== undefined && d.file !== file ? result.sources.get(d.file) : undefined;
    const key = used === undefined ? undefined : d.file;
    let source = lines.get(key);
    if (!source) lines.set(key, (source = new SourceLines(used ?? text)));
    return formatDiagnostic(source, d);
  };
}

/**
 * The names of a text's plots (`plot NAME = Y over X`), for `export plot NAME`: each
 * once, and not on `plot progress`, which draws a chart per plan and so has no one
 * figure to name; both are errors at the name.
 */
function plotNames(statements: readonly Statement[], diags: Diagnostic[]): Set<string> {
  const first = new Map<string, number>();
  for (const s of statements) {
    if (s.kind !== 'plot' || !s.name || s.name.text === '') continue;
    if (s.x === undefined) {
      diags.push(
        diagnostic(
          'error',
          DiagnosticCode.UnexpectedArgument,
          s.name.span,
          `\`plot progress\` draws one chart per plan, so it takes no name: there is no one figure for '${s.name.text}' to name.`,
          'Remove the name; `mmulab figure FILE.mmu` writes the chart of every plan.',
        ),
      );
      continue;
    }
    const line = first.get(s.name.text);
    if (line !== undefined) {
      diags.push(
        diagnostic(
          'error',
          DiagnosticCode.DuplicatePlotName,
          s.name.span,
          `A plot named '${s.name.text}' is already on line ${line}.`,
          '`export plot NAME` writes one figure: give each plot its own name.',
        ),
      );
      continue;
    }
    first.set(s.name.text, s.name.span.line);
  }
  return new Set(first.keys());
}

/** Compile a text to plans. Never throws on bad input. */
export function compile(text: string, options: CompileOptions = {}): CompileResult {
  return compileFile(text, options, { stack: [], done: new Map(), sources: new Map() });
}

function compileFile(text: string, options: CompileOptions, ctx: UseContext): CompileResult {
  const { ast, diagnostics } = parseProgram(text);
  // Lines with a lexing or parse error: experiments there were recovered, not written.
  const syntaxLines = new Set(diagnostics.map((d) => d.line));
  const files: FileContext = { load: options.load, file: options.file };
  const { scope, used, picks } = compileUses(
    ast,
    options.scope ?? EMPTY_SCOPE,
    options.file ?? '<input>',
    files,
    ctx,
    diagnostics,
    (loaded, sub) =>
      compileFile(
        loaded.text,
        { file: loaded.file, load: options.load, variant: options.variant },
        sub,
      ),
    syntaxLines,
  );
  const loadTrace = (path: string, span: Span) => traceRows(path, span, files, diagnostics);
  // A used file's picks come first: they are printed and recorded with this text's.
  const picker = new VariantPicker(options.variant ?? 0, picks);
  const defs = new Definitions(scope, diagnostics, loadTrace, syntaxLines, picker);
  const program: CompiledProgram = {
    ...defs.compile(ast.statements.filter((s) => s.kind === 'definition')),
    experiments: [],
    outputs: [],
  };
  if (options.definitionsOnly) {
    const variant = picker.compiled();
    if (variant) program.variant = variant;
    const all = [...used, ...finishDiagnostics(diagnostics, options.file)];
    return {
      program,
      diagnostics: all,
      scope: { ...scope, ...defs.newScope() },
      ast,
      ok: !all.some((d) => d.severity === 'error'),
      sources: ctx.sources,
    };
  }
  for (const s of ast.statements) {
    if (s.kind !== 'experiment' || syntaxLines.has(s.span.line)) continue;
    const e = compileExperiment(s, defs, diagnostics, picker);
    if (e) program.experiments.push(e);
  }
  // The runs in scope: this text's if it runs any (a notebook cell's outputs read the
  // results of the last cell that ran, as the kernel renders them), else those of the
  // last text that ran; with none, any run's columns.
  const runs = program.experiments.length ? columnsOfExperiments(program.experiments) : scope.runs;
  const lets = new Lets(scope.lets ?? new Map(), runs ?? anyRunColumns(), diagnostics);
  lets.compile(ast.statements.filter((s) => s.kind === 'let'));
  const context: OutputContext = {
    names: (view) => lets.names(view),
    axes: runs?.axes ?? [],
    text,
    plots: plotNames(ast.statements, diagnostics),
  };
  // Each output reads the runs of its group of experiments (output-groups.ts), as the
  // front ends show it: a plot after the first sweep is not checked against the axes of
  // a sweep written below it.
  const outputLines = ast.statements
    .filter(
      (s) => OUTPUT_KINDS.has(s.kind) && !(s.kind === 'expect' && s.view.text === EXPLORE_VIEW),
    )
    .map((s) => s.span.line);
  const groups = experimentGroups(program.experiments, outputLines);
  const groupAxes = groups.length > 1 ? groups.map(axesOfExperiments) : [];
  const axesAt = (s: Statement): readonly Axis[] =>
    groups.length > 1 ? groupAxes[groupOfOutput(s.kind, s.span.line, groups)] : context.axes;
  // An output whose line lacks a comma is read wrong from there on (`by tracking mean x n:`
  // makes `n` a column): the comma is what to fix, and all that is said.
  const commaLines = new Set(
    diagnostics.filter((d) => d.code === DiagnosticCode.MissingComma).map((d) => d.line),
  );
  for (const s of ast.statements) {
    if (commaLines.has(s.span.line)) continue;
    switch (s.kind) {
      case 'table':
      case 'export':
      case 'plot':
      case 'expect':
      case 'predict': {
        // `expect explore ...` checks the table of the `explore` statements.
        if (s.kind === 'expect' && s.view.text === EXPLORE_VIEW) {
          const o = compileExploreExpect(s, text, diagnostics);
          if (o) (program.exploreExpects ??= []).push(o);
          break;
        }
        const o = compileOutput(s, { ...context, axes: axesAt(s) }, diagnostics);
        if (o) program.outputs.push(o);
        break;
      }
    }
  }
  const protocols = compileProtocols(
    ast.statements,
    scope,
    text,
    syntaxLines,
    diagnostics,
    program,
  );
  const variant = picker.compiled();
  if (variant) program.variant = variant;
  const inEffect = lets.ordered();
  if (inEffect.length > 0) program.lets = inEffect;
  const all = [...used, ...finishDiagnostics(diagnostics, options.file)];
  return {
    program,
    diagnostics: all,
    scope: {
      ...defs.newScope(),
      lets: lets.scope(),
      ...(runs ? { runs } : {}),
      ...(protocols.size > 0 ? { protocols } : {}),
    },
    ast,
    ok: !all.some((d) => d.severity === 'error'),
    sources: ctx.sources,
  };
}

/** A text's diagnostics in order of place, each naming `file` unless it names another. */
function finishDiagnostics(diagnostics: Diagnostic[], file: string | undefined): Diagnostic[] {
  if (file !== undefined) for (const d of diagnostics) d.file ??= file;
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * The text's protocols and its `explore` statements (into `program.explores`); returns
 * the protocols in scope after it: earlier texts' and this one's without errors.
 */
function compileProtocols(
  statements: readonly Statement[],
  scope: Scope,
  text: string,
  syntaxLines: ReadonlySet<number>,
  diagnostics: Diagnostic[],
  program: CompiledProgram,
): Map<string, Protocol> {
  const known = new Map(scope.protocols ?? []);
  const mine = new Map<string, Protocol>();
  /** Protocols of this text with errors: an `explore` of one says nothing more. */
  const invalid = new Set<string>();
  for (const s of statements) {
    if (s.kind === 'protocol') {
      const before = diagnostics.length;
      const p = compileProtocol(s, diagnostics);
      if (mine.has(p.name))
        diagnostics.push(
          diagnostic(
            'error',
            DiagnosticCode.DuplicateDefinition,
            s.name.span,
            `Protocol ${p.name} is defined twice in this text; rename one.`,
          ),
        );
      const lines = text.slice(s.span.offset, s.span.offset + s.span.length).split('\n').length;
      const failed =
        diagnostics.slice(before).some((d) => d.severity === 'error') ||
        [...syntaxLines].some((l) => l >= s.span.line && l < s.span.line + lines);
      if (failed) {
        invalid.add(p.name);
        known.delete(p.name);
      } else known.set(p.name, p);
      mine.set(p.name, p);
    } else if (s.kind === 'explore' && !syntaxLines.has(s.span.line)) {
      const e = compileExplore(s, known, invalid, diagnostics);
      if (e) (program.explores ??= []).push(e);
    }
  }
  return known;
}
