import type { CompiledOutput } from '../../dsl/compile.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import type { LetDefinition } from '../../dsl/compile.ts';
import type { ExpectResult } from '../experiment/expect.ts';
import type { ExplorationsShown } from '../experiment/explorations.ts';
import { expectLine } from '../output/expect-text.ts';
import { predictLine } from '../output/predict-text.ts';
import type { PredictResult } from '../experiment/predict.ts';
import { escapeHtml } from '../output/format.ts';
import type { PlotlyFigure } from '../output/figures.ts';
import { shownByExperiment } from '../output/shown.ts';
import type { ShownOutput } from '../output/shown.ts';
import { mmulabMetadata, provenanceRecord } from './mime.ts';
import type { MimeBundle, ProvenanceRecord } from './mime.ts';
import { plotlyFigureBundle, plotlyLoaderBundle } from './plotly.ts';
import { tableBundle } from './table.ts';
import { isExportOutput } from '../output/exports.ts';

export interface NotebookDisplayOptions {
  /** Rows of a table shown before "… N more rows" (default: tableBundle's). */
  maxRows?: number;
}

/** What a cell shows, and the expectations that failed (the front end reports them as an error). */
export interface CellDisplay {
  bundles: MimeBundle[];
  failed: ExpectResult[];
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
   * tables, plots and expectations in the order the cell asks for them (a passing
   * expect is one line; a failing one is returned in `failed`, for the error the
   * front end reports). `export` outputs are files, not displays. A cell that ran
   * experiments without asking for a table, plot or expect gets each experiment's
   * summary. Guest-progress charts only for `plot progress`. An output applies to the
   * experiments it follows in the cell (`shownByExperiment`); `fromText` false: the
   * experiments are an earlier cell's, and every output applies to each.
   */
  render(
    outputs: readonly CompiledOutput[],
    experiments: readonly ExperimentRun[],
    lets: readonly LetDefinition[] = [],
    fromText = true,
  ): CellDisplay {
    const shown = outputs.filter((o) => !isExportOutput(o));
    const asked: readonly CompiledOutput[] = shown.length
      ? shown
      : [{ kind: 'table', views: ['summary'], line: 0 }];
    const bundles: MimeBundle[] = [];
    const failed: ExpectResult[] = [];
    // The default summary is every experiment's.
    const own = fromText && shown.length > 0;
    for (const { experiment: e, items } of shownByExperiment(experiments, asked, lets, own)) {
      const provenance = experimentProvenance(e);
      for (const item of items) {
        if (item.kind === 'table') bundles.push(this.table(e, item, provenance));
        else if (item.kind === 'plot') {
          const run =
            item.label === undefined ? undefined : e.runs.find((r) => r.label === item.label);
          bundles.push(
            ...this.chart(
              item.figure,
              run ? [provenanceRecord(run.result.provenance, run.label)] : provenance,
            ),
          );
        } else if (item.kind === 'predict') bundles.push(predictBundle(item.result));
        else if (item.result.pass) bundles.push(expectBundle(item.result));
        else failed.push(item.result);
      }
    }
    return { bundles, failed };
  }

  /**
   * What a cell's `explore` statements show: their table, the swimlane chart of each
   * shortest counterexample, and the `expect explore` lines (a failing one in `failed`).
   */
  explorations(shown: ExplorationsShown): CellDisplay {
    const provenance = [provenanceRecord(shown.provenance)];
    const bundles: MimeBundle[] = [
      tableBundle(shown.table, {
        title: 'explore',
        provenance,
        ...(this.options.maxRows === undefined ? {} : { maxRows: this.options.maxRows }),
      }),
    ];
    for (const f of shown.figures) bundles.push(...this.chart(f.figure, provenance));
    const failed: ExpectResult[] = [];
    for (const r of shown.expects) {
      if (r.pass) bundles.push(expectBundle(r));
      else failed.push(r);
    }
    return { bundles, failed };
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
    item: Extract<ShownOutput, { kind: 'table' }>,
    provenance: ProvenanceRecord[],
  ): MimeBundle {
    const { view, table, note, keys } = item;
    return tableBundle(table, {
      title: `${e.statement} — ${view}${note === undefined ? '' : ` (${note})`}`,
      provenance,
      keys,
      ...(this.options.maxRows === undefined ? {} : { maxRows: this.options.maxRows }),
    });
  }
}

/** One provenance record per plan of an experiment, labelled. */
export function experimentProvenance(e: ExperimentRun): ProvenanceRecord[] {
  return e.runs.map((r) => provenanceRecord(r.result.provenance, r.label));
}

/** A passing expect: its one line. */
/** A prediction's line: green when right, red when wrong (it is no error). */
export function predictBundle(r: PredictResult): MimeBundle {
  const line = predictLine(r);
  const color = r.right === false ? '#b42318' : r.right ? '#2ca02c' : '#666';
  return {
    data: {
      'text/plain': line,
      'text/html': `<div style="font:12px ui-monospace,monospace;color:${color}">${escapeHtml(line)}</div>`,
    },
    metadata: mmulabMetadata({ predict: { right: r.right, line: r.output.line } }),
  };
}

export function expectBundle(r: ExpectResult): MimeBundle {
  const line = expectLine(r);
  return {
    data: {
      'text/plain': line,
      'text/html': `<div style="font:12px ui-monospace,monospace;color:#2ca02c">${escapeHtml(line)}</div>`,
    },
    metadata: mmulabMetadata({ expect: { pass: r.pass, rows: r.checked, line: r.output.line } }),
  };
}
