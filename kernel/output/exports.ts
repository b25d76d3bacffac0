import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { CompiledOutput, ExportFormat, LetDefinition } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { arrowTables, writeArrowTable } from './arrow.ts';
import { writeCsvs } from './csv.ts';
import { environmentEntries } from './environment.ts';
import type { RunEnvironment } from './environment.ts';
import { tableOutputTable } from '../experiment/views.ts';
import { plotFigure } from './figures.ts';
import type { PlotOutput } from './figures.ts';
import { imageWithProvenance } from './image-provenance.ts';
import { paperTable } from './paper-table.ts';

/**
 * Results as files: `export V, ... to "DIR" [as csv|arrow]` in every front end, and
 * the command line's `--csv DIR` and `--arrow DIR`. CSV is one file per table and plan
 * (csv.ts), Arrow one file per table holding every plan (arrow.ts); both carry the
 * provenance of every run.
 */

/** Which tables to write where, and how. */
export interface ExportRequest {
  format: ExportFormat;
  /** Absolute; created if missing. */
  dir: string;
  views: readonly ResultTableName[];
}

/** What the files say they come from. */
export interface ExportSource {
  /** The program's file name (`plan.mmu`), or `notebook`. */
  source: string;
  /** `i/N` when the runs are one shard's: recorded in Arrow files (`mmulab merge`). */
  shard?: string;
  /** The source texts' hash, the checkout's commit, Node: recorded with every plan. */
  environment?: RunEnvironment;
}

/** Write `request`'s tables of `experiments`; returns the paths written, in order. */
export function writeExport(
  experiments: readonly ExperimentRun[],
  request: ExportRequest,
  from: ExportSource,
): string[] {
  if (request.format === 'csv')
    return writeCsvs(request.dir, experiments, from.source, request.views, from.environment);
  const tables = arrowTables(experiments, from.source, from.environment).filter((t) =>
    request.views.includes(t.table),
  );
  return tables.map((t) => writeArrowTable(request.dir, t, from.shard));
}

export type ExportOutput = Extract<
  CompiledOutput,
  { kind: 'export' | 'export-table' | 'export-plot' }
>;

/** Whether an output writes files (and shows nothing). */
export function isExportOutput(o: CompiledOutput): o is ExportOutput {
  return o.kind === 'export' || o.kind === 'export-table' || o.kind === 'export-plot';
}

/** Where an export writes, as written: the directory, or the file. */
export function exportTarget(o: ExportOutput): string {
  return o.kind === 'export' ? o.dir : o.file;
}

/** What an export wrote, for the line that says so: `CSV`, `LaTeX`, `SVG`. */
export function exportKind(o: ExportOutput): string {
  const names: Record<ExportOutput['format'], string> = {
    csv: 'CSV',
    arrow: 'Arrow',
    latex: 'LaTeX',
    markdown: 'Markdown',
    svg: 'SVG',
    pdf: 'PDF',
    png: 'PNG',
  };
  return names[o.format];
}

/**
 * Every `export` statement of `outputs`, in order, its path resolved against `base`
 * (the .mmu file's directory; a notebook's working directory). Returns each statement
 * with the directory and the paths it wrote. `export plot` draws in headless Chromium
 * (figure-image.ts), hence async; `plots` are the text's plot outputs by name.
 */
export async function writeExports(
  experiments: readonly ExperimentRun[],
  outputs: readonly CompiledOutput[],
  base: string,
  from: ExportSource,
  lets: readonly LetDefinition[] = [],
): Promise<{ output: ExportOutput; dir: string; files: string[] }[]> {
  const written: { output: ExportOutput; dir: string; files: string[] }[] = [];
  for (const output of outputs.filter(isExportOutput)) {
    if (output.kind === 'export') {
      const dir = resolve(base, output.dir);
      const files = writeExport(
        experiments,
        { format: output.format, dir, views: output.views },
        from,
      );
      written.push({ output, dir, files });
      continue;
    }
    const path = resolve(base, output.file);
    const paths = experiments.map((_e, i) => numbered(path, i));
    const provenance = fileProvenance(experiments, from);
    mkdirSync(dirname(path), { recursive: true });
    if (output.kind === 'export-table') {
      experiments.forEach((e, i) =>
        writeFileSync(
          paths[i],
          paperTable(tableOutputTable(e, output.view, output, lets), output.format, provenance),
        ),
      );
    } else {
      const plot = outputs.find(
        (o): o is PlotOutput => o.kind === 'plot' && o.name === output.plot,
      );
      if (plot === undefined) continue; // the compiler reports an unknown name
      const { renderFigures } = await import('./figure-image.ts');
      const images = await renderFigures(
        experiments.map((e) => ({ figure: plotFigure(plot, e, lets) })),
        output.format,
      );
      images.forEach((image, i) =>
        writeFileSync(paths[i], imageWithProvenance(output.format, image, provenance)),
      );
    }
    written.push({ output, dir: dirname(path), files: paths });
  }
  return written;
}

/** `fig.svg` for the first experiment, `fig-2.svg` for the second, and so on. */
function numbered(path: string, i: number): string {
  if (i === 0) return path;
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}-${i + 1}${ext}`;
}

/** What a table or figure file records of the runs it shows. */
export function fileProvenance(
  experiments: readonly ExperimentRun[],
  from: ExportSource,
): [string, string][] {
  const runs = experiments.flatMap((e) => e.runs);
  return [
    ['mmulab_version', runs[0]?.result.provenance.mmulab_version ?? ''],
    ['source', from.source],
    ...environmentEntries(from.environment),
    ['plans', String(runs.length)],
    ['plan_hashes', runs.map((r) => r.result.provenance.plan_hash).join(' ')],
  ];
}
