import { describe, expect, it } from 'vitest';
import { formatCell, formatNumber } from '../../../kernel/output/format.ts';

describe('formatNumber', () => {
  it('uses thousands separators and at most 3 decimals, 3 significant digits below 1', () => {
    expect(formatNumber(2_420_511_322)).toBe('2,420,511,322');
    expect(formatNumber(2870.835549)).toBe('2,870.836');
    expect(formatNumber(0.000123456)).toBe('0.000123');
    expect(formatNumber(null)).toBe('—');
  });
});

describe('formatCell', () => {
  it('writes a flag as the language does, on or off', () => {
    expect(formatCell(true)).toBe('on');
    expect(formatCell(false)).toBe('off');
    // Its twins: text, numbers and missing values are unchanged.
    expect(formatCell('true')).toBe('true');
    expect(formatCell(1)).toBe('1');
    expect(formatCell(null)).toBe('—');
  });
});
