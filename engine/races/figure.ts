import type { TraceStep, Violation } from './types.ts';

/**
 * A counterexample as a swimlane chart: a Plotly figure spec (plain JSON, as
 * `Plotly.newPlot(div, data, layout)` takes it), so every front end can show it. One
 * lane per thread with its steps in trace order, store-buffer flushes marked apart,
 * and on top a lane for the shared cell that goes wrong, with its value in memory
 * after each change; the steps that write it are highlighted.
 */

/** A Plotly trace or layout object. */
export type PlotlyJson = Record<string, unknown>;

/** The same shape as the figures of the experiment layer. */
export interface PlotlyFigure {
  data: PlotlyJson[];
  layout: PlotlyJson;
}

const FONT = { family: 'system-ui, sans-serif', size: 12 };
const COLOR = {
  step: '#1f77b4',
  flush: '#9467bd',
  culprit: '#d62728',
  band: 'rgba(214, 39, 40, 0.08)',
};
/** Longest label shown beside a step; the full text is in the hover. */
const LABEL_CHARS = 26;

export function swimlaneFigure(violation: Violation, title?: string): PlotlyFigure {
  const { trace, culprits } = violation;
  const steps = trace.steps;
  const threads = trace.final.threads.map((t) => t.name);
  const culpritLanes = culprits.map((c) => `${c} (memory)`);
  const lanes = [...culpritLanes, ...threads];
  const culpritSet = new Set(culprits);
  const writesCulprit = (s: TraceStep): boolean => s.writes.some((w) => culpritSet.has(w.var));

  const stepTrace: PlotlyJson = {
    type: 'scatter',
    mode: 'markers+text',
    name: 'steps',
    x: steps.map((s) => s.index),
    y: steps.map((s) => s.thread),
    text: steps.map((s) =>
      shorten(s.kind === 'flush' ? `flush ${s.writes[0]?.var ?? ''}` : s.label),
    ),
    // Alternate above and below within each lane, so neighbouring labels do not collide.
    textposition: alternateInLanes(steps),
    textfont: { size: 10 },
    hovertext: steps.map(hover),
    hoverinfo: 'text',
    marker: {
      size: 14,
      symbol: steps.map((s) => (s.kind === 'flush' ? 'triangle-down' : 'square')),
      color: steps.map((s) =>
        writesCulprit(s) ? COLOR.culprit : s.kind === 'flush' ? COLOR.flush : COLOR.step,
      ),
      line: { width: 1, color: '#333' },
    },
    showlegend: false,
  };

  // The culprit cells' values in memory: at the start, then after each memory write.
  const valueTraces: PlotlyJson[] = culprits.map((c, k) => {
    const xs: number[] = [0];
    const texts: string[] = [trace.initial.shown[c] ?? ''];
    for (const s of steps) {
      for (const w of s.writes) {
        if (w.var === c && w.via === 'memory') {
          xs.push(s.index);
          texts.push(w.shown);
        }
      }
    }
    return {
      type: 'scatter',
      mode: 'lines+markers+text',
      name: `${c} in memory`,
      x: xs,
      y: xs.map(() => culpritLanes[k]),
      text: texts,
      textposition: xs.map((_, i) => (i % 2 === 0 ? 'top right' : 'bottom right')),
      textfont: { size: 10, color: COLOR.culprit },
      line: { shape: 'hv', color: COLOR.culprit, width: 1 },
      marker: { size: 8, color: COLOR.culprit },
      hoverinfo: 'text',
      hovertext: xs.map(
        (x, i) => `${c} = ${texts[i]}${x === 0 ? ' initially' : ` after step ${x}`}`,
      ),
      showlegend: false,
    };
  });

  const last = steps.length;
  const shapes: PlotlyJson[] = [
    ...culpritLanes.map((lane) => ({
      type: 'rect',
      xref: 'paper',
      yref: 'y',
      x0: 0,
      x1: 1,
      y0: lanes.indexOf(lane) - 0.5,
      y1: lanes.indexOf(lane) + 0.5,
      fillcolor: COLOR.band,
      line: { width: 0 },
      layer: 'below',
    })),
    {
      type: 'line',
      xref: 'x',
      yref: 'paper',
      x0: last + 0.5,
      x1: last + 0.5,
      y0: 0,
      y1: 1,
      line: { dash: 'dot', width: 1, color: COLOR.culprit },
    },
  ];
  return {
    data: [stepTrace, ...valueTraces],
    layout: {
      title: { text: title ?? `${violation.property}: shortest counterexample (${last} steps)` },
      font: FONT,
      height: 160 + 70 * lanes.length,
      xaxis: {
        title: { text: 'step' },
        dtick: 1,
        range: [-0.5, last + 1.5],
        zeroline: false,
      },
      yaxis: {
        type: 'category',
        categoryorder: 'array',
        categoryarray: lanes,
        range: [lanes.length - 0.5, -0.5],
        automargin: true,
      },
      shapes,
      annotations: [
        {
          xref: 'x',
          yref: 'paper',
          x: last + 0.5,
          y: 1,
          xanchor: 'right',
          yanchor: 'bottom',
          showarrow: false,
          text: violation.message,
          font: { color: COLOR.culprit, size: 11 },
        },
      ],
      margin: { t: 70, r: 30, l: 20, b: 50 },
      showlegend: false,
    },
  };
}

function alternateInLanes(steps: readonly TraceStep[]): string[] {
  const seen = new Map<string, number>();
  return steps.map((s) => {
    const n = seen.get(s.thread) ?? 0;
    seen.set(s.thread, n + 1);
    return n % 2 === 0 ? 'top center' : 'bottom center';
  });
}

function shorten(text: string): string {
  return text.length <= LABEL_CHARS ? text : `${text.slice(0, LABEL_CHARS - 1)}…`;
}

function hover(s: TraceStep): string {
  const where = s.loc ? ` (line ${s.loc.line}:${s.loc.col})` : '';
  const lines = [`${s.index}. ${s.thread}: ${s.label}${where}`, s.text];
  for (const l of s.locals) lines.push(`  ${l.text}`);
  return lines.map(escapeHtml).join('<br>');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
