import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import type { Aggregate, AggregateOp, Expr } from '../../../dsl/compile.ts';
import { aggregateRows, queryRows } from '../../../kernel/experiment/aggregate.ts';
import { columnsOf, registerColumns } from '../../../kernel/experiment/column-info.ts';
import { applyLets } from '../../../kernel/experiment/derive.ts';

const span = { line: 1, column: 1, offset: 0, length: 1 };
const agg = (op: AggregateOp, column: string): Aggregate => ({
  op,
  column,
  name: `${op}_${column}`,
  span,
});
const N: Aggregate = { op: 'n', name: 'n', span };

/**
 * Three seeds of two groups; ring's third run failed (no downtime). Hand-computed:
 * bitmap 100, 110, 130: mean 113.333..., sample sd √(700/3) = 15.2753, se = sd/√3 =
 * 8.8192, ci95 = t(0.975, 2)·se = 4.3027 × 8.8192 = 37.946, p95 (linear between
 * order statistics) = 110 + 0.9 × 20 = 128, median 110; ring 20, 40, null: mean 30, sd
 * √200 = 14.1421, se = 10, ci95 = t(0.975, 1)·10 = 127.062, n 3 rows.
 */
const table = registerColumns(
  aq.table({
    tracking: ['bitmap', 'bitmap', 'bitmap', 'ring', 'ring', 'ring'],
    seed: [1, 2, 3, 1, 2, 3],
    downtime_ms: [100, 110, 130, 20, 40, null],
    pages_sent: [1000, 1100, 1300, 500, 400, 0],
  }),
  [
    { name: 'tracking', type: 'text' },
    { name: 'seed', type: 'number' },
    { name: 'downtime_ms', type: 'number', unit: 'ms' },
    { name: 'pages_sent', type: 'number' },
  ],
);

describe('aggregateRows', () => {
  it('gives the hand-computed mean, median, sd, var, se, ci95, p95, min, max, sum and n', () => {
    const out = aggregateRows(
      table,
      ['tracking'],
      [
        agg('mean', 'downtime_ms'),
        agg('median', 'downtime_ms'),
        agg('stdev', 'downtime_ms'),
        agg('var', 'downtime_ms'),
        agg('se', 'downtime_ms'),
        agg('ci95', 'downtime_ms'),
        { op: 'percentile', p: 95, column: 'downtime_ms', name: 'p95_downtime_ms', span },
        agg('min', 'downtime_ms'),
        agg('max', 'downtime_ms'),
        agg('sum', 'pages_sent'),
        N,
      ],
      'summary',
    );
    const [bitmap, ring] = out.objects() as Record<string, number>[];
    expect(bitmap.tracking).toBe('bitmap');
    expect(bitmap.mean_downtime_ms).toBeCloseTo(113.3333, 4);
    expect(bitmap.median_downtime_ms).toBe(110);
    expect(bitmap.stdev_downtime_ms).toBeCloseTo(15.2753, 4);
    expect(bitmap.var_downtime_ms).toBeCloseTo(233.3333, 4);
    expect(bitmap.se_downtime_ms).toBeCloseTo(8.8192, 4);
    expect(bitmap.ci95_downtime_ms).toBeCloseTo(37.946, 2);
    expect(bitmap.p95_downtime_ms).toBeCloseTo(128, 9);
    expect([bitmap.min_downtime_ms, bitmap.max_downtime_ms]).toEqual([100, 130]);
    expect(bitmap.sum_pages_sent).toBe(3400);
    expect(bitmap.n).toBe(3);
    expect(ring.mean_downtime_ms).toBe(30);
    expect(ring.stdev_downtime_ms).toBeCloseTo(14.1421, 4);
    expect(ring.se_downtime_ms).toBeCloseTo(10, 9);
    expect(ring.ci95_downtime_ms).toBeCloseTo(127.062, 3);
    expect(ring.n).toBe(3);
  });

  it('names the columns by-columns first, then each aggregate, with units', () => {
    const out = aggregateRows(
      table,
      ['tracking'],
      [agg('mean', 'downtime_ms'), agg('var', 'downtime_ms'), N],
      's',
    );
    expect(columnsOf(out)).toEqual([
      { name: 'tracking', type: 'text' },
      { name: 'mean_downtime_ms', type: 'number', unit: 'ms' },
      { name: 'var_downtime_ms', type: 'number', unit: 'ms²' },
      { name: 'n', type: 'number' },
    ]);
  });

  it('has no spread for a group of one value (null, not 0)', () => {
    const one = aggregateRows(
      table.filter((d: { seed: number }) => d.seed === 1),
      ['tracking'],
      [agg('stdev', 'downtime_ms'), agg('ci95', 'downtime_ms')],
      's',
    );
    expect(one.objects()).toEqual([
      { tracking: 'bitmap', stdev_downtime_ms: null, ci95_downtime_ms: null },
      { tracking: 'ring', stdev_downtime_ms: null, ci95_downtime_ms: null },
    ]);
  });

  it('rejects the mean of a text column, and takes it of a number column', () => {
    expect(() => aggregateRows(table, [], [agg('mean', 'tracking')], 'summary')).toThrow(
      /Cannot take the mean of 'tracking': it holds text\. Aggregate a number column, or group by this one \(by tracking\)\./,
    );
    expect(aggregateRows(table, [], [agg('mean', 'seed')], 'summary').objects()).toEqual([
      { mean_seed: 2 },
    ]);
  });

  it('rejects an unknown by-column with did-you-mean', () => {
    expect(() => aggregateRows(table, ['trackin'], [N], 'summary')).toThrow(
      /Did you mean 'tracking'\?/,
    );
  });
});

describe('queryRows', () => {
  const where: Expr = {
    kind: 'binary',
    op: '=',
    left: { kind: 'column', name: 'tracking', span },
    right: { kind: 'text', value: 'ring', span },
    span,
  };

  it('keeps the rows where the condition is true', () => {
    expect(queryRows(table, { where }, 'summary').array('downtime_ms')).toEqual([20, 40, null]);
  });

  it('groups with n alone when by has no aggregates', () => {
    expect(queryRows(table, { by: ['tracking'] }, 'summary').objects()).toEqual([
      { tracking: 'bitmap', n: 3 },
      { tracking: 'ring', n: 3 },
    ]);
  });
});

describe('applyLets', () => {
  it('derives a column per let, with null for a division by zero, its unit from its name', () => {
    const per_page_ms: Expr = {
      kind: 'binary',
      op: '/',
      left: { kind: 'column', name: 'downtime_ms', span },
      right: { kind: 'column', name: 'pages_sent', span },
      span,
    };
    const out = applyLets(table, [{ name: 'per_page_ms', expr: per_page_ms, line: 1 }]);
    expect(out.array('per_page_ms')).toEqual([0.1, 0.1, 0.1, 0.04, 0.1, null]);
    expect(columnsOf(out).at(-1)).toEqual({ name: 'per_page_ms', type: 'number', unit: 'ms' });
  });

  it('leaves a let out of a table without its columns', () => {
    const let_: Expr = { kind: 'column', name: 'remaining_pages', span };
    expect(applyLets(table, [{ name: 'r', expr: let_, line: 1 }]).columnNames()).not.toContain('r');
  });
});
