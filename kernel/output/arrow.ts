import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from '@uwdata/flechette';
import * as aq from 'arquero';
import { RESULT_TABLES } from '../../engine/results.ts';
import type { Provenance, ResultTableName } from '../../engine/results.ts';
import type { ColumnInfo } from '../../engine/results.ts';
import { columnsOf } from '../experiment/column-info.ts';
import { planTable } from '../experiment/experiment-table.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { provenanceEntries } from './csv.ts';
import { staleFound, staleListText } from './stale-note.ts';
import { environmentEntries } from './environment.ts';
import type { RunEnvironment } from './environment.ts';

/**
 * Arrow IPC files of `mmulab run --arrow DIR` and `mmulab merge`: one file per table
 * (`<table>.arrow`) holding the rows of every plan written, led by `plan_index` and
 * `label` columns and sorted by plan_index. The provenance rides in the Arrow schema's
 * custom metadata (arquero's `toArrow` gives a flechette table whose `schema.metadata`
 * is written by flechette's `tableToIPC`; arquero's own `toArrowIPC` has no option
 * for it), so the file alone traces every row to the run that made it.
 */

/** Schema metadata keys. */
export const ArrowMeta = {
  /** Which table of a run (`summary`, `timeline`, ...). */
  Table: 'mmulab.table',
  /** The .mmu file's name. */
  Source: 'mmulab.source',
  /** JSON array, one entry per plan in the file, sorted by plan_index (see PlanProvenance). */
  Provenance: 'mmulab.provenance',
  /** `i/N` in a shard's files; absent after `mmulab merge`. */
  Shard: 'mmulab.shard',
  /**
   * In a `stale` file whose runs list fewer pages than their summaries count: one line
   * per such plan, `label: listing 1,000 of N stale pages: ...` (stale-note.ts), so a
   * reader of the file alone knows it is cut. Each plan's provenance has it as `listed`.
   */
  Listed: 'mmulab.listed',
  /** Field metadata: the unit of the column's numbers (`Gbit/s`, `ms`), where it has one. */
  Unit: 'mmulab.unit',
} as const;

/** A plan's provenance as stored: its index and label, then `provenanceEntries`. */
export type PlanProvenance = { plan_index: number; label: string } & Record<string, unknown>;

/** One table of a set of plans, read back or about to be written. */
export interface ArrowTable {
  table: ResultTableName;
  source: string;
  provenance: PlanProvenance[];
  columns: string[];
  /** The unit of every column that has one (field metadata in the file). */
  units: Record<string, string>;
  /** Sorted by plan_index. */
  rows: Record<string, unknown>[];
}

function planProvenance(
  index: number,
  label: string,
  p: Provenance,
  environment: RunEnvironment | undefined,
  listed: string | undefined,
): PlanProvenance {
  const entries = provenanceEntries(p, {
    ...Object.fromEntries(environmentEntries(environment)),
    ...(listed === undefined ? {} : { listed }),
  });
  return { plan_index: index, label, ...Object.fromEntries(entries) };
}

/**
 * The tables of the runs of `experiments` as ArrowTables: rows sorted by plan_index,
 * columns `plan_index`, then the tidy table's (`label`, the axes, `seed`, the table's own).
 */
export function arrowTables(
  experiments: readonly ExperimentRun[],
  source: string,
  environment?: RunEnvironment,
): ArrowTable[] {
  const sorted = experiments
    .flatMap((e) => e.runs.map((run) => ({ e, run })))
    .sort((a, b) => a.run.index - b.run.index);
  return RESULT_TABLES.map((table) => {
    const columns = ['plan_index'];
    const units: Record<string, string> = {};
    const rows: Record<string, unknown>[] = [];
    for (const { e, run } of sorted) {
      const t = planTable(e.axes, run, table);
      for (const c of columnsOf(t)) addColumn(columns, units, c);
      for (const row of t.objects() as Record<string, unknown>[])
        rows.push({ plan_index: run.index, ...row });
    }
    const provenance = sorted.map(({ run: r }) =>
      planProvenance(
        r.index,
        r.label,
        r.result.provenance,
        environment,
        table === 'stale'
          ? staleListText(r.result.stale.numRows(), staleFound(r.result.summary))
          : undefined,
      ),
    );
    return { table, source, provenance, columns, units, rows };
  });
}

function addColumn(columns: string[], units: Record<string, string>, c: ColumnInfo): void {
  if (!columns.includes(c.name)) columns.push(c.name);
  if (c.unit !== undefined) units[c.name] = c.unit;
}

/** Write `t` to `dir/<table>.arrow` (Arrow IPC file format); returns the path. */
export function writeArrowTable(dir: string, t: ArrowTable, shard?: string): string {
  mkdirSync(dir, { recursive: true });
  const arrow = aq.toArrow(aq.from(t.rows, t.columns));
  for (const field of arrow.schema.fields) {
    const unit = t.units[field.name];
    if (unit !== undefined) field.metadata = new Map([[ArrowMeta.Unit, unit]]);
  }
  const metadata = new Map<string, string>([
    [ArrowMeta.Table, t.table],
    [ArrowMeta.Source, t.source],
    [ArrowMeta.Provenance, JSON.stringify(t.provenance)],
  ]);
  if (shard !== undefined) metadata.set(ArrowMeta.Shard, shard);
  const listed = t.provenance.flatMap((p) =>
    typeof p.listed === 'string' ? [`${p.label}: ${p.listed}`] : [],
  );
  if (listed.length > 0) metadata.set(ArrowMeta.Listed, listed.join('\n'));
  arrow.schema.metadata = metadata;
  const path = join(dir, `${t.table}.arrow`);
  writeFileSync(path, tableToIPC(arrow, { format: 'file' }) ?? new Uint8Array());
  return path;
}

/** Read a file written by `writeArrowTable`; throws with the path if it is not one. */
export function readArrowTable(path: string): ArrowTable {
  const bytes = readFileSync(path);
  const arrow = tableFromIPC(bytes);
  const meta = arrow.schema.metadata ?? new Map<string, string>();
  const table = meta.get(ArrowMeta.Table) as ResultTableName | undefined;
  const provenance = meta.get(ArrowMeta.Provenance);
  if (!table || !RESULT_TABLES.includes(table) || provenance === undefined)
    throw new Error(`${path}: not an mmulab Arrow file (no ${ArrowMeta.Table} in its metadata)`);
  const t = aq.fromArrow(bytes);
  const units: Record<string, string> = {};
  for (const field of arrow.schema.fields) {
    const unit = field.metadata?.get(ArrowMeta.Unit);
    if (unit !== undefined) units[field.name] = unit;
  }
  return {
    table,
    source: meta.get(ArrowMeta.Source) ?? '',
    provenance: JSON.parse(provenance) as PlanProvenance[],
    columns: t.columnNames(),
    units,
    rows: t.objects() as Record<string, unknown>[],
  };
}

/**
 * Join the parts of one table (shards, in any order) into one, sorted by plan_index.
 * Throws if a plan appears in two parts (a shard given twice) or the parts disagree
 * on the source file.
 */
export function mergeArrowTables(parts: readonly ArrowTable[]): ArrowTable {
  const ordered = [...parts].sort(
    (a, b) => (a.provenance[0]?.plan_index ?? 0) - (b.provenance[0]?.plan_index ?? 0),
  );
  const first = ordered[0];
  const seen = new Map<number, string>();
  const columns: string[] = [];
  const units: Record<string, string> = {};
  for (const part of ordered) {
    Object.assign(units, part.units);
    if (part.source !== first.source)
      throw new Error(
        `the ${part.table} tables come from different files (${first.source}, ${part.source}); merge the shards of one sweep`,
      );
    for (const p of part.provenance) {
      if (seen.has(p.plan_index))
        throw new Error(
          `plan ${p.plan_index} (${p.label}) is in two ${part.table} files; give each shard once`,
        );
      seen.set(p.plan_index, p.label);
    }
    for (const c of part.columns) if (!columns.includes(c)) columns.push(c);
  }
  const byIndex = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
    (a.plan_index as number) - (b.plan_index as number);
  // Array sort is stable: rows of one plan keep their order.
  const rows = ordered.flatMap((p) => p.rows).sort(byIndex);
  const provenance = ordered.flatMap((p) => p.provenance).sort(byIndex);
  return { table: first.table, source: first.source, provenance, columns, units, rows };
}
