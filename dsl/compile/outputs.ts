/**
 * Outputs: `table`, `export` and `plot` checked against the result tables, export
 * formats and plot axes of the schema, and compiled to plain data; rendering them is
 * the front ends' job.
 */
import type { ExportOutput, Name, PlotOutput, TableOutput } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { EXPORT_FORMATS, PLOT_X, PLOT_Y, TABLE_VIEWS } from '../schema.ts';
import type { ExpectOutput, PlotExtension, ProgressOutput, RowQuery } from './experiment-types.ts';

export type TableView = (typeof TABLE_VIEWS)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Outputs are plain data; rendering them is the views' job. */
export type CompiledOutput =
  | ({
      kind: 'table';
      views: TableView[];
      /** `table V with a, b`: the columns to show, in this order; absent shows all. */
      columns?: string[];
      line: number;
    } & RowQuery)
  | {
      kind: 'export';
      views: TableView[];
      /** The directory as written, relative to the .mmu file's directory. */
      dir: string;
      format: ExportFormat;
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
    } & PlotExtension)
  | ProgressOutput
  | ExpectOutput;

/** The statements that are outputs. */
export type OutputStatement = TableOutput | ExportOutput | PlotOutput;

/** An output statement compiled, or undefined when it has an error (reported). */
export function compileOutput(s: OutputStatement, diags: Diagnostic[]): CompiledOutput | undefined {
  switch (s.kind) {
    case 'table': {
      const views = checkViews(s.views, diags);
      if (!views) return undefined;
      return {
        kind: 'table',
        views,
        ...(s.columns ? { columns: s.columns.map((c) => c.text) } : {}),
        line: s.span.line,
      };
    }
    case 'export':
      return compileExport(s, diags);
    case 'plot':
      return compilePlot(s, diags);
  }
}

function compileExport(s: ExportOutput, diags: Diagnostic[]): CompiledOutput | undefined {
  const views = checkViews(s.views, diags);
  const format = checkExportFormat(s.format, diags);
  const dirOk = s.dir.trim() !== '';
  if (!dirOk)
    diags.push(
      diagnostic(
        'error',
        C.EmptyExportPath,
        s.dirSpan,
        'The export directory is empty.',
        'Name a directory relative to this file, like "results/".',
      ),
    );
  if (!views || !format || !dirOk) return undefined;
  return { kind: 'export', views, dir: s.dir, format, line: s.span.line };
}

function compilePlot(s: PlotOutput, diags: Diagnostic[]): CompiledOutput | undefined {
  const x = PLOT_X[s.x.text];
  if (!x) {
    diags.push(
      diagnostic(
        'error',
        C.UnknownValue,
        s.x.span,
        `Cannot plot over '${s.x.text}'.${didYouMean(s.x.text, Object.keys(PLOT_X))}`,
        `Plot over ${oneOf(Object.keys(PLOT_X))}.`,
      ),
    );
    return undefined;
  }
  const ys = PLOT_Y[x.table];
  const yColumn = ys[s.y.text];
  if (!yColumn) {
    diags.push(
      diagnostic(
        'error',
        C.UnknownValue,
        s.y.span,
        `Cannot plot '${s.y.text}' over ${s.x.text}.${didYouMean(s.y.text, Object.keys(ys))}`,
        `Over ${s.x.text} you can plot ${oneOf(Object.keys(ys))}.`,
      ),
    );
    return undefined;
  }
  return {
    kind: 'plot',
    y: s.y.text,
    x: s.x.text,
    table: x.table,
    xColumn: x.column,
    yColumn,
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
