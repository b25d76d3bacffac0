import { describe, expect, it } from 'vitest';
import { formatNumber } from '../../../kernel/output/format.ts';

describe('formatNumber', () => {
  it('uses thousands separators and at most 3 decimals, 3 significant digits below 1', () => {
    expect(formatNumber(2_420_511_322)).toBe('2,420,511,322');
    expect(formatNumber(2870.835549)).toBe('2,870.836');
    expect(formatNumber(0.000123456)).toBe('0.000123');
    expect(formatNumber(null)).toBe('—');
  });
});
