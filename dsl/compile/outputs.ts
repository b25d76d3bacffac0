/**
 * Outputs: `table`, `export`, `plot`, `plot progress` and `expect` checked against the
 * result tables, their columns (columns.ts: known before the run), the axes of the runs
 * in scope and the lets, and compiled to plain data; rendering them is the front ends'
 * job, evaluating their expressions and aggregates the library's.
 */
import type { ColumnInfo } from '../../engine/results.ts';
import type {
  AggregateNode,
  ExpectStatement,
  PredictStatement,
  ExportOutput,
  ExprNode,
  Name,
  PlotOutput,
  RowQueryNode,
  Span,
  TableOutput,
} from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import {
  EXPORT_FORMATS,
  FIGURE_FORMATS,
  PLOT_X,
  PLOT_Y,
  TABLE_FILE_FORMATS,
  TABLE_VIEWS,
} from '../schema.ts';
import { columnDidYouMean, compileExpr } from './expr.ts';
import { PREDICT_OPS, predictedAxis } from './predict.ts';
import type { PredictOutput } from './predict.ts';
import type { ExprNames } from './expr.ts';
import { AGGREGATE_OPS, PLOT_ERRORS, PLOT_MARKS } from './experiment-types.ts';
import type {
  Aggregate,
  Axis,
  ExpectOutput,
  Expr,
  PlotExtension,
  PlotLog,
  ProgressOutput,
  RowQuery,
} from './experiment-types.ts';

export type TableView = (typeof TABLE_VIEWS)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type FigureFormat = (typeof FIGURE_FORMATS)[number];
export type TableFileFormat = (typeof TABLE_FILE_FORMATS)[number];

/** Outputs are plain data; rendering them is the views' job. */
export type CompiledOutput =
  | ({
      kind: 'table';
      views: TableView[];
      /** `table V with a, b`: the columns to show, in this order; absent shows all. */
      columns?: string[];
      /**
       * `table summary all`: every column of a table of runs; without it (and without
       * `with` or aggregates) a view that has headline columns shows those.
       */
      all?: true;
      line: number;
    } & RowQuery)
  | {
      kind: 'export';
      views: TableView[];
      /** The directory as written, relative to the .mmu file's directory. */
      dir: string;
      format: Exclude<ExportFormat, TableFileFormat>;
      line: number;
    }
  | ({
      /** `export VIEW [where] [by ... AGG ...] to "FILE" as latex|markdown`: one table, one file. */
      kind: 'export-table';
      view: TableView;
      /** The file as written, relative to the .mmu file's directory. */
      file: string;
      format: TableFileFormat;
      line: number;
    } & RowQuery)
  | {
      /** `export plot NAME to "FILE" [as svg|pdf|png]`: the named plot as an image. */
      kind: 'export-plot';
      plot: string;
      file: string;
      format: FigureFormat;
      line: number;
    }
  | ({
      kind: 'plot';
      /** The words as written: `plot remaining over time`. */
      y: string;
      x: string;
      /**
       * The result table and its columns. `timeline` and `iterations` draw one line per
       * plan; any other table draws across runs (a point per X value, the mean of its rows).
       */
      table: TableView;
      xColumn: string;
      /** The first Y column (all of them: `yColumns`). */
      yColumn: string;
      line: number;
      /** `plot NAME = ...`. */
      name?: string;
      /** `title "..."`, `xtitle "..."`, `ytitle "..."`: in place of the titles made from the columns. */
      title?: string;
      xTitle?: string;
      yTitle?: string;
      /** `size 600x400`: pixels. */
      size?: { width: number; height: number };
    } & PlotExtension)
  | ProgressOutput
  | ExpectOutput
  | PredictOutput;

/** The statements that are outputs. */
export type OutputStatement =
  TableOutput | ExportOutput | PlotOutput | ExpectStatement | PredictStatement;

/** What an output can name: the columns of each table with the lets, and the axes in scope. */
export interface OutputContext {
  /** The names an expression (or `by`, a plotted column) over a table can use. */
  names(view: TableView): ExprNames;
  /** The axes of the runs in scope: a plot across runs must place each. */
  axes: readonly Axis[];
  /** The text the statements come from (`expect` keeps its statement as written). */
  text: string;
  /** The names of this text's plots (`plot NAME = ...`), for `export plot NAME`. */
  plots: ReadonlySet<string>;
}

/** An output statement compiled, or undefined when it has an error (reported). */
export function compileOutput(
  s: OutputStatement,
  ctx: OutputContext,
  diags: Diagnostic[],
): CompiledOutput | undefined {
  switch (s.kind) {
    case 'table':
      return compileTable(s, ctx, diags);
    case 'export':
      return compileExport(s, ctx, diags);
    case 'plot':
      return compilePlot(s, ctx, diags);
    case 'expect':
      return compileExpect(s, ctx, diags);
    case 'predict':
      return compilePredict(s, ctx, diags);
  }
}

function compileTable(
  s: TableOutput,
  ctx: OutputContext,
  diags: Diagnostic[],
): CompiledOutput | undefined {
  const views = checkViews(s.views, diags);
  if (!views) return undefined;
  const before = diags.length;
  const query = rowQuery(s, views, ctx, diags);
  if (!query) return undefined;
  // The columns `with` names, known before the run: a grouped table's are its by
  // columns and aggregates; a table of runs has each view's (columns.ts), so
  // `table summary with total_time` is an error here, not after the simulation.
  if (query.query.by || query.query.aggregates)
    for (const c of s.columns ?? [])
      if (query.names.lookup(c.text) === undefined) unknownColumn(c, query.names, diags);
  for (const view of query.query.by || query.query.aggregates ? [] : views) {
    const names = ctx.names(view);
    const unknown = (s.columns ?? []).filter((c) => names.lookup(c.text) === undefined);
    for (const c of unknown) unknownColumn(c, names, diags);
    if (unknown.length > 0) break; // one view's mistakes are reported once
  }
  if (diags.length > before) return undefined;
  // `all` asks for every column; `with` and a grouped table choose their own.
  if (s.all && (s.columns || query.query.by || query.query.aggregates))
    diags.push(
      diagnostic(
        'warning',
        C.AllWithColumns,
        s.all,
        `'all' shows every column, but this table shows ${s.columns ? 'the columns `with` names' : 'its groups and aggregates'}.`,
        `Remove \`all\` to keep ${s.columns ? 'these columns' : 'the groups'}, or ${s.columns ? '`with ...`' : '`by ...` and the aggregates'} to see every column.`,
      ),
    );
  return {
    kind: 'table',
    views,
    ...query.query,
    ...(s.columns ? { columns: s.columns.map((c) => c.text) } : {}),
    ...(s.all ? { all: true as const } : {}),
    line: s.span.line,
  };
}

/**
 * The `where`, `by` and aggregates of a table or expect over `views` (each checked in
 * every view), and the names its rows then have: the by columns and aggregates when
 * it aggregates, else the view's.
 */
function rowQuery(
  s: RowQueryNode,
  views: readonly TableView[],
  ctx: OutputContext,
  diags: Diagnostic[],
): { query: RowQuery; names: ExprNames } | undefined {
  const before = diags.length;
  let where: Expr | undefined;
  const columns = new Map<string, ColumnInfo>();
  const aggregates: Aggregate[] = [];
  let broken = false;
  for (const [i, view] of views.entries()) {
    // Each view is checked; the first view's problems are reported, a later view's
    // only when the first had none (so one mistake is reported once).
    const out = i === 0 || diags.length === before ? diags : [];
    const names = ctx.names(view);
    if (s.where) {
      const w = compileExpr(s.where, names, out, { type: 'boolean', what: 'A where condition' });
      if (i === 0) where = w?.expr;
    }
    for (const b of s.by ?? []) {
      const info = names.lookup(b.text);
      if (!info) unknownColumn(b, names, out, true);
      else if (i === 0) columns.set(b.text, info);
      if (!info && names.broken?.(b.text) === true) broken = true;
    }
    for (const a of s.aggregates ?? []) {
      if (a.column && names.broken?.(a.column.text) === true) broken = true;
      const agg = aggregate(a, names, out);
      if (agg && i === 0) {
        aggregates.push(agg.aggregate);
        columns.set(agg.aggregate.name, agg.info);
      }
    }
  }
  // A let with an error is reported where it is defined; what its columns would make
  // (`mean_x` of `mean x`) is not known, so nothing more is said here.
  if (diags.length > before || broken) return undefined;
  const aggregated = s.by !== undefined || s.aggregates !== undefined;
  const query: RowQuery = {
    ...(where ? { where } : {}),
    ...(s.by ? { by: s.by.map((b) => b.text) } : {}),
    ...(s.aggregates ? { aggregates } : {}),
  };
  if (aggregated && !s.aggregates) columns.set('n', { name: 'n', type: 'number' });
  const viewNames = ctx.names(views[0]);
  const names: ExprNames = aggregated
    ? {
        lookup: (n) => columns.get(n),
        names: () => columns.keys(),
        place: `the grouped ${views[0]} table`,
      }
    : viewNames;
  return { query, names };
}

/** One aggregate checked: its op, its column (a number), and the column it makes. */
function aggregate(
  a: AggregateNode,
  names: ExprNames,
  diags: Diagnostic[],
): { aggregate: Aggregate; info: ColumnInfo } | undefined {
  const op = a.op.text;
  if (op === 'n') {
    if (a.column) {
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          a.column.span,
          '`n` counts rows and takes no column.',
          'Write `n` alone, e.g. `by tracking n`.',
        ),
      );
      return undefined;
    }
    return { aggregate: { op: 'n', name: 'n', span: a.span }, info: { name: 'n', type: 'number' } };
  }
  const known = AGGREGATE_OPS.find((o) => o === op);
  const p = /^p([1-9][0-9]?)$/.exec(op);
  if (!known && !p) {
    diags.push(
      diagnostic(
        'error',
        C.UnknownValue,
        a.op.span,
        `Unknown aggregate '${op}'.${didYouMeanWord(op, [...AGGREGATE_OPS, 'p95', 'n'])}`,
        `Aggregates are ${oneOf([...AGGREGATE_OPS, 'pN (p1..p99)', 'n'])}.`,
      ),
    );
    return undefined;
  }
  if (!a.column) {
    diags.push(
      diagnostic(
        'error',
        C.MissingArgument,
        a.op.span,
        `\`${op}\` needs the column it aggregates.`,
        `Write \`${op} COLUMN\`, e.g. \`${op} downtime_ms\`.`,
      ),
    );
    return undefined;
  }
  const column = a.column.text;
  const info = names.lookup(column);
  if (!info) {
    unknownColumn(a.column, names, diags);
    return undefined;
  }
  if (info.type !== 'number') {
    diags.push(
      diagnostic(
        'error',
        C.AggregateOfText,
        a.column.span,
        `Cannot take the ${op} of '${column}': it holds ${info.type === 'text' ? 'text' : 'true/false values'}.`,
        `Group by it instead (\`by ${column}\`), or count rows with \`n\`.`,
      ),
    );
    return undefined;
  }
  const name = `${op}_${column}`;
  // A variance is in the square of the unit: it is left without one.
  const unit = op === 'var' ? undefined : info.unit;
  const out: ColumnInfo = { name, type: 'number', ...(unit === undefined ? {} : { unit }) };
  if (p) {
    return {
      aggregate: { op: 'percentile', p: Number(p[1]), column, name, span: a.span },
      info: out,
    };
  }
  if (!known) return undefined;
  return { aggregate: { op: known, column, name, span: a.span }, info: out };
}

/** Reports an unknown column, with "did you mean" among the names of its place. */
function unknownColumn(c: Name, names: ExprNames, diags: Diagnostic[], inBy = false): void {
  // Empty: left out by recovery; a let whose definition has an error: reported there.
  if (c.text === '' || names.broken?.(c.text) === true) return;
  const aggregateWord = inBy && (c.text === 'n' || AGGREGATE_OPS.some((o) => o === c.text));
  diags.push(
    diagnostic(
      'error',
      C.UnknownColumn,
      c.span,
      `Unknown column '${c.text}' in ${names.place}.${aggregateWord ? '' : columnDidYouMean(c.text, names.names())}`,
      aggregateWord
        ? `\`${c.text}\` is an aggregate: write it after the by columns without a comma (\`by tracking ${c.text === 'n' ? 'n' : `${c.text} downtime_ms`}\`).`
        : `Name a column of ${names.place}, an axis or a \`let\`.`,
    ),
  );
}

function compileExport(
  s: ExportOutput,
  ctx: OutputContext,
  diags: Diagnostic[],
): CompiledOutput | undefined {
  const pathOk = s.dir.trim() !== '';
  if (!pathOk)
    diags.push(
      diagnostic(
        'error',
        C.EmptyExportPath,
        s.dirSpan,
        s.plot ? "The figure's file name is empty." : 'The export directory is empty.',
        s.plot
          ? 'Name a file relative to this file, like "figures/downtime.svg".'
          : 'Name a directory relative to this file, like "results/".',
      ),
    );
  if (s.plot) return compilePlotExport(s, s.plot, ctx, pathOk, diags);
  const views = checkViews(s.views, diags);
  const format = checkExportFormat(s.format, diags);
  if (!views || !format || !pathOk) return undefined;
  const tableFile = TABLE_FILE_FORMATS.find((f) => f === format);
  if (format === 'csv' || format === 'arrow') {
    const query = s.where ?? s.by?.[0] ?? s.aggregates?.[0];
    if (query !== undefined) {
      diags.push(
        diagnostic(
          'error',
          C.ExportShape,
          'span' in query ? query.span : s.span,
          `\`export ... as ${format}\` writes every row of every run; it takes no where, by or aggregates.`,
          `Export the tidy tables and filter when reading them, or write one grouped table with \`as ${TABLE_FILE_FORMATS.join('` or `as ')}\` to a file.`,
        ),
      );
      return undefined;
    }
    return { kind: 'export', views, dir: s.dir, format, line: s.span.line };
  }
  if (tableFile === undefined) return undefined;
  if (views.length > 1) {
    diags.push(
      diagnostic(
        'error',
        C.ExportShape,
        s.views[1].span,
        `\`as ${tableFile}\` writes one table to one file, but ${views.length} tables are named.`,
        `Export one table per statement: \`export ${views[0]} to "${s.dir}" as ${tableFile}\`.`,
      ),
    );
    return undefined;
  }
  const query = rowQuery(s, views, ctx, diags);
  if (!query) return undefined;
  return {
    kind: 'export-table',
    view: views[0],
    file: s.dir,
    format: tableFile,
    ...query.query,
    line: s.span.line,
  };
}

/** `export plot NAME to "FILE" [as svg|pdf|png]`: the format from `as`, else the extension. */
function compilePlotExport(
  s: ExportOutput,
  plot: Name,
  ctx: OutputContext,
  pathOk: boolean,
  diags: Diagnostic[],
): CompiledOutput | undefined {
  const before = diags.length;
  if (plot.text !== '' && !ctx.plots.has(plot.text)) {
    const named = [...ctx.plots];
    diags.push(
      diagnostic(
        'error',
        C.UnknownPlotName,
        plot.span,
        `No plot is named '${plot.text}' in this text.${didYouMean(plot.text, named)}`,
        named.length
          ? `Plots named here: ${named.join(', ')}.`
          : `Name a plot with \`plot ${plot.text} = Y over X\` before exporting it.`,
      ),
    );
  }
  let format: FigureFormat | undefined;
  if (s.format) format = checkWord(s.format, FIGURE_FORMATS, 'figure format', diags);
  else if (pathOk) {
    const ext = /\.([A-Za-z]+)$/.exec(s.dir)?.[1]?.toLowerCase();
    format = FIGURE_FORMATS.find((f) => f === ext);
    if (format === undefined)
      diags.push(
        diagnostic(
          'error',
          C.UnknownExportFormat,
          s.dirSpan,
          `The figure's format cannot be told from '${s.dir}'.`,
          `End the file name in ${FIGURE_FORMATS.map((f) => `.${f}`).join(', ')}, or add \`as ${FIGURE_FORMATS.join('|')}\`.`,
        ),
      );
  }
  if (diags.length > before || !pathOk || format === undefined || plot.text === '')
    return undefined;
  return { kind: 'export-plot', plot: plot.text, file: s.dir, format, line: s.span.line };
}

/** `plot progress`, a plot of a timeline or the iterations, or a plot across runs. */
function compilePlot(
  s: PlotOutput,
  ctx: OutputContext,
  diags: Diagnostic[],
): CompiledOutput | undefined {
  if (s.x === undefined) return { kind: 'progress', line: s.span.line };
  const x = s.x;
  // A word left out by recovery: the syntax error says so.
  if (x.text === '' || s.ys.some((y) => y.text === '')) return undefined;
  const before = diags.length;
  const once = <T>(what: string, items: readonly T[], span: (t: T) => Span): T | undefined => {
    for (const extra of items.slice(1))
      diags.push(
        diagnostic(
          'error',
          C.DuplicateField,
          span(extra),
          `'${what}' is given twice in this plot.`,
          'Keep one.',
        ),
      );
    return items[0];
  };
  const by = once('by', s.by, (b) => b[0]?.span ?? s.span);
  const whereNode = once('where', s.where, (w) => w.span);
  const option = (key: PlotOutput['options'][number]['key']): Name | undefined =>
    once(
      key,
      s.options.filter((o) => o.key === key),
      (o) => o.keySpan,
    )?.arg;
  const facet = option('facet');
  const mark = checkWord(option('as'), PLOT_MARKS, 'mark', diags);
  const error = checkWord(option('error'), PLOT_ERRORS, 'error bar', diags);
  const log = checkWord(
    option('log'),
    ['x', 'y', 'xy'] as const satisfies readonly PlotLog[],
    'log axis',
    diags,
  );
  const title = option('title');
  const xTitle = option('xtitle');
  const yTitle = option('ytitle');
  const size = plotSize(option('size'), diags);
  const perPlan = PLOT_X[x.text];
  const table: TableView = perPlan ? perPlan.table : 'summary';
  const names = ctx.names(table);
  let xColumn = perPlan?.column;
  if (!xColumn) {
    const info = names.lookup(x.text);
    if (!info && names.broken?.(x.text) !== true) {
      diags.push(
        diagnostic(
          'error',
          C.UnknownValue,
          x.span,
          `Cannot plot over '${x.text}'.${columnDidYouMean(x.text, [...Object.keys(PLOT_X), ...names.names()])}`,
          `Plot over ${oneOf(Object.keys(PLOT_X))} (one line per run), or over a column of the summary table, an axis or a \`let\` (across runs).`,
        ),
      );
    } else xColumn = x.text;
  }
  const yColumns: string[] = [];
  for (const y of s.ys) {
    const column = perPlan ? (PLOT_Y[perPlan.table][y.text] ?? y.text) : y.text;
    const info = names.lookup(column);
    if (info?.type === 'number') {
      yColumns.push(column);
      continue;
    }
    if (!info && names.broken?.(column) === true) continue;
    const aliases = perPlan ? Object.keys(PLOT_Y[perPlan.table]) : [];
    diags.push(
      diagnostic(
        'error',
        info ? C.TypeMismatch : C.UnknownValue,
        y.span,
        info
          ? `Cannot plot '${y.text}': it holds text.`
          : `Cannot plot '${y.text}' over ${x.text}.${columnDidYouMean(y.text, [...aliases, ...names.names()])}`,
        perPlan
          ? `Over ${x.text} you can plot ${oneOf(aliases)} or a number column of the ${perPlan.table} table.`
          : 'Plot a number column of the summary table or a `let` (`downtime_ms`, `total_ms`, ...).',
      ),
    );
  }
  for (const b of by ?? []) if (!names.lookup(b.text)) unknownColumn(b, names, diags);
  if (facet && !names.lookup(facet.text)) unknownColumn(facet, names, diags);
  const where = whereNode
    ? compileExpr(whereNode, names, diags, { type: 'boolean', what: 'A where condition' })
    : undefined;
  if (!perPlan && xColumn) {
    const placed = new Set([
      xColumn,
      ...(by ?? []).map((b) => b.text),
      ...(facet ? [facet.text] : []),
    ]);
    for (const c of whereNode ? pinned(whereNode) : []) placed.add(c);
    for (const a of ctx.axes) {
      // A field that differs between named definitions follows the name (`tracking`).
      if (placed.has(a.column) || a.values.length < 2 || a.source === 'differs') continue;
      diags.push(
        diagnostic(
          'error',
          C.UnplottedAxis,
          x.span,
          `'${a.column}' varies between the runs (${a.values.slice(0, 4).join(', ')}${a.values.length > 4 ? ', ...' : ''}) but is neither the x axis, a \`by\` column nor the facet of this plot: its runs would be averaged together.`,
          `Add \`by ${a.column}\` or \`facet ${a.column}\`, or keep one value with \`where ${a.column} = ${String(a.values[0])}${a.unit ?? ''}\`.`,
        ),
      );
    }
  }
  if (diags.length > before || !xColumn || yColumns.length !== s.ys.length) return undefined;
  return {
    kind: 'plot',
    y: s.ys[0].text,
    x: x.text,
    table,
    xColumn,
    yColumn: yColumns[0],
    ...(yColumns.length > 1 ? { yColumns } : {}),
    ...(by ? { by: by.map((b) => b.text) } : {}),
    ...(facet ? { facet: facet.text } : {}),
    ...(where ? { where: where.expr } : {}),
    ...(mark ? { mark } : {}),
    ...(error ? { error } : {}),
    ...(log ? { log } : {}),
    ...(s.name ? { name: s.name.text } : {}),
    ...(title ? { title: title.text } : {}),
    ...(xTitle ? { xTitle: xTitle.text } : {}),
    ...(yTitle ? { yTitle: yTitle.text } : {}),
    ...(size ? { size } : {}),
    line: s.span.line,
  };
}

/** The smallest and largest side of a plot, in pixels (`size 600x400`). */
const PLOT_SIDE = { min: 100, max: 10_000 } as const;

/** `size WIDTHxHEIGHT` in pixels, or undefined (reported when malformed). */
function plotSize(
  arg: Name | undefined,
  diags: Diagnostic[],
): { width: number; height: number } | undefined {
  if (!arg || arg.text === '') return undefined;
  const m = /^(\d+)x(\d+)$/.exec(arg.text);
  const [width, height] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  const ok = (n: number): boolean => n >= PLOT_SIDE.min && n <= PLOT_SIDE.max;
  if (ok(width) && ok(height)) return { width, height };
  diags.push(
    diagnostic(
      'error',
      C.UnknownValue,
      arg.span,
      m
        ? `A plot's size is ${PLOT_SIDE.min} to ${PLOT_SIDE.max} pixels a side, not ${arg.text}.`
        : `'${arg.text}' is no plot size.`,
      'Write the width and height in pixels, like `size 600x400`.',
    ),
  );
  return undefined;
}

/** The columns a condition holds to one value: `a = v` and its `and`s (`where vcpus = 4`). */
function pinned(e: ExprNode): string[] {
  if (e.kind === 'paren') return pinned(e.inner);
  if (e.kind !== 'binary') return [];
  if (e.op === 'and') return [...pinned(e.left), ...pinned(e.right)];
  if (e.op !== '=') return [];
  return [e.left, e.right].flatMap((x) => (x.kind === 'word' ? [x.text] : []));
}

/**
 * The standard deviation's names: aggregates say `stdev` (as spreadsheets do), error
 * bars `sd` (as plots' legends do); each is suggested for the other.
 */
const STANDARD_DEVIATION: ReadonlySet<string> = new Set(['sd', 'std', 'stdev', 'stddev', 'sdev']);

/** " Did you mean 'x'?" among `known` for a word of a closed set, its synonyms included. */
function didYouMeanWord(word: string, known: readonly string[]): string {
  const synonym = STANDARD_DEVIATION.has(word)
    ? known.find((k) => k !== word && STANDARD_DEVIATION.has(k))
    : undefined;
  return synonym === undefined ? didYouMean(word, known) : ` Did you mean '${synonym}'?`;
}

/** A word from a closed set (`as bar`, `error ci95`, `log y`), or undefined after reporting it. */
function checkWord<T extends string>(
  w: Name | undefined,
  known: readonly T[],
  what: string,
  diags: Diagnostic[],
): T | undefined {
  if (!w || w.text === '') return undefined;
  const found = known.find((k) => k === w.text);
  if (found) return found;
  diags.push(
    diagnostic(
      'error',
      C.UnknownValue,
      w.span,
      `Unknown ${what} '${w.text}'.${didYouMeanWord(w.text, known)}`,
      `Write ${oneOf(known)}.`,
    ),
  );
  return undefined;
}

/** `expect [all|any] VIEW [where ...] [by ... AGG ...] : CONDITION`. */
function compileExpect(
  s: ExpectStatement,
  ctx: OutputContext,
  diags: Diagnostic[],
): CompiledOutput | undefined {
  const views = checkViews([s.view], diags);
  if (!views) return undefined;
  const query = rowQuery(s, views, ctx, diags);
  if (!query) return undefined;
  const condition = compileExpr(s.condition, query.names, diags, {
    type: 'boolean',
    what: 'The condition of an expect',
  });
  if (!condition) return undefined;
  return {
    kind: 'expect',
    quantifier: s.quantifier ?? 'all',
    view: views[0],
    ...query.query,
    condition: condition.expr,
    text: ctx.text.slice(s.span.offset, s.span.offset + s.span.length),
    line: s.span.line,
  };
}

/** The views of a `table` or `export`, or undefined after reporting an unknown one. */
function checkViews(names: readonly Name[], diags: Diagnostic[]): TableView[] | undefined {
  const views: TableView[] = [];
  for (const v of names) {
    const view = TABLE_VIEWS.find((t) => t === v.text);
    if (view) views.push(view);
    else
      diags.push(
        diagnostic(
          'error',
          C.UnknownValue,
          v.span,
          `Unknown table '${v.text}'.${didYouMean(v.text, TABLE_VIEWS)}`,
          `Tables are ${oneOf(TABLE_VIEWS)}.`,
        ),
      );
  }
  return views.length === names.length ? views : undefined;
}

/** The format of `export ... as FORMAT` (csv when omitted), or undefined after reporting it. */
function checkExportFormat(
  format: Name | undefined,
  diags: Diagnostic[],
): ExportFormat | undefined {
  if (format === undefined) return EXPORT_FORMATS[0];
  const known = EXPORT_FORMATS.find((f) => f === format.text);
  if (known) return known;
  diags.push(
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

/** `predict COLUMN for [AXIS] A OP B`: COLUMN a number of the summary, A and B values of one axis. */
function compilePredict(
  s: PredictStatement,
  ctx: OutputContext,
  diags: Diagnostic[],
): CompiledOutput | undefined {
  if ([s.column, s.left, s.op, s.right].some((n) => n.text === '')) return undefined;
  const before = diags.length;
  const names = ctx.names('summary');
  const info = names.lookup(s.column.text);
  if (!info) unknownColumn(s.column, names, diags);
  else if (info.type !== 'number')
    diags.push(
      diagnostic(
        'error',
        C.TypeMismatch,
        s.column.span,
        `Cannot predict '${s.column.text}': it holds text, and a prediction compares means.`,
        'Predict a number column of the summary table or a `let`, like `downtime_ms`.',
      ),
    );
  const op = PREDICT_OPS.find((o) => o === s.op.text);
  const predicted = predictedAxis(s, ctx.axes, diags);
  if (diags.length > before || !op || !predicted) return undefined;
  return {
    kind: 'predict',
    column: s.column.text,
    axis: predicted.axis.column,
    left: predicted.left,
    op,
    right: predicted.right,
    text: ctx.text.slice(s.span.offset, s.span.offset + s.span.length),
    line: s.span.line,
  };
}
