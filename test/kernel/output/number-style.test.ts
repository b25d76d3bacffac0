import { describe, expect, it } from 'vitest';
import { columnDecimals, columnNumberStyle } from '../../../kernel/output/number-style.ts';

const styled = (values: number[]): string[] => values.map(columnNumberStyle(values));

describe('columnNumberStyle: one style down a column', () => {
  it('writes whole numbers with thousands separators and no decimals', () => {
    expect(styled([1234567, 0, 42])).toEqual(['1,234,567', '0', '42']);
  });

  it('gives every row the decimals that show four digits of the smallest value', () => {
    expect(styled([26445.352, 4932.212])).toEqual(['26,445', '4,932']);
    expect(styled([1.601, 17.36, 300])).toEqual(['1.601', '17.360', '300.000']);
    expect(styled([148.303, 12.1])).toEqual(['148.30', '12.10']);
  });

  it('keeps at most 3 decimals beside values of 1 or more, at most 6 in a column of fractions', () => {
    expect(columnDecimals([0.0123, 2000.5])).toBe(3);
    expect(styled([0.00248, 0.129])).toEqual(['0.002480', '0.129000']);
    expect(columnDecimals([1e-9, 0.5])).toBe(6);
  });

  it('keeps two significant digits of a small value beside large ones, so close values stay apart', () => {
    // dirty_log_perf_test's "Enabling dirty logging time": 0.00161 s modelled, 0.00168 s published.
    expect(styled([0.00161, 2.779])).toEqual(['0.0016', '2.7790']);
    expect(styled([0.00168, 1.547])).toEqual(['0.0017', '1.5470']);
    expect(columnDecimals([0.000123, 2000.5])).toBe(5);
    expect(columnDecimals([1e-9, 2000.5])).toBe(6);
  });

  it('ignores zeros, missing values and text when it chooses the decimals', () => {
    expect(columnDecimals([0, 0.5, null, 'x', NaN])).toBe(4);
    expect(columnNumberStyle([1.5])(Infinity)).toBe('∞');
  });
});
