import { describe, expect, it } from 'vitest';
import { columnsOf } from '../../../kernel/experiment/column-info.ts';
import { experimentTable, tidyTable } from '../../../kernel/experiment/experiment-table.ts';
import { handExperiment, nameAxis, quantityAxis } from '../../helpers/experiments.ts';

const axes = [
  nameAxis('tracking', ['bitmap', 'ring']),
  quantityAxis('bandwidth', 'Gbit/s', [1, 10]),
];
const sweep = handExperiment(axes, [
  {
    params: { tracking: 'bitmap', bandwidth: 1 },
    seed: 1,
    summary: { tracking: 'bitmap', downtime_ms: 300 },
  },
  {
    params: { tracking: 'ring', bandwidth: 10 },
    seed: 2,
    summary: { tracking: 'ring', downtime_ms: 30 },
  },
]);

describe('tidyTable', () => {
  it('leads every row with label, one column per axis and seed, then the result columns', () => {
    const t = tidyTable(sweep, 'summary');
    expect(t.columnNames()).toEqual([
      'label',
      'tracking',
      'bandwidth',
      'seed',
      'vm',
      'downtime_ms',
    ]);
    expect(t.objects()).toEqual([
      {
        label: 'tracking=bitmap/bandwidth=1/seed=1',
        tracking: 'bitmap',
        bandwidth: 1,
        seed: 1,
        vm: 'vm',
        downtime_ms: 300,
      },
      {
        label: 'tracking=ring/bandwidth=10/seed=2',
        tracking: 'ring',
        bandwidth: 10,
        seed: 2,
        vm: 'vm',
        downtime_ms: 30,
      },
    ]);
  });

  it('gives the axes their type and unit, and result columns theirs from resultColumns', () => {
    const info = columnsOf(tidyTable(sweep, 'summary'));
    expect(info.find((c) => c.name === 'bandwidth')).toEqual({
      name: 'bandwidth',
      type: 'number',
      unit: 'Gbit/s',
    });
    expect(info.find((c) => c.name === 'tracking')).toEqual({ name: 'tracking', type: 'text' });
    expect(info.find((c) => c.name === 'downtime_ms')).toEqual({
      name: 'downtime_ms',
      type: 'number',
      unit: 'ms',
    });
    expect(info.find((c) => c.name === 'seed')).toEqual({ name: 'seed', type: 'number' });
  });

  it('leads the tables with many rows per plan too (timeline: every sample)', () => {
    const t = tidyTable(sweep, 'timeline');
    expect(t.columnNames()).toEqual([
      'label',
      'tracking',
      'bandwidth',
      'seed',
      'time_s',
      'remaining_pages',
    ]);
    expect(t.numRows()).toBe(4);
    expect(t.array('bandwidth')).toEqual([1, 1, 10, 10]);
    expect(columnsOf(t).find((c) => c.name === 'time_s')?.unit).toBe('s');
  });

  it('gives a single run a label and seed as a sweep has', () => {
    const one = {
      ...handExperiment([], [{ params: {}, seed: 7, summary: { downtime_ms: 1 } }]),
      mode: 'run' as const,
    };
    expect(tidyTable(one, 'summary').columnNames()).toEqual(['label', 'seed', 'vm', 'downtime_ms']);
  });

  it('fills a column only some plans have with null', () => {
    const mixed = handExperiment(
      [],
      [
        { params: {}, seed: 1, summary: { rss_bytes: 5 } },
        { params: {}, seed: 2, summary: {} },
      ],
    );
    expect(tidyTable(mixed, 'summary').array('rss_bytes')).toEqual([5, null]);
  });

  it('keeps the columns asked for after the label (table V with a, b)', () => {
    expect(experimentTable(sweep, 'summary', ['downtime_ms', 'bandwidth']).columnNames()).toEqual([
      'label',
      'downtime_ms',
      'bandwidth',
    ]);
    expect(() => experimentTable(sweep, 'summary', ['downtime_m'])).toThrow(
      /Table summary has no column 'downtime_m'\. Did you mean 'downtime_ms'\?/,
    );
  });
});
