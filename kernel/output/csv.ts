import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { toCSV } from 'arquero';
import { snakeCase } from '../../dsl/schema.ts';
import { RESULT_TABLES } from '../../engine/results.ts';
import type { Provenance, ResultTableName } from '../../engine/results.ts';
import { columnsOf } from '../experiment/column-info.ts';
import { planTable } from '../experiment/experiment-table.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { environmentEntries } from './environment.ts';
import type { RunEnvironment } from './environment.ts';
import { labelSlug } from './format.ts';
import { staleFound, staleListText } from './stale-note.ts';

/**
 * The provenance of a run as `key: value` pairs, in a fixed order: enough to trace a
 * figure to the exact run and re-make it. Costs use the language's names
 * (`cost.vm_exit`), in simulated nanoseconds.
 */
export function provenanceEntries(
  p: Provenance,
  extra: Record<string, string> = {},
): [string, string][] {
  return [
    ['mmulab_version', p.mmulab_version],
    ['plan_hash', p.plan_hash],
    ['seed', String(p.seed)],
    ...Object.entries(extra),
    ['cost_unit', 'ns'],
    ...Object.entries(p.costs).map(([k, v]): [string, string] => [
      `cost.${snakeCase(k)}`,
      String(v),
    ]),
  ];
}

/**
 * CSV text of `table` headed by `# key: value` comment lines (read it back with
 * `aq.fromCSV(text, { comment: '#' })`).
 */
export function csvWithProvenance(
  table: Parameters<typeof toCSV>[0],
  entries: readonly [string, string][],
): string {
  // A line break or a quote in a value would end the comment line or open a CSV field.
  const clean = (s: string): string => s.replace(/[\r\n"]/g, ' ');
  const head = entries.map(([k, v]) => `# ${clean(k)}: ${clean(v)}\n`).join('');
  return `${head}${toCSV(table)}`;
}

/**
 * Write every table (or those in `views`) of every run to `dir` (created if missing),
 * one file per table and run: `<label>.<table>.csv`, its rows led by `label`, the
 * experiment's axes and `seed` as in the tidy tables, the units of its columns in a
 * `# units:` line. Returns the paths written, in order.
 */
export function writeCsvs(
  dir: string,
  experiments: readonly ExperimentRun[],
  source: string,
  views: readonly ResultTableName[] = RESULT_TABLES,
  environment?: RunEnvironment,
): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const used = new Set<string>();
  for (const e of experiments) {
    for (const run of e.runs) {
      const { label, result } = run;
      // The same plan in two experiments keeps both: the later one gets a suffix.
      let stem = labelSlug(label);
      for (let k = 2; used.has(stem); k++) stem = `${labelSlug(label)}~${k}`;
      used.add(stem);
      for (const view of views) {
        const path = join(dir, `${stem}.${view}.csv`);
        const table = planTable(e.axes, run, view);
        const entries = provenanceEntries(result.provenance, {
          label,
          table: view,
          source: basename(source),
          ...Object.fromEntries(environmentEntries(environment)),
          units: unitsEntry(table),
          ...staleListEntry(view, result),
        });
        writeFileSync(path, csvWithProvenance(table, entries));
        written.push(path);
      }
    }
  }
  return written;
}

/** `bandwidth=Gbit/s, downtime_ms=ms`: the unit of every column that has one. */
export function unitsEntry(table: Parameters<typeof columnsOf>[0]): string {
  return columnsOf(table)
    .filter((c) => c.unit !== undefined)
    .map((c) => `${c.name}=${c.unit}`)
    .join(', ');
}

/** A `listed` line in a `stale` file cut short of the summary's count, else nothing. */
function staleListEntry(
  view: ResultTableName,
  result: ExperimentRun['runs'][number]['result'],
): Record<string, string> {
  const text =
    view === 'stale'
      ? staleListText(result.stale.numRows(), staleFound(result.summary))
      : undefined;
  return text === undefined ? {} : { listed: text };
}
