import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { csvWithProvenance } from './csv.ts';
import type { PlotlyFigure, PlotlyJson } from './figures.ts';
import { figureTitle } from './figure-image.ts';
import { plotlyConfig } from './plotly-js.ts';
import { shownOutputs } from './shown.ts';

/**
 * The data behind a chart as one long (tidy) CSV: a row per point drawn, with the
 * trace's legend name, its mark (`lines+markers`, `markers`, `bar`: the iteration
 * markers of QEMU guestperf's chart are rows too), the axis titles with their units,
 * x, y and the error bar's half-width when the chart has error bars. A figure with
 * subplots (facets, guestperf's two panels) says which panel each row is in.
 */
export function plotDataTable(figure: PlotlyFigure): ColumnTable {
  const layout = figure.layout;
  const axisTitle = (axis: unknown, prefix: 'xaxis' | 'yaxis'): string => {
    const key = typeof axis === 'string' && axis.length > 1 ? `${prefix}${axis.slice(1)}` : prefix;
    const title = (layout[key] as { title?: { text?: unknown } } | undefined)?.title?.text;
    return typeof title === 'string' ? title : '';
  };
  const panels = new Set(figure.data.map((t) => String(t.xaxis ?? 'x')));
  const annotations = (layout.annotations as PlotlyJson[] | undefined) ?? [];
  const panelName = (xaxis: string): string => {
    const facet = annotations.find((a) => a.xref === `${xaxis} domain`)?.text;
    return typeof facet === 'string' ? facet : xaxis;
  };
  const hasError = figure.data.some((t) => errorArray(t) !== undefined);
  const rows: Record<string, unknown>[] = [];
  for (const trace of figure.data) {
    const xs = (trace.x as unknown[] | undefined) ?? [];
    const ys = (trace.y as unknown[] | undefined) ?? [];
    const errors = errorArray(trace);
    const xaxis = String(trace.xaxis ?? 'x');
    const mark = trace.type === 'bar' ? 'bar' : String(trace.mode ?? 'lines');
    xs.forEach((x, i) => {
      rows.push({
        trace: String(trace.name ?? ''),
        mark,
        ...(panels.size > 1 ? { panel: panelName(xaxis) } : {}),
        x_axis: axisTitle(trace.xaxis, 'xaxis'),
        x,
        y_axis: axisTitle(trace.yaxis, 'yaxis'),
        y: ys[i] ?? null,
        ...(hasError ? { error: errors?.[i] ?? null } : {}),
      });
    });
  }
  return aq.from(rows);
}

function errorArray(trace: PlotlyJson): unknown[] | undefined {
  const e = trace.error_y as { array?: unknown[]; visible?: boolean } | undefined;
  return e?.visible === false ? undefined : e?.array;
}

/**
 * Every chart `outputs` draw of `experiments` as `<chart>.plot.csv` in `dir` (named as
 * `mmulab figure` names its files), each headed by `provenance` and the chart's title
 * as `# key: value` lines. Returns the paths written, in order.
 */
export function writePlotCsvs(
  dir: string,
  experiments: readonly ExperimentRun[],
  outputs: readonly CompiledOutput[],
  lets: readonly LetDefinition[],
  provenance: (e: ExperimentRun) => [string, string][],
): string[] {
  const written: string[] = [];
  const used = new Set<string>();
  for (const e of experiments)
    for (const shown of shownOutputs(e, outputs, lets)) {
      if (shown.kind !== 'plot') continue;
      const title = figureTitle(shown.figure);
      const stem = plotlyConfig(title).toImageButtonOptions.filename;
      let name = stem;
      for (let k = 2; used.has(name); k++) name = `${stem}-${k}`;
      used.add(name);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name}.plot.csv`);
      writeFileSync(
        path,
        csvWithProvenance(plotDataTable(shown.figure), [...provenance(e), ['chart', title]]),
      );
      written.push(path);
    }
  return written;
}
