import { describe, expect, it } from 'vitest';
import { plotDataTable } from '../../../kernel/output/plot-csv.ts';
import type { PlotlyFigure } from '../../../kernel/output/figures.ts';

describe('the long CSV behind a chart', () => {
  it('has a row per point drawn, with the trace, its mark, the axis titles and the error bar', () => {
    const figure: PlotlyFigure = {
      data: [
        {
          type: 'scatter',
          mode: 'lines+markers',
          name: 'ring',
          x: [1, 10],
          y: [300, 30],
          error_y: { type: 'data', array: [12, 1.5], visible: true },
        },
        { type: 'bar', name: 'bitmap', x: [1, 10], y: [310, 31] },
      ],
      layout: {
        xaxis: { title: { text: 'bandwidth (Gbit/s)' } },
        yaxis: { title: { text: 'downtime (ms)' } },
      },
    };
    expect(plotDataTable(figure).objects()).toEqual([
      {
        trace: 'ring',
        mark: 'lines+markers',
        x_axis: 'bandwidth (Gbit/s)',
        x: 1,
        y_axis: 'downtime (ms)',
        y: 300,
        error: 12,
      },
      {
        trace: 'ring',
        mark: 'lines+markers',
        x_axis: 'bandwidth (Gbit/s)',
        x: 10,
        y_axis: 'downtime (ms)',
        y: 30,
        error: 1.5,
      },
      {
        trace: 'bitmap',
        mark: 'bar',
        x_axis: 'bandwidth (Gbit/s)',
        x: 1,
        y_axis: 'downtime (ms)',
        y: 310,
        error: null,
      },
      {
        trace: 'bitmap',
        mark: 'bar',
        x_axis: 'bandwidth (Gbit/s)',
        x: 10,
        y_axis: 'downtime (ms)',
        y: 31,
        error: null,
      },
    ]);
  });

  it('keeps marker-only traces and names the panel of a chart with subplots; no error column without error bars', () => {
    const figure: PlotlyFigure = {
      data: [
        { type: 'scatter', mode: 'lines', name: 'guest writes/s', x: [0, 1], y: [5, 6] },
        { type: 'scatter', mode: 'markers', name: 'iteration', x: [0.5], y: [5.5] },
        {
          type: 'scatter',
          mode: 'lines',
          name: 'remaining pages',
          x: [0, 1],
          y: [9, 2],
          xaxis: 'x2',
          yaxis: 'y2',
        },
      ],
      layout: {
        xaxis: { title: { text: 'time (s)' } },
        yaxis: { title: { text: 'guest writes/s' } },
        xaxis2: { title: { text: 'time (s)' } },
        yaxis2: { title: { text: 'remaining pages' } },
        annotations: [{ text: 'vcpus = 4', xref: 'x2 domain' }],
      },
    };
    const t = plotDataTable(figure);
    expect(t.columnNames()).toEqual(['trace', 'mark', 'panel', 'x_axis', 'x', 'y_axis', 'y']);
    expect(t.objects()[2]).toEqual({
      trace: 'iteration',
      mark: 'markers',
      panel: 'x',
      x_axis: 'time (s)',
      x: 0.5,
      y_axis: 'guest writes/s',
      y: 5.5,
    });
    expect(t.objects()[4]).toMatchObject({ panel: 'vcpus = 4', y_axis: 'remaining pages', y: 2 });
  });
});
