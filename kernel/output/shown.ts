import type { ColumnTable } from 'arquero';
import type { CompiledOutput } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import { experimentTable } from '../experiment/experiment-table.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { plotFigure } from './figures.ts';
import type { PlotlyFigure } from './figures.ts';

/**
 * What a program's `table` and `plot` statements show of one experiment, in the order
 * the program asks for them: the terminal, the report and a notebook each render
 * these, so a new kind of table or figure is made here once for all three.
 */
export type ShownOutput =
  | { kind: 'table'; view: ResultTableName; table: ColumnTable }
  | { kind: 'plot'; title: string; figure: PlotlyFigure };

/** The tables and plots `outputs` ask of `e`; throws ColumnError for a column it lacks. */
export function shownOutputs(e: ExperimentRun, outputs: readonly CompiledOutput[]): ShownOutput[] {
  return outputs.flatMap((out): ShownOutput[] => {
    if (out.kind === 'table')
      return out.views.map((view) => ({
        kind: 'table',
        view,
        table: experimentTable(e, view, out.columns),
      }));
    if (out.kind === 'plot')
      return [{ kind: 'plot', title: `${out.y} over ${out.x}`, figure: plotFigure(out, e.runs) }];
    return [];
  });
}
