import type { ColumnTable } from 'arquero';
import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import { evaluateExpect } from '../experiment/expect.ts';
import type { ExpectResult } from '../experiment/expect.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { tableOutputTable } from '../experiment/views.ts';
import { STALE_LIST_LIMIT } from '../../engine/sim/verify.ts';
import { formatNumber } from './format.ts';
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
      /** What the reader must know to read it: that it is cut, and where the full count is. */
      note?: string;
    }
  | { kind: 'plot'; title: string; figure: PlotlyFigure; label?: string }
  | { kind: 'expect'; result: ExpectResult };

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
          const note = view === 'stale' ? staleListNote(e) : undefined;
          return {
            kind: 'table',
            view,
            table: tableOutputTable(e, view, out, lets),
            ...(note === undefined ? {} : { note }),
          };
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
      case 'export':
        return [];
    }
  });
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
    const pages = r.result.summary.numRows() ? r.result.summary.get('stale_pages', 0) : null;
    found += typeof pages === 'number' ? pages : 0;
  }
  if (found <= listed) return undefined;
  return `listing ${formatNumber(listed)} of ${formatNumber(found)} stale pages: each run lists its first ${formatNumber(STALE_LIST_LIMIT)} by gfn; the summary's stale_pages counts them all`;
}

function plotTitle(out: Extract<CompiledOutput, { kind: 'plot' }>): string {
  return `${out.y} over ${out.x}`;
}
