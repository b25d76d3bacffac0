import type { ColumnTable } from 'arquero';
import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import { flagWord } from '../../dsl/compile/experiment-types.ts';
import type { RunResult } from '../../engine/results.ts';
import { whereRows } from '../experiment/aggregate.ts';
import { unitOf } from '../experiment/column-info.ts';
import { applyLets } from '../experiment/derive.ts';
import { planTable, requireColumn, tidyTable } from '../experiment/experiment-table.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { axisTitle } from './axis-title.ts';
import { INCOMPLETE_NOTE, incompleteReason } from './completion.ts';
import { crossRunFigure } from './cross-run-figure.ts';
import { DASHES, legendLayout, SYMBOLS, traceStyle } from './palette.ts';

/**
 * Plotly figure specs (plain JSON) from run results: the `plot Y over X` outputs and
 * QEMU guestperf's progress chart. Rendering them (a report, a notebook) is not done
 * here, so any front end can reuse them.
 */

/** A Plotly trace or layout: plain JSON as `Plotly.newPlot(div, data, layout)` takes it. */
export type PlotlyJson = Record<string, unknown>;

export interface PlotlyFigure {
  data: PlotlyJson[];
  layout: PlotlyJson;
}

export type PlotOutput = Extract<CompiledOutput, { kind: 'plot' }>;

const FONT = { family: 'system-ui, sans-serif', size: 12 };

function column(table: ColumnTable, name: string): unknown[] {
  return table.columnNames().includes(name)
    ? Array.from(table.array(name) as ArrayLike<unknown>)
    : [];
}

/**
 * `plot Y over time|iteration [by G]`: one trace per plan, named by its label, from
 * the plan's tidy table (with the lets) after `where`; a plan with no row left is left out. Without `by` each plan has its
 * own colour, dash and marker (palette.ts); with `by`, the plans of a group share a
 * dash and marker (and a legend group), and colours tell the plans of a group apart.
 * Axis titles carry units (`time (s)`, `remaining (pages)`).
 */
export function plotFigure(
  output: PlotOutput,
  e: ExperimentRun,
  lets: readonly LetDefinition[] = [],
): PlotlyFigure {
  const figure =
    output.table !== 'timeline' && output.table !== 'iterations'
      ? crossRunFigure(output, e, lets)
      : perPlanFigure(output, e, lets);
  return withPlotOptions(figure, output);
}

/**
 * The plot's own `title`, `xtitle`, `ytitle` (on every subplot's axes) and `size` in
 * place of what the figure made from the columns.
 */
export function withPlotOptions(figure: PlotlyFigure, output: PlotOutput): PlotlyFigure {
  const layout: PlotlyJson = { ...figure.layout };
  if (output.title !== undefined) layout.title = { text: output.title };
  for (const [prefix, text] of [
    ['xaxis', output.xTitle],
    ['yaxis', output.yTitle],
  ] as const) {
    if (text === undefined) continue;
    for (const key of Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k)))
      if (key.startsWith(prefix)) layout[key] = { ...(layout[key] as PlotlyJson), title: { text } };
  }
  if (output.size) {
    layout.width = output.size.width;
    layout.height = output.size.height;
  }
  return { data: figure.data, layout };
}

/** `plot Y over time|iteration`: one trace per plan. */
function perPlanFigure(
  output: PlotOutput,
  e: ExperimentRun,
  lets: readonly LetDefinition[],
): PlotlyFigure {
  const perIteration = output.table === 'iterations';
  const ys = output.yColumns ?? [output.yColumn];
  const by = output.by ?? [];
  const summary = applyLets(tidyTable(e, 'summary'), lets);
  for (const c of by) requireColumn(summary.columnNames(), c, 'summary');
  const rows = summary.objects() as Record<string, unknown>[];
  const groupOf = (i: number): string =>
    by.map((c) => (by.length === 1 ? cell(rows[i]?.[c]) : `${c}=${cell(rows[i]?.[c])}`)).join(', ');
  const groups: string[] = [];
  const inGroup = new Map<string, number>();
  const data: PlotlyJson[] = [];
  let units: { x?: string; y: (string | undefined)[] } = { y: [] };
  let stopped = false;
  /** Traces in the legend (a stopped run's ✕ is not one). */
  let lines = 0;
  e.runs.forEach((r, i) => {
    const table = whereRows(
      applyLets(planTable(e.axes, r, output.table), lets),
      output.where,
      output.table,
    );
    const names = table.columnNames();
    for (const c of [output.xColumn, ...ys]) requireColumn(names, c, output.table);
    units = { x: unitOf(table, output.xColumn), y: ys.map((y) => unitOf(table, y)) };
    // A plan `where` leaves no row of is not in the chart (not an empty legend entry).
    if (output.where !== undefined && table.numRows() === 0) return;
    const group = groupOf(i);
    const reason = incompleteReason(r.result);
    if (by.length && !groups.includes(group)) groups.push(group);
    const g = groups.indexOf(group);
    for (const y of ys) {
      const k = inGroup.get(group) ?? 0;
      inGroup.set(group, k + 1);
      const own = traceStyle(by.length ? k : lines);
      // A group's plans share its dash and marker: the g-th of each.
      const shared = by.length
        ? { dash: DASHES[g % DASHES.length], symbol: SYMBOLS[g % SYMBOLS.length] }
        : own;
      const label = ys.length > 1 ? `${r.label} · ${y}` : r.label;
      const name = reason === undefined ? label : `${label} ✕ ${reason}`;
      const xs = column(table, output.xColumn);
      const values = column(table, y);
      // A run that did not complete is faded, its markers hollow, its end an ✕.
      const symbol = reason === undefined ? shared.symbol : `${shared.symbol}-open`;
      const legendgroup = by.length ? group : name;
      data.push({
        type: 'scatter',
        mode: perIteration ? 'lines+markers' : 'lines',
        name,
        x: xs,
        y: values,
        line: { color: own.color, dash: shared.dash, width: reason === undefined ? 1.5 : 1 },
        ...(reason === undefined ? {} : { opacity: 0.6 }),
        ...(perIteration ? { marker: { color: own.color, symbol, size: 6 } } : {}),
        legendgroup,
        ...(by.length ? { legendgrouptitle: { text: group } } : {}),
      });
      lines++;
      if (reason !== undefined) stopped = true;
      if (reason !== undefined && xs.length > 0)
        data.push({
          type: 'scatter',
          mode: 'markers',
          name: `${name}: stopped`,
          x: [xs[xs.length - 1]],
          y: [values[values.length - 1]],
          marker: { color: own.color, symbol: 'x-thin-open', size: 12, line: { width: 2 } },
          legendgroup,
          showlegend: false,
          text: [`${name}: stopped here`],
          hovertemplate: '%{text}<extra></extra>',
        });
    }
  });

  const yTitle =
    ys.length === 1
      ? axisTitle(ys[0], units.y[0])
      : ys.map((y, k) => axisTitle(y, units.y[k])).join(', ');
  return {
    data,
    layout: {
      title: { text: `${output.y} over ${output.x}${by.length ? ` by ${by.join(', ')}` : ''}` },
      font: FONT,
      xaxis: { title: { text: axisTitle(output.xColumn, units.x) } },
      yaxis: { title: { text: yTitle }, rangemode: 'tozero' },
      showlegend: true,
      legend: {
        ...legendLayout(lines),
        ...(stopped ? { title: { text: INCOMPLETE_NOTE } } : {}),
      },
      margin: { t: 50, r: 20 },
    },
  };
}

/** A group's value in a legend; a flag as the language writes it (`on`, `off`). */
function cell(v: unknown): string {
  if (typeof v === 'boolean') return flagWord(v);
  return v === null || v === undefined ? '—' : String(v);
}

/** Linear interpolation of the samples (xs ascending) at `x`; clamps at both ends. */
export function interpolate(
  xs: readonly number[],
  ys: readonly number[],
  x: number,
): number | null {
  if (xs.length === 0) return null;
  if (x <= xs[0]) return ys[0];
  for (let i = 1; i < xs.length; i++) {
    if (x <= xs[i]) {
      const f = (x - xs[i - 1]) / (xs[i] - xs[i - 1] || 1);
      return ys[i - 1] + f * (ys[i] - ys[i - 1]);
    }
  }
  return ys[ys.length - 1];
}

/**
 * QEMU guestperf's chart (tests/migration/guestperf/plot.py) for one migration: the
 * guest's progress (writes per second) over time with a marker at every migration
 * iteration, beside the pages still to send. Both panels share the time axis and
 * mark the switchover.
 */
export function guestperfFigure(label: string, result: RunResult): PlotlyFigure {
  const tl = result.timeline;
  const it = result.iterations;
  const time = column(tl, 'time_s') as number[];
  const writes = column(tl, 'guest_writes_per_s') as number[];
  const iterTime = column(it, 'time_s') as number[];
  const iterNo = column(it, 'iteration') as number[];
  const dirty = column(it, 'dirty_pages_synced') as number[];
  const sent = column(it, 'pages_sent') as number[];
  const hover = iterNo.map(
    (n, i) =>
      `iteration ${n}<br>t=${iterTime[i].toFixed(3)} s<br>` +
      `dirty pages synced ${dirty[i].toLocaleString('en-US')}<br>pages sent ${sent[i].toLocaleString('en-US')}`,
  );
  const marker = { symbol: 'diamond', size: 8, color: '#d62728' };
  const switchover = (column(result.events, 'kind') as string[])
    .map((k, i) => (k === 'switchover' ? (column(result.events, 'time_s') as number[])[i] : null))
    .filter((t): t is number => t !== null);
  const shapes = switchover.flatMap((t) =>
    ['x', 'x2'].map((xref) => ({
      type: 'line',
      xref,
      yref: xref === 'x' ? 'y domain' : 'y2 domain',
      x0: t,
      x1: t,
      y0: 0,
      y1: 1,
      line: { dash: 'dot', width: 1, color: '#555' },
    })),
  );
  return {
    data: [
      {
        type: 'scatter',
        mode: 'lines',
        name: 'guest writes/s',
        x: time,
        y: writes,
        xaxis: 'x',
        yaxis: 'y',
        line: { color: '#1f77b4' },
      },
      {
        type: 'scatter',
        mode: 'markers',
        name: 'iteration',
        x: iterTime,
        y: iterTime.map((t) => interpolate(time, writes, t)),
        text: hover,
        hoverinfo: 'text',
        xaxis: 'x',
        yaxis: 'y',
        marker,
      },
      {
        type: 'scatter',
        mode: 'lines',
        name: 'remaining pages',
        x: time,
        y: column(tl, 'remaining_pages'),
        xaxis: 'x2',
        yaxis: 'y2',
        line: { color: '#2ca02c' },
      },
      {
        type: 'scatter',
        mode: 'markers',
        name: 'iteration (remaining)',
        x: iterTime,
        y: column(it, 'remaining_pages'),
        text: hover,
        hoverinfo: 'text',
        xaxis: 'x2',
        yaxis: 'y2',
        marker,
        showlegend: false,
      },
    ],
    layout: {
      title: { text: `${label}: guest progress and remaining pages` },
      font: FONT,
      xaxis: { domain: [0, 0.46], title: { text: 'time (s)' } },
      yaxis: { title: { text: 'guest writes/s' }, rangemode: 'tozero' },
      xaxis2: { domain: [0.54, 1], anchor: 'y2', title: { text: 'time (s)' }, matches: 'x' },
      yaxis2: { anchor: 'x2', title: { text: 'remaining pages' }, rangemode: 'tozero' },
      shapes,
      legend: { orientation: 'h', y: -0.25 },
      margin: { t: 50, r: 20 },
    },
  };
}
