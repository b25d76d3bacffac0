/**
 * compile(text): lex, parse, build the AST, check, and lower to the engine's plain
 * data. Never throws on bad input: every problem is a diagnostic. Definitions can
 * come from an earlier `scope` (a Jupyter cell using names of earlier cells), and the
 * result carries the new scope.
 */
import type { Costs } from '../engine/kvm/costs.ts';
import { parseTraceCsv } from '../engine/guest/trace.ts';
import type { MigrationPolicy, RunPlan, TraceRow, TrackingPolicy, VmSpec } from '../engine/plan.ts';
import type {
  Definition,
  DefinitionKind,
  Experiment,
  Name,
  Program,
  Span,
  UseStatement,
  Value,
} from './ast.ts';
import {
  checkBlock,
  checkCombination,
  checkDowntimeCoversOnePage,
  checkMemslots,
  checkRequiredFields,
  bindValue,
} from './check.ts';
import type { Bound, BoundProperty } from './check.ts';
import {
  DiagnosticCode as C,
  diagnostic,
  didYouMean,
  formatDiagnostic,
  oneOf,
} from './diagnostics.ts';
import type { Diagnostic } from './diagnostics.ts';
import { lowerCosts, lowerMigration, lowerTracking, lowerVm } from './lower.ts';
import type { LoadTrace } from './lower.ts';
import { parseProgram } from './parse.ts';
import { EXPORT_FORMATS, FIELDS, PLOT_X, PLOT_Y, TABLE_VIEWS, requiredFields } from './schema.ts';

/** Definitions visible to a text, by kind and name. */
export interface Scope {
  vm: ReadonlyMap<string, VmSpec>;
  tracking: ReadonlyMap<string, TrackingPolicy>;
  costs: ReadonlyMap<string, Partial<Costs>>;
  migration: ReadonlyMap<string, MigrationPolicy>;
}

export const EMPTY_SCOPE: Scope = Object.freeze({
  vm: new Map(),
  tracking: new Map(),
  costs: new Map(),
  migration: new Map(),
});

/** One plan of an experiment, with a label naming what varies: `db/ring/fast/seed=1`. */
export interface LabelledPlan {
  label: string;
  plan: RunPlan;
}

export interface CompiledExperiment {
  mode: 'run' | 'sweep';
  line: number;
  /** One plan for `run`; the cartesian product of every list for `sweep`. */
  plans: LabelledPlan[];
}

export type TableView = (typeof TABLE_VIEWS)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Outputs are plain data; rendering them is the views' job. */
export type CompiledOutput =
  | {
      kind: 'table';
      views: TableView[];
      /** `table V with a, b`: the columns to show, in this order; absent shows all. */
      columns?: string[];
      line: number;
    }
  | {
      kind: 'export';
      views: TableView[];
      /** The directory as written, relative to the .mmu file's directory. */
      dir: string;
      format: ExportFormat;
      line: number;
    }
  | {
      kind: 'plot';
      /** The words as written: `plot remaining over time`. */
      y: string;
      x: string;
      /** The result table and its columns. */
      table: 'timeline' | 'iterations';
      xColumn: string;
      yColumn: string;
      line: number;
    };

export interface CompiledProgram {
  vms: VmSpec[];
  tracking: TrackingPolicy[];
  costs: { name: string; costs: Partial<Costs> }[];
  migrations: MigrationPolicy[];
  experiments: CompiledExperiment[];
  outputs: CompiledOutput[];
}

/** A file read for a `use` or a trace: its text and its name (a resolved path). */
export interface LoadedFile {
  text: string;
  /** Shown in diagnostics and used to detect cycles, so it must name one file one way. */
  file: string;
}

/**
 * Reads a file named in a text. `path` is as written; `fromFile` is the file that
 * names it (undefined for a text without a file), so relative paths can be resolved
 * against it. Returns null when there is no such file. The language never does I/O
 * itself: the command line passes `nodeFileLoader` (node-loader.ts).
 */
export type FileLoader = (path: string, fromFile: string | undefined) => LoadedFile | null;

export interface CompileOptions {
  /** File name shown in diagnostics, and passed to `load` as `fromFile`. */
  file?: string;
  /** Definitions of earlier texts (cells). */
  scope?: Scope;
  /** Reads the files of `use "..."` and `workload trace { file "..." }`; without it they are errors. */
  load?: FileLoader;
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

type Resolved = VmSpec | TrackingPolicy | Partial<Costs> | MigrationPolicy;

const KIND_NOUN: Readonly<Record<DefinitionKind, string>> = {
  vm: 'vm',
  tracking: 'tracking policy',
  costs: 'costs table',
  migration: 'migration policy',
};

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
  const used = d.file !== undefined && d.file !== file ? result.sources.get(d.file) : undefined;
  return formatDiagnostic(used ?? text, d);
}

/** Compile a text to plans. Never throws on bad input. */
export function compile(text: string, options: CompileOptions = {}): CompileResult {
  return compileFile(text, options, { stack: [], done: new Map(), sources: new Map() });
}

/** What one `compile` call shares across the files it uses. */
interface UseContext {
  /** The files being compiled, outermost first: a `use` of one of them is a cycle. */
  stack: string[];
  /** Used files already compiled, by name, with the scope they export. */
  done: Map<string, Scope>;
  sources: Map<string, string>;
}

function compileFile(text: string, options: CompileOptions, ctx: UseContext): CompileResult {
  const self = options.file ?? '<input>';
  const { ast, diagnostics } = parseProgram(text);
  const syntaxLines = new Set(diagnostics.map((d) => d.line));
  const used: Diagnostic[] = [];
  let scope = options.scope ?? EMPTY_SCOPE;
  for (const s of ast.statements) {
    if (s.kind !== 'use') continue;
    const sub = useFile(s, options, { ...ctx, stack: [...ctx.stack, self] }, diagnostics);
    if (!sub) continue;
    used.push(...sub.diagnostics);
    scope = mergeScopes(scope, sub.scope);
  }
  if (ctx.stack.length > 0) warnIgnoredInUsedFile(ast, diagnostics);
  const loadTrace = (path: string, span: Span): TraceRow[] | undefined =>
    traceRows(path, span, options, diagnostics);
  const compiler = new Compiler(scope, diagnostics, syntaxLines, loadTrace);
  const program = compiler.compileProgram(ast);
  if (options.file !== undefined) for (const d of diagnostics) d.file ??= options.file;
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  const all = [...used, ...diagnostics];
  return {
    program,
    diagnostics: all,
    scope: compiler.newScope(),
    ast,
    ok: !all.some((d) => d.severity === 'error'),
    sources: ctx.sources,
  };
}

/**
 * Compile the file a `use` names and return it (its scope holds its definitions and
 * those of the files it uses), or undefined with a diagnostic at the `use`.
 */
function useFile(
  use: UseStatement,
  options: CompileOptions,
  ctx: UseContext,
  diags: Diagnostic[],
): CompileResult | undefined {
  const loaded = loadFile(use.path, use.span, options, diags);
  if (!loaded) return undefined;
  const at = ctx.stack.indexOf(loaded.file);
  if (at >= 0) {
    const cycle = [...ctx.stack.slice(at), loaded.file].join(' -> ');
    diags.push(
      diagnostic(
        'error',
        C.UseCycle,
        use.span,
        `use "${use.path}" makes a cycle: ${cycle}.`,
        'Move the shared definitions into a file that none of them uses.',
      ),
    );
    return undefined;
  }
  const done = ctx.done.get(loaded.file);
  if (done) return { ...emptyResult(), scope: done, sources: ctx.sources };
  ctx.sources.set(loaded.file, loaded.text);
  const sub = compileFile(loaded.text, { file: loaded.file, load: options.load }, ctx);
  ctx.done.set(loaded.file, sub.scope);
  return sub;
}

/** Load a file named in the text (a `use` or a trace), or report why not. */
function loadFile(
  path: string,
  span: Span,
  options: CompileOptions,
  diags: Diagnostic[],
): LoadedFile | undefined {
  if (!options.load) {
    diags.push(
      diagnostic(
        'error',
        C.MissingFile,
        span,
        `Cannot read "${path}": files can only be read when compiling a file.`,
        'Run it with `mmulab run FILE.mmu`, or write the definitions here.',
      ),
    );
    return undefined;
  }
  let loaded: LoadedFile | null;
  try {
    loaded = options.load(path, options.file);
  } catch (e) {
    diags.push(
      diagnostic(
        'error',
        C.MissingFile,
        span,
        `Cannot read "${path}": ${(e as Error).message}.`,
        'Check that the file exists and can be read.',
      ),
    );
    return undefined;
  }
  if (!loaded) {
    diags.push(
      diagnostic(
        'error',
        C.MissingFile,
        span,
        `File "${path}" not found.`,
        `Paths are relative to the file that names them${options.file ? ` (${options.file})` : ''}.`,
      ),
    );
    return undefined;
  }
  return loaded;
}

/** The rows of a `trace` workload's CSV file, or undefined with a diagnostic. */
function traceRows(
  path: string,
  span: Span,
  options: CompileOptions,
  diags: Diagnostic[],
): TraceRow[] | undefined {
  const loaded = loadFile(path, span, options, diags);
  if (!loaded) return undefined;
  try {
    return parseTraceCsv(loaded.text);
  } catch (e) {
    diags.push(
      diagnostic(
        'error',
        C.BadTrace,
        span,
        `Trace "${path}" cannot be read: ${(e as Error).message}.`,
        'A trace is a CSV file with the header time,vcpu,gfn,op.',
      ),
    );
    return undefined;
  }
}

/** A used file shares its definitions only: its runs and outputs would run twice. */
function warnIgnoredInUsedFile(ast: Program, diags: Diagnostic[]): void {
  for (const s of ast.statements) {
    if (s.kind === 'definition' || s.kind === 'use') continue;
    diags.push(
      diagnostic(
        'warning',
        C.IgnoredInUsedFile,
        s.span,
        `This ${s.kind === 'experiment' ? s.mode : s.kind} is ignored: a used file shares only its definitions.`,
        'Move it into the file that uses this one.',
      ),
    );
  }
}

/** `a` with the definitions of `b` added (b wins on a name clash). */
function mergeScopes(a: Scope, b: Scope): Scope {
  return {
    vm: new Map([...a.vm, ...b.vm]),
    tracking: new Map([...a.tracking, ...b.tracking]),
    costs: new Map([...a.costs, ...b.costs]),
    migration: new Map([...a.migration, ...b.migration]),
  };
}

function emptyResult(): CompileResult {
  return {
    program: { vms: [], tracking: [], costs: [], migrations: [], experiments: [], outputs: [] },
    diagnostics: [],
    scope: EMPTY_SCOPE,
    ast: { kind: 'program', statements: [], span: { line: 1, column: 1, offset: 0, length: 0 } },
    ok: true,
    sources: new Map(),
  };
}

function toKind(kind: DefinitionKind): keyof Scope {
  return kind;
}

class Compiler {
  private readonly defs = new Map<string, Definition>();
  private readonly bound = new Map<Definition, BoundProperty[]>();
  private readonly resolved = new Map<string, Resolved | undefined>();
  private readonly visiting = new Set<string>();
  private readonly erroneous = new Set<string>();

  constructor(
    private readonly scope: Scope,
    private readonly diags: Diagnostic[],
    /** Lines with a lexing or parse error: experiments there were recovered, not written. */
    private readonly syntaxLines: ReadonlySet<string | number> = new Set(),
    /** Reads a trace workload's rows (reporting why not); the compiler does no I/O. */
    private readonly loadTrace: LoadTrace = () => undefined,
  ) {}

  compileProgram(ast: Program): CompiledProgram {
    const program: CompiledProgram = {
      vms: [],
      tracking: [],
      costs: [],
      migrations: [],
      experiments: [],
      outputs: [],
    };
    const defs = ast.statements.filter((s): s is Definition => s.kind === 'definition');
    this.checkUniqueDefinitions(defs);
    for (const def of this.defs.values()) {
      const before = this.diags.length;
      const props = checkBlock(def.body, def.defKind, this.diags);
      if (def.defKind === 'vm')
        checkMemslots(
          props.filter((p) => p.key === 'slot'),
          this.diags,
        );
      this.bound.set(def, props);
      if (this.hasErrorSince(before)) this.erroneous.add(keyOf(def.defKind, def.name.text));
    }
    for (const def of this.defs.values()) {
      const r = this.resolve(def);
      if (r === undefined) continue;
      if (def.defKind === 'vm') program.vms.push(r as VmSpec);
      else if (def.defKind === 'tracking') program.tracking.push(r as TrackingPolicy);
      else if (def.defKind === 'migration') {
        program.migrations.push(r as MigrationPolicy);
        checkDowntimeCoversOnePage(r as MigrationPolicy, def.name.span, this.diags);
      } else program.costs.push({ name: def.name.text, costs: r as Partial<Costs> });
    }
    for (const s of ast.statements) {
      if (s.kind === 'experiment') {
        const e = this.compileExperiment(s);
        if (e) program.experiments.push(e);
      } else if (s.kind === 'table') {
        const views = this.checkViews(s.views);
        if (views)
          program.outputs.push({
            kind: 'table',
            views,
            ...(s.columns ? { columns: s.columns.map((c) => c.text) } : {}),
            line: s.span.line,
          });
      } else if (s.kind === 'export') {
        const views = this.checkViews(s.views);
        const format = this.checkExportFormat(s.format);
        const dirOk = s.dir.trim() !== '';
        if (!dirOk)
          this.diags.push(
            diagnostic(
              'error',
              C.EmptyExportPath,
              s.dirSpan,
              'The export directory is empty.',
              'Name a directory relative to this file, like "results/".',
            ),
          );
        if (views && format && dirOk)
          program.outputs.push({
            kind: 'export',
            views,
            dir: s.dir,
            format,
            line: s.span.line,
          });
      } else if (s.kind === 'plot') {
        const x = PLOT_X[s.x.text];
        if (!x) {
          this.diags.push(
            diagnostic(
              'error',
              C.UnknownValue,
              s.x.span,
              `Cannot plot over '${s.x.text}'.${didYouMean(s.x.text, Object.keys(PLOT_X))}`,
              `Plot over ${oneOf(Object.keys(PLOT_X))}.`,
            ),
          );
          continue;
        }
        const ys = PLOT_Y[x.table];
        const yColumn = ys[s.y.text];
        if (!yColumn) {
          this.diags.push(
            diagnostic(
              'error',
              C.UnknownValue,
              s.y.span,
              `Cannot plot '${s.y.text}' over ${s.x.text}.${didYouMean(s.y.text, Object.keys(ys))}`,
              `Over ${s.x.text} you can plot ${oneOf(Object.keys(ys))}.`,
            ),
          );
          continue;
        }
        program.outputs.push({
          kind: 'plot',
          y: s.y.text,
          x: s.x.text,
          table: x.table,
          xColumn: x.column,
          yColumn,
          line: s.span.line,
        });
      }
    }
    return program;
  }

  /** The views of a `table` or `export`, or undefined after reporting an unknown one. */
  checkViews(names: Name[]): TableView[] | undefined {
    const views = names.filter((v) => {
      if ((TABLE_VIEWS as readonly string[]).includes(v.text)) return true;
      this.diags.push(
        diagnostic(
          'error',
          C.UnknownValue,
          v.span,
          `Unknown table '${v.text}'.${didYouMean(v.text, TABLE_VIEWS)}`,
          `Tables are ${oneOf(TABLE_VIEWS)}.`,
        ),
      );
      return false;
    });
    return views.length === names.length ? views.map((v) => v.text as TableView) : undefined;
  }

  /** The format of `export ... as FORMAT` (csv when omitted), or undefined after reporting it. */
  checkExportFormat(format: Name | undefined): ExportFormat | undefined {
    if (format === undefined) return EXPORT_FORMATS[0];
    if ((EXPORT_FORMATS as readonly string[]).includes(format.text))
      return format.text as ExportFormat;
    this.diags.push(
      diagnostic(
        'error',
        C.UnknownExportFormat,
        format.span,
        `Unknown export format '${format.text}'.${didYouMean(format.text, EXPORT_FORMATS)}`,
        `Export as ${oneOf(EXPORT_FORMATS)}.`,
      ),
    );
    return undefined;
  }

  /** `scope` plus this text's error-free definitions. */
  newScope(): Scope {
    const next = {
      vm: new Map(this.scope.vm),
      tracking: new Map(this.scope.tracking),
      costs: new Map(this.scope.costs),
      migration: new Map(this.scope.migration),
    };
    for (const def of this.defs.values()) {
      const key = keyOf(def.defKind, def.name.text);
      const r = this.resolved.get(key);
      if (r === undefined || this.erroneous.has(key)) continue;
      (next[toKind(def.defKind)] as Map<string, Resolved>).set(def.name.text, r);
    }
    return next;
  }

  private hasErrorSince(index: number): boolean {
    return this.diags.slice(index).some((d) => d.severity === 'error');
  }

  /** Two definitions of the same kind may not share a name in one text. */
  private checkUniqueDefinitions(defs: readonly Definition[]): void {
    for (const def of defs) {
      if (!def.name.text) continue;
      const key = keyOf(def.defKind, def.name.text);
      const first = this.defs.get(key);
      if (first) {
        this.diags.push(
          diagnostic(
            'error',
            C.DuplicateDefinition,
            def.name.span,
            `${def.defKind} '${def.name.text}' is already defined on line ${first.name.span.line}.`,
            'Rename one of them, or use `extends` to build on the first.',
          ),
        );
        continue;
      }
      this.defs.set(key, def);
    }
  }

  /** The names of a kind that are visible, for "did you mean". */
  private namesOf(kind: DefinitionKind): string[] {
    const local = [...this.defs.values()].filter((d) => d.defKind === kind).map((d) => d.name.text);
    return [...new Set([...local, ...this.scope[toKind(kind)].keys()])];
  }

  /** Look up a reference: this text first, then the scope. Reports unknown names and kinds. */
  private lookup(kind: DefinitionKind, name: string, span: Span): Resolved | undefined {
    const local = this.defs.get(keyOf(kind, name));
    if (local) return this.resolve(local);
    const fromScope = this.scope[toKind(kind)].get(name);
    if (fromScope) return fromScope;
    const other = (['vm', 'tracking', 'costs', 'migration'] as const).find(
      (k) => k !== kind && (this.defs.has(keyOf(k, name)) || this.scope[k].has(name)),
    );
    if (other) {
      this.diags.push(
        diagnostic(
          'error',
          C.WrongKind,
          span,
          `'${name}' is a ${KIND_NOUN[other]}, not a ${KIND_NOUN[kind]}.`,
          `Name a ${KIND_NOUN[kind]} here${this.namesOf(kind).length ? `: ${oneOf(this.namesOf(kind))}` : ''}.`,
        ),
      );
    } else {
      const names = this.namesOf(kind);
      this.diags.push(
        diagnostic(
          'error',
          C.UnknownName,
          span,
          `Unknown ${KIND_NOUN[kind]} '${name}'.${didYouMean(name, names)}`,
          names.length
            ? `Known: ${oneOf(names)}.`
            : `Define it first: \`${kind} ${name} { ... }\`.`,
        ),
      );
    }
    return undefined;
  }

  /** A definition merged onto its base; undefined when it (or its base) has errors. */
  private resolve(def: Definition): Resolved | undefined {
    const key = keyOf(def.defKind, def.name.text);
    if (this.resolved.has(key)) return this.resolved.get(key);
    if (this.visiting.has(key)) {
      this.diags.push(
        diagnostic(
          'error',
          C.ExtendsCycle,
          def.name.span,
          `${def.defKind} '${def.name.text}' extends itself through a cycle.`,
          'Break the cycle: one definition must stand alone.',
        ),
      );
      this.erroneous.add(key);
      return undefined;
    }
    this.visiting.add(key);
    const before = this.diags.length;
    let base: Resolved | undefined = {};
    if (def.base) {
      base = this.lookup(def.defKind, def.base.text, def.base.span);
      if (base === undefined) this.erroneous.add(key);
    }
    const props = this.bound.get(def) ?? [];
    let result: Resolved | undefined;
    if (base !== undefined) {
      result = this.merge(def, base, props);
      // A field that is written but failed its own checks is present: no second error.
      // A base that resolved has every required field (else it would have an error).
      if (!def.base)
        checkRequiredFields(
          def,
          def.body.properties.map((p) => p.key.text),
          requiredFields(def.defKind),
          this.diags,
        );
    }
    if (this.hasErrorSince(before)) this.erroneous.add(key);
    this.visiting.delete(key);
    const ok = !this.erroneous.has(key) ? result : undefined;
    this.resolved.set(key, ok);
    return ok;
  }

  private merge(def: Definition, base: Resolved, props: BoundProperty[]): Resolved {
    const name = def.name.text;
    switch (def.defKind) {
      case 'vm': {
        const b = base as Partial<VmSpec>;
        const own = lowerVm(props, this.diags, this.loadTrace);
        return { arch: 'x86_64', vcpus: 1, slots: [], workloads: [], ...b, ...own, name } as VmSpec;
      }
      case 'tracking': {
        const b = base as Partial<TrackingPolicy>;
        const own = lowerTracking(props, this.diags);
        const merged = { ...b, ...own, name } as TrackingPolicy;
        if (b.proposals || own.proposals) merged.proposals = { ...b.proposals, ...own.proposals };
        return merged;
      }
      case 'migration':
        return {
          ...(base as Partial<MigrationPolicy>),
          ...lowerMigration(props),
          name,
        } as MigrationPolicy;
      case 'costs':
        return { ...(base as Partial<Costs>), ...lowerCosts(props) };
    }
  }

  /** A list of names from `NAME` or `[A, B]`. */
  private names(v: Value, kind: DefinitionKind): { name: string; value: Resolved }[] | undefined {
    const items = v.kind === 'list' ? v.items : [v];
    const out: { name: string; value: Resolved }[] = [];
    let ok = items.length > 0;
    for (const item of items) {
      if (item.kind !== 'word') {
        this.diags.push(
          diagnostic(
            'error',
            C.UnexpectedArgument,
            item.span,
            `Expected the name of a ${KIND_NOUN[kind]}, got ${item.kind === 'quantity' ? `'${item.text}'` : `a ${item.kind}`}.`,
            'Write a name, or a list of names in [ ].',
          ),
        );
        ok = false;
        continue;
      }
      const r = this.lookup(kind, item.text, item.span);
      if (r === undefined) ok = false;
      else out.push({ name: item.text, value: r });
    }
    return ok ? out : undefined;
  }

  private compileExperiment(e: Experiment): CompiledExperiment | undefined {
    if (this.syntaxLines.has(e.span.line)) return undefined;
    const before = this.diags.length;
    const vms = this.names(e.vm, 'vm');
    const trackings = this.names(e.tracking, 'tracking');
    const migrations = this.names(e.migration, 'migration');
    let costs: { name: string; value: Resolved }[] = [{ name: '', value: {} }];
    let seeds: number[] = [1];
    let repeat = 1;
    const extra: { key: keyof RunPlan; values: number[] }[] = [];
    const seen = new Set<string>();
    for (const opt of e.options) {
      const key = opt.key.text;
      const spec = FIELDS.run[key];
      if (!spec) {
        this.diags.push(
          diagnostic(
            'error',
            C.UnknownField,
            opt.key.span,
            `Unknown ${e.mode} option '${key}'.${didYouMean(key, Object.keys(FIELDS.run))}`,
            `After the migration, ${e.mode} takes ${oneOf(Object.keys(FIELDS.run))}.`,
          ),
        );
        continue;
      }
      const seedKey = key === 'seeds' ? 'seed' : key;
      if (seen.has(seedKey)) {
        this.diags.push(
          diagnostic(
            'error',
            C.DuplicateField,
            opt.key.span,
            `'${key}' is given twice.`,
            'Keep one; use a list [a, b] to vary it.',
          ),
        );
        continue;
      }
      seen.add(seedKey);
      const v = opt.args[0];
      if (!v) continue;
      if (key === 'costs') {
        const r = this.names(v, 'costs');
        if (r) costs = r;
        continue;
      }
      const values = this.numbers(v, key);
      if (!values) continue;
      if (seedKey === 'seed') seeds = values;
      else if (key === 'repeat') repeat = values[0];
      else extra.push({ key: RUN_OPTION[key], values });
    }
    // Repetitions: each seed s becomes s, s+1, ..., s+repeat-1 (once each).
    if (repeat > 1) {
      seeds = [...new Set(seeds.flatMap((s) => Array.from({ length: repeat }, (_, k) => s + k)))];
    }
    if (!vms || !trackings || !migrations || this.hasErrorSince(before)) return undefined;
    const plans: LabelledPlan[] = [];
    const checked = new Set<string>();
    let combos: { label: string[]; plan: Partial<RunPlan> }[] = [{ label: [], plan: {} }];
    const axis = <T>(
      items: T[],
      apply: (p: Partial<RunPlan>, x: T) => void,
      label: (x: T) => string,
    ): void => {
      combos = combos.flatMap((c) =>
        items.map((x) => {
          const plan = { ...c.plan };
          apply(plan, x);
          return { label: [...c.label, label(x)], plan };
        }),
      );
    };
    axis(
      vms,
      (p, x) => (p.vm = x.value as VmSpec),
      (x) => x.name,
    );
    axis(
      trackings,
      (p, x) => (p.tracking = x.value as TrackingPolicy),
      (x) => x.name,
    );
    axis(
      migrations,
      (p, x) => (p.migration = x.value as MigrationPolicy),
      (x) => x.name,
    );
    axis(
      costs,
      (p, x) => {
        if (x.name) p.costs = x.value as Partial<Costs>;
      },
      (x) => (x.name ? `costs=${x.name}` : ''),
    );
    axis(
      seeds,
      (p, x) => (p.seed = x),
      (x) => `seed=${x}`,
    );
    for (const { key, values } of extra) {
      axis(
        values,
        (p, x) => ((p as Record<string, number>)[key] = x),
        (x) => (values.length > 1 ? `${key}=${x}` : ''),
      );
    }
    for (const c of combos) {
      const plan = c.plan as RunPlan;
      const combo = `${plan.vm.name}/${plan.tracking.name}/${plan.migration.name}`;
      if (!checked.has(combo)) {
        checked.add(combo);
        checkCombination(plan.vm, plan.tracking, plan.migration, e.span, this.diags);
      }
      plans.push({ label: c.label.filter(Boolean).join('/'), plan });
    }
    if (e.mode === 'run' && plans.length > 1) {
      this.diags.push(
        diagnostic(
          'error',
          C.RunWithList,
          e.span,
          `This run makes ${plans.length} plans; \`run\` makes one.`,
          'Use `sweep` to run every combination of the lists.',
        ),
      );
    }
    if (this.hasErrorSince(before)) return undefined;
    return { mode: e.mode, line: e.span.line, plans };
  }

  /** A run option's value or values: `7`, `1..5` (inclusive), `[1s, 2s]`. */
  private numbers(v: Value, key: string): number[] | undefined {
    const spec = FIELDS.run[key].args[0];
    if (v.kind === 'range' && spec.type === 'quantity' && spec.dim === 'count') {
      const from = bindValue(v.from, spec, key, this.diags);
      const to = bindValue(v.to, spec, key, this.diags);
      if (from?.type !== 'quantity' || to?.type !== 'quantity') return undefined;
      if (to.n < from.n || to.n - from.n > 10_000) {
        this.diags.push(
          diagnostic(
            'error',
            C.OutOfRange,
            v.span,
            `The range ${v.from.text}..${v.to.text} must go up and hold at most 10001 values.`,
            'Write the first and the last value, smallest first.',
          ),
        );
        return undefined;
      }
      return Array.from({ length: to.n - from.n + 1 }, (_, i) => from.n + i);
    }
    const items = v.kind === 'list' ? v.items : [v];
    const out: number[] = [];
    for (const item of items) {
      const b: Bound | undefined = bindValue(item, spec, key, this.diags);
      if (b?.type !== 'quantity') return undefined;
      out.push(b.n);
    }
    return out;
  }
}

const RUN_OPTION: Readonly<Record<string, keyof RunPlan>> = {
  warmup: 'warmupNs',
  max_time: 'maxTimeNs',
  sample: 'samplePeriodNs',
  slice: 'sliceNs',
};

function keyOf(kind: DefinitionKind, name: string): string {
  return `${kind}:${name}`;
}
