import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { LetDefinition, ParamValue, PlotError } from '../../dsl/compile.ts';
import { flagWord } from '../../dsl/compile/experiment-types.ts';
import { whereRows, spread } from '../experiment/aggregate.ts';
import { unitOf } from '../experiment/column-info.ts';
import { ColumnError, requireColumn } from '../experiment/experiment-table.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import { viewTable } from '../experiment/views.ts';
import { axisTitle } from './axis-title.ts';
import { COMPLETED } from './completion.ts';
import type { PlotlyFigure, PlotlyJson, PlotOutput } from './figures.ts';
import { formatCell, formatNumber } from './format.ts';
import { legendLayout, traceStyle } from './palette.ts';

const { op } = aq;

/**
 * `plot Y over X [by G] [facet F]` across runs (X is neither time nor iteration): from
 * the view's tidy table with the lets, after `where`, one trace per group (and Y
 * column), one point per X value: the mean of the group's rows there, with error bars
 * that say what they are (sd, se or ci95, in the legend title and every hover, with n).
 * A group with failed plans (no value of Y: a migration that did not complete) or
 * missing plans (not run: another shard's, or interrupted) is flagged in its name.
 * A facet is a subplot per value, sharing the Y range. A column the experiment sweeps
 * that is neither X, a group nor the facet is an error: averaging over it silently
 * would mix what the plot is meant to tell apart (the seed is the one axis averaged).
 */

const FONT = { family: 'system-ui, sans-serif', size: 12 };
/** Facets per row of the grid. */
const FACET_COLUMNS = 3;

/** One point of a trace: the rows of a group at one X value. */
interface Point {
  x: ParamValue;
  mean: number | null;
  sd: number | null;
  /** Rows with a value of Y. */
  n: number;
  /** Rows without (the plan's Y is null: it failed). */
  failed: number;
}

interface Trace {
  y: string;
  /** The group's values, by group column (facet first). */
  key: Record<string, ParamValue>;
  points: Point[];
}

export function crossRunFigure(
  output: PlotOutput,
  e: ExperimentRun,
  lets: readonly LetDefinition[] = [],
): PlotlyFigure {
  const table = whereRows(viewTable(e, output.table, lets), output.where, output.table);
  const x = output.xColumn;
  const ys = output.yColumns ?? [output.yColumn];
  const by = output.by ?? [];
  const facet = output.facet;
  const names = table.columnNames();
  for (const c of [x, ...ys, ...by, ...(facet === undefined ? [] : [facet])])
    requireColumn(names, c, output.table);
  checkSweptColumns(e, table, [x, ...by, ...(facet === undefined ? [] : [facet])], output);
  const groups = [...(facet === undefined ? [] : [facet]), ...by];
  const traces = ys.flatMap((y) => groupTraces(table, groups, x, y));
  const error: PlotError =
    output.error ?? (traces.some((t) => t.points.some((p) => p.n > 1)) ? 'sd' : 'none');
  const facets = facet === undefined ? [null] : distinct(table, facet);
  const missing = missingByGroup(e, groups);
  const stopped = stoppedByPoint(table, groups, x);
  const styleKeys: string[] = [];
  const data: PlotlyJson[] = [];
  const ns = traces.flatMap((t) => t.points.map((p) => p.n));
  for (const t of traces) {
    const legendKey = JSON.stringify([t.y, ...by.map((c) => t.key[c])]);
    let s = styleKeys.indexOf(legendKey);
    const first = s < 0;
    if (first) s = styleKeys.push(legendKey) - 1;
    const style = traceStyle(s);
    const panel = facet === undefined ? 0 : facets.indexOf(t.key[facet]);
    const label = traceLabel(t, by, ys.length > 1);
    const failed = t.points.reduce((a, p) => a + p.failed, 0);
    const lost = missing.get(JSON.stringify(groups.map((c) => t.key[c]))) ?? 0;
    const flags = [...(failed ? [`${failed} failed`] : []), ...(lost ? [`${lost} missing`] : [])];
    const name = flags.length ? `${label} ⚠ ${flags.join(', ')}` : label;
    // A flag's points sit at `on` and `off`, the words the language and the table use.
    const xs = t.points.map((p) => (typeof p.x === 'boolean' ? flagWord(p.x) : p.x));
    const means = t.points.map((p) => p.mean);
    const errors = t.points.map((p) => errorOf(p, error));
    const xTitle = axisTitle(x, unitOf(table, x));
    const yTitle = axisTitle(t.y, unitOf(table, t.y));
    const stoppedHere = t.points.map(
      (p) => stopped.get(JSON.stringify([...groups.map((c) => t.key[c]), p.x])) ?? 0,
    );
    const text = t.points.map(
      (p, k) =>
        `${name}<br>${xTitle} = ${cell(p.x)}<br>${yTitle} = ${formatNumber(p.mean)}` +
        `${error === 'none' || errors[k] === null ? '' : ` ± ${formatNumber(errors[k])} (${error})`}` +
        `<br>n = ${p.n}${p.failed ? `, ${p.failed} failed` : ''}` +
        `${stoppedHere[k] ? `<br>${stoppedHere[k]} of ${p.n + p.failed} did not complete` : ''}`,
    );
    // A point with runs that did not complete: a hollow marker (the legend says so).
    const symbols = stoppedHere.map((n) => (n > 0 ? `${style.symbol}-open` : style.symbol));
    const axes = panel === 0 ? {} : { xaxis: `x${panel + 1}`, yaxis: `y${panel + 1}` };
    const common = {
      name,
      x: xs,
      y: means,
      text,
      hovertemplate: '%{text}<extra></extra>',
      legendgroup: legendKey,
      showlegend: first,
      ...axes,
      ...(error === 'none'
        ? {}
        : {
            error_y: {
              type: 'data',
              array: errors,
              visible: true,
              thickness: 1.5,
              width: 4,
              color: style.color,
            },
          }),
    };
    if (output.mark === 'bar')
      data.push({
        type: 'bar',
        ...common,
        marker: {
          color: style.color,
          pattern: { shape: stoppedHere.map((n) => (n > 0 ? '/' : '')), solidity: 0.5 },
        },
      });
    else
      data.push({
        type: 'scatter',
        mode: output.mark === 'scatter' ? 'markers' : 'lines+markers',
        ...common,
        line: { color: style.color, dash: style.dash, width: 2 },
        marker: { color: style.color, symbol: symbols, size: 7 },
      });
  }
  const yUnit = commonUnit(ys.map((y) => unitOf(table, y)));
  const yTitle =
    ys.length === 1
      ? axisTitle(ys[0], unitOf(table, ys[0]))
      : yUnit === undefined
        ? ys.join(', ')
        : `${ys.map((y) => axisTitle(y, yUnit).replace(` (${yUnit})`, '')).join(', ')} (${yUnit})`;
  const layout = figureLayout(output, facets, facet, {
    xTitle: axisTitle(x, unitOf(table, x)),
    yTitle,
    legendTitle: [legendTitle(by, error, ns), ...(stopped.size ? [STOPPED_NOTE] : [])].join('<br>'),
    legendEntries: styleKeys.length,
  });
  return { data, layout };
}

/** Every swept column with more than one value in `table` must be X, a group or the facet. */
function checkSweptColumns(
  e: ExperimentRun,
  table: ColumnTable,
  used: readonly string[],
  output: PlotOutput,
): void {
  for (const a of e.axes) {
    // A field that differs between named definitions follows the name (`dirty_log` of
    // `tracking`): placing the name places it.
    if (a.source === 'differs') continue;
    if (used.includes(a.column) || !table.columnNames().includes(a.column)) continue;
    if (distinct(table, a.column).length <= 1) continue;
    throw new ColumnError(
      `The plot of ${output.y} over ${output.x} would average over '${a.column}', which the experiment sweeps. Add it to the plot: by ${[...(output.by ?? []), a.column].join(', ')}, or facet ${a.column}, or keep one value with where ${a.column} = ...`,
    );
  }
}

/** The distinct values of `column`, numbers ascending, others in order of appearance. */
function distinct(table: ColumnTable, column: string): ParamValue[] {
  const values = [...new Set(Array.from(table.array(column) as ArrayLike<ParamValue>))];
  return values.every((v) => typeof v === 'number')
    ? values.sort((a, b) => Number(a) - Number(b))
    : values;
}

/** One trace per group of `groups` for Y `y`: a point per X value, with Arquero's rollup. */
function groupTraces(table: ColumnTable, groups: readonly string[], x: string, y: string): Trace[] {
  const rolled = table
    .groupby(...groups, x)
    .rollup({ mean: op.mean(y), sd: op.stdev(y), n: op.valid(y), rows: op.count() })
    .objects() as Record<string, unknown>[];
  const traces = new Map<string, Trace>();
  for (const r of rolled) {
    const key = Object.fromEntries(groups.map((g) => [g, r[g] as ParamValue]));
    const id = JSON.stringify(groups.map((g) => key[g]));
    let t = traces.get(id);
    if (!t) traces.set(id, (t = { y, key, points: [] }));
    const n = Number(r.n);
    t.points.push({
      x: r[x] as ParamValue,
      mean: numberOrNull(r.mean),
      sd: numberOrNull(r.sd),
      n,
      failed: Number(r.rows) - n,
    });
  }
  for (const t of traces.values())
    if (t.points.every((p) => typeof p.x === 'number'))
      t.points.sort((a, b) => Number(a.x) - Number(b.x));
  return [...traces.values()];
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The half-height of a point's error bar. */
function errorOf(p: Point, error: PlotError): number | null {
  if (error === 'none') return null;
  if (error === 'sd') return p.n >= 2 ? p.sd : null;
  return spread(p.sd, p.n, error === 'ci95');
}

/** What a hollow marker or a hatched bar of a chart across runs means. */
const STOPPED_NOTE = 'hollow, hatched: some runs did not complete';

/**
 * Rows whose migration did not complete, per point (the group's values and X as JSON):
 * their `status` is not `completed` (the runs stopped at their cap or were cancelled).
 */
function stoppedByPoint(
  table: ColumnTable,
  groups: readonly string[],
  x: string,
): Map<string, number> {
  const out = new Map<string, number>();
  if (!table.columnNames().includes('status')) return out;
  for (const row of table.objects() as Record<string, ParamValue>[]) {
    if (row.status === null || row.status === COMPLETED) continue;
    const id = JSON.stringify([...groups.map((g) => row[g] ?? null), row[x] ?? null]);
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/** Missing plans per group (the group's values as JSON): plans that have no result. */
function missingByGroup(e: ExperimentRun, groups: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of e.missing) {
    const row: Record<string, ParamValue> = { ...m.params, seed: m.seed, label: m.label };
    const id = JSON.stringify(groups.map((g) => row[g] ?? null));
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

function traceLabel(t: Trace, by: readonly string[], withY: boolean): string {
  const group =
    by.length === 0
      ? ''
      : by.length === 1
        ? cell(t.key[by[0]])
        : by.map((c) => `${c}=${cell(t.key[c])}`).join(', ');
  if (!withY) return group || t.y;
  return group ? `${t.y}: ${group}` : t.y;
}

/** A value in a legend, a hover or a facet's title: as a table cell shows it (`on` for a flag). */
function cell(v: ParamValue): string {
  return formatCell(v);
}

/** "tracking · mean ± sd, n=3": what a point is, once for the legend. */
function legendTitle(by: readonly string[], error: PlotError, ns: readonly number[]): string {
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  const n = ns.length === 0 ? '' : lo === hi ? `n=${lo}` : `n=${lo}–${hi}`;
  const stat = error === 'none' ? (hi > 1 ? `mean, ${n}` : n) : `mean ± ${error}, ${n}`;
  return [by.join(', '), stat].filter((s) => s !== '').join(' · ');
}

function commonUnit(units: readonly (string | undefined)[]): string | undefined {
  return units.every((u) => u !== undefined && u === units[0]) ? units[0] : undefined;
}

function figureLayout(
  output: PlotOutput,
  facets: readonly ParamValue[],
  facet: string | undefined,
  t: { xTitle: string; yTitle: string; legendTitle: string; legendEntries: number },
): PlotlyJson {
  const logX = output.log === 'x' || output.log === 'xy';
  const logY = output.log === 'y' || output.log === 'xy';
  const xaxis = (): PlotlyJson => ({
    title: { text: t.xTitle },
    ...(logX ? { type: 'log' } : {}),
  });
  const yaxis = (k: number, column: number): PlotlyJson => ({
    title: { text: column === 0 ? t.yTitle : '' },
    ...(logY ? { type: 'log' } : { rangemode: 'tozero' }),
    ...(k > 0 ? { matches: 'y' } : {}),
  });
  const by = output.by?.length ? ` by ${output.by.join(', ')}` : '';
  const layout: PlotlyJson = {
    title: { text: `${output.y} over ${output.x}${by}${facet ? `, per ${facet}` : ''}` },
    font: FONT,
    showlegend: true,
    legend: { ...legendLayout(t.legendEntries), title: { text: t.legendTitle } },
    margin: { t: 60, r: 20 },
    ...(output.mark === 'bar' ? { barmode: 'group' } : {}),
  };
  if (facet === undefined) {
    layout.xaxis = xaxis();
    layout.yaxis = yaxis(0, 0);
    return layout;
  }
  const columns = Math.min(FACET_COLUMNS, facets.length);
  const rows = Math.ceil(facets.length / columns);
  layout.grid = { rows, columns, pattern: 'independent', roworder: 'top to bottom' };
  layout.height = Math.max(420, 320 * rows);
  layout.annotations = facets.map((v, k) => ({
    text: `${facet} = ${cell(v)}`,
    showarrow: false,
    xref: `x${k === 0 ? '' : k + 1} domain`,
    yref: `y${k === 0 ? '' : k + 1} domain`,
    x: 0.5,
    y: 1.08,
    xanchor: 'center',
    yanchor: 'bottom',
  }));
  facets.forEach((_v, k) => {
    layout[`xaxis${k === 0 ? '' : k + 1}`] = xaxis();
    layout[`yaxis${k === 0 ? '' : k + 1}`] = yaxis(k, k % columns);
  });
  return layout;
}
