import { describe, expect, it } from 'vitest';
import type { ExpectOutput, Expr } from '../../../dsl/compile.ts';
import { evaluateExpect } from '../../../kernel/experiment/expect.ts';
import { expectFailureText, expectLine } from '../../../kernel/output/expect-text.ts';
import { handExperiment, nameAxis } from '../../helpers/experiments.ts';

const span = { line: 1, column: 1, offset: 0, length: 1 };
const col = (name: string): Expr => ({ kind: 'column', name, span });
const num = (value: number): Expr => ({ kind: 'number', value, span });
const cmp = (op: '>' | '=' | '<', l: Expr, r: Expr): Expr => ({
  kind: 'binary',
  op,
  left: l,
  right: r,
  span,
});

const e = handExperiment(
  [nameAxis('tracking', ['bitmap', 'ring'])],
  [
    { params: { tracking: 'bitmap' }, seed: 1, summary: { stale_pages: 0, downtime_ms: 300 } },
    { params: { tracking: 'ring' }, seed: 1, summary: { stale_pages: 0, downtime_ms: 20 } },
    { params: { tracking: 'ring' }, seed: 2, summary: { stale_pages: 3, downtime_ms: 25 } },
  ],
);

const expectation = (over: Partial<ExpectOutput>): ExpectOutput => ({
  kind: 'expect',
  quantifier: 'all',
  view: 'summary',
  condition: cmp('=', col('stale_pages'), num(0)),
  text: 'expect summary: stale_pages = 0',
  line: 9,
  ...over,
});

describe('evaluateExpect', () => {
  it('passes when every row holds, in one line', () => {
    const r = evaluateExpect(
      e,
      expectation({ condition: cmp('<', col('downtime_ms'), num(1000)) }),
    );
    expect(r.pass).toBe(true);
    expect(expectLine(r)).toBe('✓ expect summary: stale_pages = 0  (all 3 rows pass)');
  });

  it('fails naming the failing rows: label, axes and the values the condition reads', () => {
    const r = evaluateExpect(e, expectation({}));
    expect(r.pass).toBe(false);
    expect(r.summary).toBe('1 of 3 rows fail');
    expect(r.failing.objects()).toEqual([
      { label: 'tracking=ring/seed=2', tracking: 'ring', stale_pages: 3 },
    ]);
    const text = expectFailureText(r);
    expect(text.split('\n')[0]).toBe(
      '✗ expect summary: stale_pages = 0  (1 of 3 rows fail)  [line 9]',
    );
    expect(text).toMatch(/tracking=ring\/seed=2\s+ring\s+3/);
  });

  it('any: passes with one row, fails listing every row when none holds', () => {
    expect(
      evaluateExpect(
        e,
        expectation({ quantifier: 'any', condition: cmp('>', col('stale_pages'), num(0)) }),
      ).pass,
    ).toBe(true);
    const none = evaluateExpect(
      e,
      expectation({ quantifier: 'any', condition: cmp('>', col('stale_pages'), num(10)) }),
    );
    expect(none.pass).toBe(false);
    expect(none.summary).toBe('none of 3 rows passes');
    expect(none.failing.numRows()).toBe(3);
  });

  it('fails when where leaves no row', () => {
    const r = evaluateExpect(e, expectation({ where: cmp('>', col('downtime_ms'), num(1e6)) }));
    expect(r.pass).toBe(false);
    expect(r.summary).toBe('no row matches the where in summary');
  });

  it('checks aggregated rows, named by their groups', () => {
    const r = evaluateExpect(
      e,
      expectation({
        by: ['tracking'],
        aggregates: [{ op: 'max', column: 'stale_pages', name: 'max_stale_pages', span }],
        condition: cmp('=', col('max_stale_pages'), num(0)),
      }),
    );
    expect(r.failing.objects()).toEqual([{ tracking: 'ring', max_stale_pages: 3 }]);
  });
});
