import type { ColumnTable } from 'arquero';
import type { CompiledOutput } from '../../dsl/compile.ts';
import type { ResultTableName } from '../../engine/results.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { guestperfFigure } from '../output/figures.ts';
import type { PlotlyFigure } from '../output/figures.ts';
import { shownOutputs } from '../output/shown.ts';
import { provenanceRecord } from './mime.ts';
import type { MimeBundle, ProvenanceRecord } from './mime.ts';
import { plotlyFigureBundle, plotlyLoaderBundle } from './plotly.ts';
import { tableBundle } from './table.ts';

export interface NotebookDisplayOptions {
  /** QEMU guestperf's chart for every migration (default true, as in the HTML report). */
  guestperf?: boolean;
  /** Rows of a table shown before "… N more rows" (default: tableBundle's). */
  maxRows?: number;
}

/**
 * What one kernel session has sent to the notebook: plotly.js goes out once per
 * session, before the first chart, and chart ids count up from 1, so the same
 * notebook run from the start gives the same outputs.
 */
export class NotebookDisplay {
  private plotlySent = false;
  private charts = 0;

  constructor(private readonly options: NotebookDisplayOptions = {}) {}

  /**
   * The bundles of a cell, in the HTML report's order: for each experiment, its
   * tables and plots in the order the cell asks for them, then a guestperf chart per
   * migration. `export` outputs are files, not displays. A cell that ran experiments
   * without asking for a table or plot gets each experiment's summary. `guestperf:
   * false` leaves the guestperf charts out: a cell that only shows a table of earlier
   * results should not draw their migrations again.
   */
  render(
    outputs: readonly CompiledOutput[],
    experiments: readonly ExperimentRun[],
    options: { guestperf?: boolean } = {},
  ): MimeBundle[] {
    const shown = outputs.filter((o) => o.kind === 'table' || o.kind === 'plot');
    const asked: readonly CompiledOutput[] = shown.length
      ? shown
      : [{ kind: 'table', views: ['summary'], line: 0 }];
    const bundles: MimeBundle[] = [];
    for (const e of experiments) {
      const provenance = experimentProvenance(e);
      for (const item of shownOutputs(e, asked)) {
        if (item.kind === 'table') bundles.push(this.table(e, item.view, item.table, provenance));
        else bundles.push(...this.chart(item.figure, provenance));
      }
      if (this.options.guestperf === false || options.guestperf === false) continue;
      for (const r of e.runs) {
        // An interrupted run may stop before its first sync: there is nothing to draw.
        if (r.result.iterations.numRows() === 0) continue;
        bundles.push(
          ...this.chart(guestperfFigure(r.label, r.result), [
            provenanceRecord(r.result.provenance, r.label),
          ]),
        );
      }
    }
    return bundles;
  }

  /** A chart's bundle, preceded by the plotly.js loader if this session has not sent it. */
  chart(figure: PlotlyFigure, provenance: readonly ProvenanceRecord[] = []): MimeBundle[] {
    const out: MimeBundle[] = [];
    if (!this.plotlySent) {
      out.push(plotlyLoaderBundle());
      this.plotlySent = true;
    }
    out.push(plotlyFigureBundle(figure, { provenance, id: `mmulab-plot-${++this.charts}` }));
    return out;
  }

  /** Forget what was sent: a restarted kernel talks to a page that must load plotly.js again. */
  reset(): void {
    this.plotlySent = false;
    this.charts = 0;
  }

  private table(
    e: ExperimentRun,
    view: ResultTableName,
    table: ColumnTable,
    provenance: ProvenanceRecord[],
  ): MimeBundle {
    return tableBundle(table, {
      title: `${e.statement} — ${view}`,
      provenance,
      ...(this.options.maxRows === undefined ? {} : { maxRows: this.options.maxRows }),
    });
  }
}

/** One provenance record per plan of an experiment, labelled. */
export function experimentProvenance(e: ExperimentRun): ProvenanceRecord[] {
  return e.runs.map((r) => provenanceRecord(r.result.provenance, r.label));
}
