import type { ColumnTable } from 'arquero';
import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import { experimentGroups, groupOfOutput } from '../../dsl/compile/output-groups.ts';
import type { ResultTableName } from '../../engine/results.ts';
import { evaluateExpect } from '../experiment/expect.ts';
import type { ExpectResult } from '../experiment/expect.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { HEADLINE_COLUMNS } from '../experiment/headline.ts';
import { evaluatePredict } from '../experiment/predict.ts';
import type { PredictResult } from '../experiment/predict.ts';
import { tableOutputTable, viewTable } from '../experiment/views.ts';
import { staleFound, staleListText } from './stale-note.ts';
import { guestperfFigure, plotFigure } from './figures.ts';
import type { PlotlyFigure } from './figures.ts';

/**
 * What a program's `table`, `plot`, `plot progress` and `expect` statements show of
 * one experiment, in the order the program asks for them: the terminal, the report,
 * the kernel and tslab each render these, so a new kind of table or figure is made
 * here once for all of them.
 */
export type ShownOutput =
  | {
      kind: 'table';
      view: ResultTableName;
      table: ColumnTable;
      /** What names a row, repeated by each block of a table too wide to print whole: the run's label, or a grouped table's groups. */
      keys: string[];
      /** What the reader must know to read it: that it is cut, and where the full count is. */
      note?: string;
    }
  | { kind: 'plot'; title: string; figure: PlotlyFigure; label?: string }
  | { kind: 'expect'; result: ExpectResult }
  | { kind: 'predict'; result: PredictResult };

/**
 * The tables, plots and expectations `outputs` ask of `e`, with the program's lets;
 * throws ColumnError for a column a table lacks (or an aggregate it cannot take).
 */
export function shownOutputs(
  e: ExperimentRun,
  outputs: readonly CompiledOutput[],
  lets: readonly LetDefinition[] = [],
): ShownOutput[] {
  return outputs.flatMap((out): ShownOutput[] => {
    switch (out.kind) {
      case 'table':
        return out.views.map((view) => {
          const table = tableOutputTable(e, view, out, lets);
          const note =
            view === 'stale' ? staleListNote(e) : headlineNote(e, view, out, table, lets);
          const keys = out.by ?? (table.columnNames().includes('label') ? ['label'] : []);
          return { kind: 'table', view, table, keys, ...(note === undefined ? {} : { note }) };
        });
      case 'plot':
        return [{ kind: 'plot', title: plotTitle(out), figure: plotFigure(out, e, lets) }];
      case 'progress':
        // An interrupted run may stop before its first sync: there is nothing to draw.
        return e.runs
          .filter((r) => r.result.iterations.numRows() > 0)
          .map((r) => ({
            kind: 'plot',
            title: `guest progress: ${r.label}`,
            figure: guestperfFigure(r.label, r.result),
            label: r.label,
          }));
      case 'expect':
        return [{ kind: 'expect', result: evaluateExpect(e, out, lets) }];
      case 'predict':
        return [{ kind: 'predict', result: evaluatePredict(e, out, lets) }];
      case 'export':
      case 'export-table':
      case 'export-plot':
        return [];
    }
  });
}

/** What one experiment shows: the outputs that apply to it, rendered. */
export interface ExperimentShown {
  experiment: ExperimentRun;
  items: ShownOutput[];
}

/**
 * What every experiment of a text shows, as the CLI, the report, the kernel and tslab
 * lay it out. An output applies to the experiments it follows (dsl/compile/output-groups.ts:
 * the compiler checks it against the same runs).
 * Experiments that came from another text (a notebook's earlier cell, `fromText`
 * false) take every output. Within the experiments an `expect` applies to, one whose
 * `where` leaves no row of an experiment is about the others; it fails for having no
 * row only when it has none in any of them.
 */
export function shownByExperiment(
  experiments: readonly ExperimentRun[],
  outputs: readonly CompiledOutput[],
  lets: readonly LetDefinition[] = [],
  fromText = true,
): ExperimentShown[] {
  const groups = fromText
    ? experimentGroups(
        experiments,
        outputs.map((o) => o.line),
      )
    : [[...experiments]];
  return groups.flatMap((group, g) => {
    const own = fromText
      ? outputs.filter((o) => groupOfOutput(o.kind, o.line, groups) === g)
      : outputs;
    const shown = group.map((experiment) => ({
      experiment,
      items: shownOutputs(experiment, own, lets),
    }));
    if (group.length < 2) return shown;
    // An expect with rows in some experiment of the group is not about the others.
    const expects = (o: CompiledOutput): ExpectResult[] =>
      shown.flatMap(({ items }) =>
        items.flatMap((i) => (i.kind === 'expect' && i.result.output === o ? [i.result] : [])),
      );
    const aboutNothing = new Set(
      own.flatMap((o) => {
        const results = expects(o);
        return results.some((r) => r.checked > 0) ? results.filter((r) => r.checked === 0) : [];
      }),
    );
    return shown.map(({ experiment, items }) => ({
      experiment,
      items: items.filter((i) => i.kind !== 'expect' || !aboutNothing.has(i.result)),
    }));
  });
}

/**
 * "8 of 57 columns: `table summary all` shows every one" under a table cut to its
 * headline columns, so that the reader knows the rest are there and how to see them.
 */
function headlineNote(
  e: ExperimentRun,
  view: ResultTableName,
  out: Extract<CompiledOutput, { kind: 'table' }>,
  table: ColumnTable,
  lets: readonly LetDefinition[],
): string | undefined {
  const curated =
    HEADLINE_COLUMNS[view] !== undefined &&
    out.columns === undefined &&
    out.by === undefined &&
    out.aggregates === undefined &&
    out.all !== true;
  if (!curated) return undefined;
  const every = viewTable(e, view, lets).numCols();
  if (every <= table.numCols()) return undefined;
  return `${table.numCols()} of ${every} columns: \`table ${view} all\` shows every one`;
}

/**
 * "listing 3,000 of 10,794 stale pages: ..." when a run found more stale pages than its
 * `stale` table lists, so that a cut table never passes for a complete one.
 */
export function staleListNote(e: ExperimentRun): string | undefined {
  let listed = 0;
  let found = 0;
  for (const r of e.runs) {
    listed += r.result.stale.numRows();
    found += staleFound(r.result.summary);
  }
  return staleListText(listed, found);
}

function plotTitle(out: Extract<CompiledOutput, { kind: 'plot' }>): string {
  return `${out.y} over ${out.x}`;
}
