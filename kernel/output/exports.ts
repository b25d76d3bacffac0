import { resolve } from 'node:path';
import type { CompiledOutput, ExportFormat } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { arrowTables, writeArrowTable } from './arrow.ts';
import { writeCsvs } from './csv.ts';
import type { RunEnvironment } from './environment.ts';

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

export type ExportOutput = Extract<CompiledOutput, { kind: 'export' }>;

/**
 * Every `export` statement of `outputs`, in order, its directory resolved against
 * `base` (the .mmu file's directory; a notebook's working directory). Returns each
 * statement with the paths it wrote.
 */
export function writeExports(
  experiments: readonly ExperimentRun[],
  outputs: readonly CompiledOutput[],
  base: string,
  from: ExportSource,
): { output: ExportOutput; dir: string; files: string[] }[] {
  return outputs
    .filter((o): o is ExportOutput => o.kind === 'export')
    .map((output) => {
      const dir = resolve(base, output.dir);
      const files = writeExport(
        experiments,
        { format: output.format, dir, views: output.views },
        from,
      );
      return { output, dir, files };
    });
}
