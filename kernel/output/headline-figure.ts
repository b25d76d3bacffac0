import type { ExperimentRun } from '../experiment/experiments.ts';
import { axisTitle } from './axis-title.ts';
import { incompleteReason } from './completion.ts';
import type { PlotlyFigure, PlotlyJson } from './figures.ts';
import { formatNumber } from './format.ts';
import { PALETTE } from './palette.ts';

/**
 * The chart a report opens with: for every plan of every experiment (its seeds taken
 * together), the migration's total time beside its downtime, the two figures a live
 * migration is judged by. Bars are the mean over seeds with the standard deviation;
 * a plan with a run that did not complete (stopped at its cap: `total_ms` is the cap
 * and there was no downtime) is hatched and says so in its hover and label.
 */

const FONT = { family: 'system-ui, sans-serif', size: 12 };
const TOTAL = 'total_ms';
const DOWNTIME = 'downtime_ms';

/** One bar pair: a plan over its seeds. */
interface PlanBars {
  name: string;
  total: number[];
  downtime: number[];
  runs: number;
  /** Why each run that did not complete stopped. */
  incomplete: string[];
}

/** The label of a plan without its seed: `web/ring/qemu/bandwidth=10Gbit/s`. */
function planName(label: string): string {
  return label.replace(/\/seed=[^/]*$/, '');
}

function numbersOf(values: unknown[]): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

function sd(xs: readonly number[]): number | null {
  const m = mean(xs);
  if (m === null || xs.length < 2) return null;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** The plans of the experiments in the order they ran, their seeds together. */
function planBars(experiments: readonly ExperimentRun[]): PlanBars[] {
  const plans = new Map<string, PlanBars>();
  for (const e of experiments)
    for (const r of e.runs) {
      const name = planName(r.label);
      let p = plans.get(name);
      if (!p) plans.set(name, (p = { name, total: [], downtime: [], runs: 0, incomplete: [] }));
      const row = (r.result.summary.numRows() ? r.result.summary.object(0) : {}) as Record<
        string,
        unknown
      >;
      p.total.push(...numbersOf([row[TOTAL]]));
      p.downtime.push(...numbersOf([row[DOWNTIME]]));
      p.runs++;
      const reason = incompleteReason(r.result);
      if (reason !== undefined) p.incomplete.push(reason);
    }
  return [...plans.values()];
}

/** The headline chart of these experiments, or undefined when no run has a summary. */
export function headlineFigure(experiments: readonly ExperimentRun[]): PlotlyFigure | undefined {
  const plans = planBars(experiments);
  if (plans.every((p) => p.total.length === 0 && p.downtime.length === 0)) return undefined;
  const names = plans.map((p) => (p.incomplete.length ? `${p.name} ✕` : p.name));
  const hatch = plans.map((p) => (p.incomplete.length ? '/' : ''));
  const bars = (column: string, pick: (p: PlanBars) => number[], k: number): PlotlyJson => {
    const title = axisTitle(column, 'ms');
    return {
      type: 'bar',
      orientation: 'h',
      name: title,
      y: names,
      x: plans.map((p) => mean(pick(p))),
      error_x: { type: 'data', array: plans.map((p) => sd(pick(p))), visible: true },
      text: plans.map((p) => {
        const m = mean(pick(p));
        const stopped = p.incomplete.length
          ? `<br>${p.incomplete.length} of ${p.runs} run(s) did not complete: ${[...new Set(p.incomplete)].join(', ')}`
          : '';
        return `${p.name}<br>${title} = ${formatNumber(m)} (mean of ${pick(p).length})${stopped}`;
      }),
      textposition: 'none',
      hovertemplate: '%{text}<extra></extra>',
      marker: { color: PALETTE[k], pattern: { shape: hatch, solidity: 0.5 } },
      xaxis: k === 0 ? 'x' : 'x2',
      yaxis: 'y',
    };
  };
  const stopped = plans.some((p) => p.incomplete.length);
  return {
    data: [bars(TOTAL, (p) => p.total, 0), bars(DOWNTIME, (p) => p.downtime, 1)],
    layout: {
      title: {
        text: `total time and downtime per plan${plans.some((p) => p.runs > 1) ? ' (mean ± sd over seeds)' : ''}`,
      },
      font: FONT,
      height: Math.max(260, 120 + 24 * plans.length),
      xaxis: { domain: [0, 0.48], title: { text: axisTitle(TOTAL, 'ms') }, rangemode: 'tozero' },
      xaxis2: {
        domain: [0.52, 1],
        anchor: 'y',
        title: { text: axisTitle(DOWNTIME, 'ms') },
        rangemode: 'tozero',
      },
      yaxis: { automargin: true, autorange: 'reversed' },
      showlegend: false,
      margin: { t: 50, r: 20 },
      ...(stopped
        ? {
            annotations: [
              {
                text: '✕ hatched: a run of the plan did not complete (stopped at its cap or interrupted)',
                showarrow: false,
                xref: 'paper',
                yref: 'paper',
                x: 0,
                y: 1.02,
                xanchor: 'left',
                yanchor: 'bottom',
                font: { size: 11, color: '#666' },
              },
            ],
          }
        : {}),
    },
  };
}
