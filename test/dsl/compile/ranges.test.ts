import { describe, expect, it } from 'vitest';
import { axisUnit, inUnit, rangeValues, unitOf } from '../../../dsl/compile/ranges.ts';
import type { Quantity } from '../../../dsl/units.ts';
import { parseQuantity, toNumber } from '../../../dsl/units.ts';

function q(text: string): Quantity {
  const v = parseQuantity(text);
  if (!v) throw new Error(`not a quantity: ${text}`);
  return v;
}

function values(from: string, to: string, step: string): number[] {
  const r = rangeValues(q(from), q(to), { step: q(step) });
  if (!Array.isArray(r)) throw new Error(r.kind);
  return r.map(toNumber);
}

describe('rangeValues', () => {
  it('steps as start + i*step, both ends included when reached', () => {
    expect(values('1', '25', '4')).toEqual([1, 5, 9, 13, 17, 21, 25]);
  });

  it('ends at the largest value not past the end', () => {
    expect(values('1', '24', '4')).toEqual([1, 5, 9, 13, 17, 21]);
  });

  it('never accumulates rounding: 0.1s..0.3s step 0.1s has three values', () => {
    // A running float sum reaches 0.30000000000000004 > 0.3 and would drop the end.
    let x = 0.1;
    const summed = [x];
    while ((x += 0.1) <= 0.3) summed.push(x);
    expect(summed).toHaveLength(2);
    expect(values('0.1s', '0.3s', '0.1s')).toEqual([1e8, 2e8, 3e8]);
  });

  it('multiplies by the factor of a geometric range', () => {
    const r = rangeValues(q('1'), q('64'), { factor: 2n });
    expect(Array.isArray(r) && r.map(toNumber)).toEqual([1, 2, 4, 8, 16, 32, 64]);
  });

  it('reports an empty range, a zero step, a geometric range from 0 and too many values', () => {
    expect(rangeValues(q('5'), q('1'), { step: q('1') })).toEqual({ kind: 'empty' });
    expect(rangeValues(q('1'), q('5'), { step: q('0') })).toEqual({ kind: 'zero-step' });
    expect(rangeValues(q('0'), q('5'), { factor: 2n })).toEqual({ kind: 'zero-start' });
    expect(rangeValues(q('1'), q('20000'), { step: q('1') })).toEqual({
      kind: 'too-many',
      count: 20000n,
    });
  });
});

describe('axis units', () => {
  it('takes the first unit written, else the base unit of the dimension', () => {
    expect(unitOf('10Gbit/s')).toBe('Gbit/s');
    expect(unitOf('5000 pages/s')).toBe('pages/s');
    expect(axisUnit('bandwidth', ['', 'Gbit/s', 'Mbit/s'])).toBe('Gbit/s');
    expect(axisUnit('size', [''])).toBe('B');
    expect(axisUnit('count', [''])).toBeUndefined();
  });

  it('converts a quantity into the axis unit exactly', () => {
    expect(inUnit(q('500Mbit/s'), 'Gbit/s')).toBe(0.5);
    expect(inUnit(q('1GiB'), 'MiB')).toBe(1024);
    expect(inUnit(q('7'), undefined)).toBe(7);
  });
});
