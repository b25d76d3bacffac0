/**
 * The two-sided 95 % critical value of Student's t distribution, t(0.975, df): the
 * factor of a 95 % confidence interval of a mean from n samples (df = n − 1).
 * Values from the NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2
 * ("Critical values of the Student's t distribution"), to 4 decimals; between the
 * tabulated df above 30 the value is interpolated linearly in 1/df, which is how such
 * tables are meant to be read, and beyond 120 it tends to the normal's 1.96.
 */
const T975: readonly (readonly [number, number])[] = [
  [1, 12.7062],
  [2, 4.3027],
  [3, 3.1824],
  [4, 2.7764],
  [5, 2.5706],
  [6, 2.4469],
  [7, 2.3646],
  [8, 2.306],
  [9, 2.2622],
  [10, 2.2281],
  [11, 2.201],
  [12, 2.1788],
  [13, 2.1604],
  [14, 2.1448],
  [15, 2.1314],
  [16, 2.1199],
  [17, 2.1098],
  [18, 2.1009],
  [19, 2.093],
  [20, 2.086],
  [21, 2.0796],
  [22, 2.0739],
  [23, 2.0687],
  [24, 2.0639],
  [25, 2.0595],
  [26, 2.0555],
  [27, 2.0518],
  [28, 2.0484],
  [29, 2.0452],
  [30, 2.0423],
  [40, 2.0211],
  [60, 2.0003],
  [120, 1.9799],
  [Infinity, 1.96],
];

/** t(0.975, df) for a whole df ≥ 1; NaN for df < 1 (no interval from one sample). */
export function studentT975(df: number): number {
  if (!(df >= 1)) return NaN;
  for (let i = 0; i < T975.length; i++) {
    const [d, t] = T975[i];
    if (df === d) return t;
    if (df < d) {
      const [d0, t0] = T975[i - 1];
      // Linear in 1/df between the neighbours (1/Infinity is 0).
      const f = (1 / d0 - 1 / df) / (1 / d0 - 1 / d);
      return t0 + f * (t - t0);
    }
  }
  return 1.96;
}
