import { describe, expect, it } from 'vitest';
import { studentT975 } from '../../../kernel/experiment/student-t.ts';

/**
 * The table against the distribution itself: the t density integrated numerically
 * (Simpson's rule) from 0 to the tabulated value must give 0.475, i.e. the CDF 0.975.
 */
function tCdfAbove0(t: number, df: number): number {
  const logGamma = (z: number): number => {
    // Lanczos approximation (g = 7, n = 9), accurate to ~15 digits for z > 0.5.
    const c = [
      0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
      -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
      1.5056327351493116e-7,
    ];
    const x = z - 1;
    let a = c[0];
    for (let i = 1; i < 9; i++) a += c[i] / (x + i);
    const tt = x + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(tt) - tt + Math.log(a);
  };
  const k = Math.exp(logGamma((df + 1) / 2) - logGamma(df / 2)) / Math.sqrt(df * Math.PI);
  const pdf = (x: number): number => k * (1 + (x * x) / df) ** (-(df + 1) / 2);
  const steps = 20_000;
  const h = t / steps;
  let s = pdf(0) + pdf(t);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * pdf(i * h);
  return (s * h) / 3;
}

describe('studentT975', () => {
  it.each([1, 2, 3, 4, 5, 9, 10, 19, 29, 30, 40, 60, 120])(
    'df %i: the CDF at the value is 0.975',
    (df) => {
      expect(tCdfAbove0(studentT975(df), df)).toBeCloseTo(0.475, 4);
    },
  );

  it('interpolates between tabulated df within 0.001 of the true value', () => {
    for (const df of [35, 50, 90, 200])
      expect(tCdfAbove0(studentT975(df), df)).toBeCloseTo(0.475, 3);
  });

  it('has no value below one degree of freedom', () => {
    expect(studentT975(0)).toBeNaN();
  });
});
