import { describe, expect, it } from 'vitest';
import type { BinaryOp, Expr, ExprFunction } from '../../../dsl/compile.ts';
import { compileExpr, exprColumns } from '../../../kernel/experiment/expressions.ts';

const span = { line: 1, column: 1, offset: 0, length: 1 };
const n = (value: number): Expr => ({ kind: 'number', value, span });
const col = (name: string): Expr => ({ kind: 'column', name, span });
const text = (value: string): Expr => ({ kind: 'text', value, span });
const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({
  kind: 'binary',
  op,
  left,
  right,
  span,
});
const call = (fn: ExprFunction, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, span });

const ROW = { a: 6, b: 0, z: null, nan: NaN, t: 'ring', f: true };
const COLUMNS = Object.keys(ROW);
const value = (e: Expr): unknown => compileExpr(e, COLUMNS, 'summary')(ROW);

describe('compileExpr', () => {
  it.each([
    ['a + 2', bin('+', col('a'), n(2)), 8],
    ['a * 2 - 1', bin('-', bin('*', col('a'), n(2)), n(1)), 11],
    ['a / 4', bin('/', col('a'), n(4)), 1.5],
    ['a % 4', bin('%', col('a'), n(4)), 2],
    ['a / b (÷0)', bin('/', col('a'), col('b')), null],
    ['a % b (%0)', bin('%', col('a'), col('b')), null],
    ['z + 1 (null arithmetic)', bin('+', col('z'), n(1)), null],
    ['nan * 2 (NaN is null)', bin('*', col('nan'), n(2)), null],
    ['-z', { kind: 'unary', op: '-', arg: col('z'), span } as Expr, null],
    ['z = 1 (comparison with null)', bin('=', col('z'), n(1)), false],
    ['z != 1 (comparison with null)', bin('!=', col('z'), n(1)), false],
    ['z < 1', bin('<', col('z'), n(1)), false],
    ['a > 5', bin('>', col('a'), n(5)), true],
    ['a <= 5', bin('<=', col('a'), n(5)), false],
    ['t = "ring"', bin('=', col('t'), text('ring')), true],
    ['t != "ring"', bin('!=', col('t'), text('ring')), false],
    [
      'a > 1 and t = "ring"',
      bin('and', bin('>', col('a'), n(1)), bin('=', col('t'), text('ring'))),
      true,
    ],
    ['z > 1 or a > 1', bin('or', bin('>', col('z'), n(1)), bin('>', col('a'), n(1))), true],
    [
      'not (z > 1)',
      { kind: 'unary', op: 'not', arg: bin('>', col('z'), n(1)), span } as Expr,
      true,
    ],
    ['min(a, 2, 9)', call('min', col('a'), n(2), n(9)), 2],
    ['max(a, z)', call('max', col('a'), col('z')), null],
    ['sqrt(-1)', call('sqrt', n(-1)), null],
    ['log(b)', call('log', col('b')), null],
    ['log10(100)', call('log10', n(100)), 2],
    ['abs(-3)', call('abs', n(-3)), 3],
    ['round(2.5)', call('round', n(2.5)), 3],
    ['if(a > 1, 10, 20)', call('if', bin('>', col('a'), n(1)), n(10), n(20)), 10],
    ['if(z > 1, 10, 20)', call('if', bin('>', col('z'), n(1)), n(10), n(20)), 20],
    ['t + 1 (text is no number)', bin('+', col('t'), n(1)), null],
  ])('%s', (_name, e, expected) => {
    expect(value(e)).toEqual(expected);
  });

  it('lists the columns an expression reads, each once', () => {
    expect(exprColumns(bin('+', col('a'), bin('*', col('b'), col('a'))))).toEqual(['a', 'b']);
  });

  it('rejects a column the table lacks with did-you-mean, and accepts it spelled right', () => {
    expect(() => compileExpr(col('downtime_m'), ['downtime_ms'], 'summary')).toThrow(
      /Table summary has no column 'downtime_m'\. Did you mean 'downtime_ms'\?/,
    );
    expect(compileExpr(col('downtime_ms'), ['downtime_ms'], 'summary')({ downtime_ms: 3 })).toBe(3);
  });
});
