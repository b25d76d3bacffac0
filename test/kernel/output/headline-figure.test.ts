import { describe, expect, it } from 'vitest';
import { headlineFigure } from '../../../kernel/output/headline-figure.ts';
import { handExperiment, nameAxis } from '../../helpers/experiments.ts';
import type { HandRun } from '../../helpers/experiments.ts';

/** bitmap completes (two seeds); ring stops at its 60 s cap on seed 2. */
const runs: HandRun[] = [
  {
    params: { tracking: 'bitmap' },
    seed: 1,
    summary: { status: 'completed', total_ms: 900, downtime_ms: 100 },
  },
  {
    params: { tracking: 'bitmap' },
    seed: 2,
    summary: { status: 'completed', total_ms: 1100, downtime_ms: 140 },
  },
  {
    params: { tracking: 'ring' },
    seed: 1,
    summary: { status: 'completed', total_ms: 800, downtime_ms: 90 },
  },
  {
    params: { tracking: 'ring' },
    seed: 2,
    summary: { status: 'not-converged', total_ms: 60000, downtime_ms: null },
  },
];
const e = handExperiment([nameAxis('tracking', ['bitmap', 'ring'])], runs);

describe('headlineFigure: the chart a report opens with', () => {
  it('draws total time and downtime per plan, the mean over seeds with sd, axes in ms', () => {
    const figure = headlineFigure([e]);
    if (!figure) throw new Error('no headline figure');
    const [total, downtime] = figure.data;
    expect(total.y).toEqual(['tracking=bitmap', 'tracking=ring ✕']);
    expect(total.x).toEqual([1000, 30400]);
    expect(downtime.x).toEqual([120, 90]);
    expect((total.error_x as { array: unknown[] }).array[0]).toBeCloseTo(Math.sqrt(20000));
    const layout = figure.layout as Record<string, { title?: { text: string } }>;
    expect(layout.xaxis.title?.text).toBe('total (ms)');
    expect(layout.xaxis2.title?.text).toBe('downtime (ms)');
  });

  it('hatches a plan with a run that did not complete and says why in its hover', () => {
    const figure = headlineFigure([e]);
    const [total] = figure?.data ?? [];
    expect((total.marker as { pattern: { shape: string[] } }).pattern.shape).toEqual(['', '/']);
    expect((total.text as string[])[1]).toContain('1 of 2 run(s) did not complete: not-converged');
    expect(JSON.stringify(figure?.layout.annotations)).toContain('did not complete');
  });

  it('has no hatching and no note when every run completed (the twin)', () => {
    const done = handExperiment(
      [nameAxis('tracking', ['bitmap'])],
      runs.filter((r) => r.params.tracking === 'bitmap'),
    );
    const figure = headlineFigure([done]);
    expect((figure?.data[0].marker as { pattern: { shape: string[] } }).pattern.shape).toEqual([
      '',
    ]);
    expect(figure?.layout.annotations).toBeUndefined();
  });

  it('draws nothing for experiments without runs', () => {
    expect(headlineFigure([handExperiment([], [])])).toBeUndefined();
  });
});
