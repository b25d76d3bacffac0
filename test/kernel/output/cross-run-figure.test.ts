import { describe, expect, it } from 'vitest';
import type { Axis, CompiledOutput, Expr } from '../../../dsl/compile.ts';
import { crossRunFigure } from '../../../kernel/output/cross-run-figure.ts';
import { plotFigure } from '../../../kernel/output/figures.ts';
import type { PlotlyJson } from '../../../kernel/output/figures.ts';
import { PALETTE } from '../../../kernel/output/palette.ts';
import { handExperiment, nameAxis, quantityAxis } from '../../helpers/experiments.ts';
import type { HandRun } from '../../helpers/experiments.ts';

type Plot = Extract<CompiledOutput, { kind: 'plot' }>;

const span = { line: 1, column: 1, offset: 0, length: 1 };
/** `COLUMN OP VALUE`, as the compiler makes a `where`. */
const compare = (column: string, op: '=' | '<', value: Expr): Expr => ({
  kind: 'binary',
  op,
  left: { kind: 'column', name: column, span },
  right: value,
  span,
});

const plot = (over: Partial<Plot> = {}): Plot => ({
  kind: 'plot',
  y: 'downtime',
  x: 'bandwidth',
  table: 'summary',
  xColumn: 'bandwidth',
  yColumn: 'downtime_ms',
  by: ['tracking'],
  line: 1,
  ...over,
});

/** bitmap/ring × 1, 10 Gbit/s × seeds 1..3; downtime = base/bandwidth + seed. */
function runs(): HandRun[] {
  const out: HandRun[] = [];
  for (const tracking of ['bitmap', 'ring'])
    for (const bandwidth of [1, 10])
      for (const seed of [1, 2, 3])
        out.push({
          params: { tracking, bandwidth },
          seed,
          summary: { tracking, downtime_ms: (tracking === 'ring' ? 100 : 200) / bandwidth + seed },
        });
  return out;
}
const axes = [
  nameAxis('tracking', ['bitmap', 'ring']),
  quantityAxis('bandwidth', 'Gbit/s', [1, 10]),
];
const e = handExperiment(axes, runs());

const title = (layout: PlotlyJson, axis: string): unknown =>
  ((layout[axis] as { title: { text: string } }).title ?? {}).text;

describe('crossRunFigure', () => {
  it('draws one trace per group, a point per X value: the mean over seeds with sd bars', () => {
    const { data } = crossRunFigure(plot(), e);
    expect(data.map((t) => t.name)).toEqual(['bitmap', 'ring']);
    expect(data[0].x).toEqual([1, 10]);
    // bitmap at 1 Gbit/s: 201, 202, 203 → mean 202, sd 1; at 10: 21, 22, 23.
    expect(data[0].y).toEqual([202, 22]);
    expect(data[1].y).toEqual([102, 12]);
    expect(data[0].error_y).toMatchObject({ type: 'data', array: [1, 1], visible: true });
  });

  it('says what the bars are, with n, in the legend title and every hover', () => {
    const { data, layout } = crossRunFigure(plot(), e);
    expect((layout.legend as { title: { text: string } }).title.text).toBe(
      'tracking · mean ± sd, n=3',
    );
    expect((data[0].text as string[])[0]).toContain('downtime (ms) = 202 ± 1 (sd)');
    expect((data[0].text as string[])[0]).toContain('n = 3');
  });

  it('takes se and ci95 (Student t) when asked', () => {
    const se = crossRunFigure(plot({ error: 'se' }), e).data[0].error_y as { array: number[] };
    expect(se.array[0]).toBeCloseTo(1 / Math.sqrt(3), 9);
    const ci = crossRunFigure(plot({ error: 'ci95' }), e).data[0].error_y as { array: number[] };
    expect(ci.array[0]).toBeCloseTo((4.3027 * 1) / Math.sqrt(3), 4);
    expect(crossRunFigure(plot({ error: 'none' }), e).data[0].error_y).toBeUndefined();
  });

  it('titles the axes with their units', () => {
    const { layout } = crossRunFigure(plot(), e);
    expect(title(layout, 'xaxis')).toBe('bandwidth (Gbit/s)');
    expect(title(layout, 'yaxis')).toBe('downtime (ms)');
  });

  it('draws bars, markers only, and log axes when asked', () => {
    expect(crossRunFigure(plot({ mark: 'bar' }), e).data[0].type).toBe('bar');
    expect(crossRunFigure(plot({ mark: 'scatter' }), e).data[0].mode).toBe('markers');
    const { layout } = crossRunFigure(plot({ log: 'xy' }), e);
    expect(layout.xaxis).toMatchObject({ type: 'log' });
    expect(layout.yaxis).toMatchObject({ type: 'log' });
  });

  it('makes a subplot per facet value, sharing Y, with a legend entry per group once', () => {
    const { data, layout } = crossRunFigure(
      plot({ by: ['tracking'], facet: 'bandwidth', xColumn: 'seed', x: 'seed' }),
      e,
    );
    expect(layout.grid).toMatchObject({ rows: 1, columns: 2 });
    expect(data.map((t) => [t.name, t.xaxis ?? 'x', t.showlegend])).toEqual([
      ['bitmap', 'x', true],
      ['bitmap', 'x2', false],
      ['ring', 'x', true],
      ['ring', 'x2', false],
    ]);
    expect((layout.annotations as { text: string }[]).map((a) => a.text)).toEqual([
      'bandwidth = 1',
      'bandwidth = 10',
    ]);
    expect(layout.yaxis2).toMatchObject({ matches: 'y' });
  });

  it('refuses to average over a swept column that is not X, a group or the facet', () => {
    expect(() => crossRunFigure(plot({ by: [] }), e)).toThrow(
      /would average over 'tracking', which the experiment sweeps\. Add it to the plot: by tracking/,
    );
    expect(() => crossRunFigure(plot({ by: ['tracking'] }), e)).not.toThrow();
  });

  it('lets a field that differs between named definitions follow the name', () => {
    const differs = handExperiment(
      [
        ...axes,
        { column: 'dirty_log', dim: 'enum', values: ['manual', 'ring'], source: 'differs' },
      ],
      runs().map((r) => ({
        ...r,
        params: { ...r.params, dirty_log: r.params.tracking === 'ring' ? 'ring' : 'manual' },
      })),
    );
    expect(crossRunFigure(plot(), differs).data.map((t) => t.name)).toEqual(['bitmap', 'ring']);
  });

  it('flags a group with failed and missing plans', () => {
    const some = runs();
    some[0].summary.downtime_ms = null; // bitmap, 1 Gbit/s, seed 1 did not complete
    const lost = handExperiment(axes, some.slice(0, -1), [
      { index: 11, label: 'ring/10/seed=3', params: { tracking: 'ring', bandwidth: 10 }, seed: 3 },
    ]);
    const { data } = crossRunFigure(plot(), lost);
    expect(data.map((t) => t.name)).toEqual(['bitmap ⚠ 1 failed', 'ring ⚠ 1 missing']);
    expect((data[0].text as string[])[0]).toContain('n = 2, 1 failed');
  });

  it('keeps 20 series apart: colour-blind-safe colours, then dashes, each its own marker', () => {
    const many: HandRun[] = [];
    for (let g = 0; g < 20; g++)
      for (const bandwidth of [1, 10])
        many.push({
          params: { tracking: `t${g}`, bandwidth },
          seed: 1,
          summary: { downtime_ms: g + bandwidth },
        });
    const { data, layout } = crossRunFigure(
      plot(),
      handExperiment([nameAxis('tracking', []), axes[1]], many),
    );
    const styles = data.map((t) => {
      const line = t.line as { color: string; dash: string };
      return `${line.color}/${line.dash}`;
    });
    expect(new Set(styles).size).toBe(20);
    expect(
      data.every((t) => PALETTE.includes((t.line as { color: (typeof PALETTE)[number] }).color)),
    ).toBe(true);
    expect(layout.legend).toMatchObject({ orientation: 'v' });
  });

  it('places a flag axis at on and off and names its groups and facets so, as tables do', () => {
    const flagAxis: Axis = { column: 'pml', dim: 'flag', values: [true, false], source: 'family' };
    const flagged = handExperiment(
      [flagAxis, nameAxis('tracking', ['bitmap', 'ring'])],
      [true, false].flatMap((pml) =>
        ['bitmap', 'ring'].map((tracking) => ({
          params: { pml, tracking },
          seed: 1,
          summary: { tracking, downtime_ms: pml ? 10 : 20 },
        })),
      ),
    );
    const over = crossRunFigure(plot({ x: 'pml', xColumn: 'pml' }), flagged);
    expect(over.data.map((t) => t.x)).toEqual([
      ['on', 'off'],
      ['on', 'off'],
    ]);
    expect((over.data[0].text as string[])[0]).toContain('pml = on');
    const by = crossRunFigure(plot({ x: 'tracking', xColumn: 'tracking', by: ['pml'] }), flagged);
    expect(by.data.map((t) => t.name)).toEqual(['on', 'off']);
    const facets = crossRunFigure(
      plot({ x: 'tracking', xColumn: 'tracking', by: [], facet: 'pml' }),
      flagged,
    );
    const titles = (facets.layout.annotations as { text: string }[]).map((a) => a.text);
    expect(titles).toEqual(['pml = on', 'pml = off']);
  });
});

describe('plotFigure over time', () => {
  it('draws a trace per plan with titles in units, and a dash per by-group', () => {
    const { data, layout } = plotFigure(
      plot({
        y: 'remaining',
        x: 'time',
        table: 'timeline',
        xColumn: 'time_s',
        yColumn: 'remaining_pages',
      }),
      e,
    );
    expect(data).toHaveLength(12);
    expect(title(layout, 'xaxis')).toBe('time (s)');
    expect(title(layout, 'yaxis')).toBe('remaining (pages)');
    const dashes = new Map(data.map((t) => [t.legendgroup, (t.line as { dash: string }).dash]));
    expect([...dashes.entries()]).toEqual([
      ['bitmap', 'solid'],
      ['ring', 'dash'],
    ]);
  });

  it('leaves out the plans `where` leaves no row of, and cuts the rows of the others', () => {
    const over = {
      y: 'remaining',
      x: 'time',
      table: 'timeline' as const,
      xColumn: 'time_s',
      yColumn: 'remaining_pages',
    };
    const ring = plotFigure(
      plot({
        ...over,
        by: [],
        where: compare('tracking', '=', { kind: 'text', value: 'ring', span }),
      }),
      e,
    );
    expect(ring.data).toHaveLength(6);
    expect(ring.data.every((t) => String(t.name).startsWith('tracking=ring/'))).toBe(true);
    const early = plotFigure(
      plot({
        ...over,
        by: [],
        where: compare('time_s', '<', { kind: 'number', value: 0.5, span }),
      }),
      e,
    );
    expect(early.data).toHaveLength(12);
    expect(early.data.every((t) => (t.x as number[]).length === 1)).toBe(true);
  });
});

describe('runs that did not complete', () => {
  /** Two seeds per tracking; ring's seed 2 stopped at its cap. */
  const stoppedRuns: HandRun[] = ['bitmap', 'ring'].flatMap((tracking) =>
    [1, 2].map((seed) => ({
      params: { tracking, bandwidth: 1 },
      seed,
      summary: {
        tracking,
        status: tracking === 'ring' && seed === 2 ? 'not-converged' : 'completed',
        downtime_ms: 100 + seed,
      },
    })),
  );
  const stopped = handExperiment(
    [nameAxis('tracking', ['bitmap', 'ring']), quantityAxis('bandwidth', 'Gbit/s', [1])],
    stoppedRuns,
  );

  it('over time: a faded line with hollow markers, an ✕ where it stopped, and a legend note', () => {
    const { data, layout } = plotFigure(
      plot({
        y: 'dirty',
        x: 'iteration',
        table: 'iterations',
        xColumn: 'iteration',
        yColumn: 'remaining_pages',
        by: [],
      }),
      stopped,
    );
    const ring2 = data.find((t) => String(t.name).endsWith('✕ not-converged'));
    expect(ring2).toMatchObject({ opacity: 0.6 });
    expect(String((ring2?.marker as { symbol: string }).symbol)).toMatch(/-open$/);
    const end = data.filter((t) => t.showlegend === false);
    expect(end).toHaveLength(1);
    expect(end[0]).toMatchObject({ x: [2], y: [10], marker: { symbol: 'x-thin-open' } });
    expect(JSON.stringify(layout.legend)).toContain('did not complete');
    // The completed runs are drawn as before.
    const done = data.filter((t) => t !== ring2 && t.showlegend !== false);
    expect(done.every((t) => t.opacity === undefined)).toBe(true);
  });

  it('across runs: a hollow marker where a run did not complete, and a legend note', () => {
    const { data, layout } = crossRunFigure(plot(), stopped);
    const symbols = data.map((t) => (t.marker as { symbol: string[] }).symbol);
    expect(symbols[0].some((s) => s.endsWith('-open'))).toBe(false);
    expect(symbols[1].every((s) => s.endsWith('-open'))).toBe(true);
    expect((data[1].text as string[])[0]).toContain('1 of 2 did not complete');
    expect((layout.legend as { title: { text: string } }).title.text).toContain(
      'some runs did not complete',
    );
    // The twin: without the stopped run, no hollow marker and no note.
    const complete = handExperiment(stopped.axes, stoppedRuns.slice(0, 3));
    const again = crossRunFigure(plot(), complete);
    expect(JSON.stringify(again)).not.toMatch(/-open|did not complete/);
  });
});
