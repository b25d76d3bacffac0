import { formatNumber } from './format.ts';

/**
 * One number style per table column, so a column reads down: the same decimals in every
 * row, thousands separators, `Intl.NumberFormat`'s rounding. A column of whole numbers
 * (counts, bytes, pages) has none; otherwise the decimals show four significant digits
 * of the column's smallest non-zero value, at most 3 when some value is 1 or more
 * (`26,445` above `4,932` ms, `17.360` above `1.601`), at most 6 when all are below 1
 * (`0.002480` above `0.129000`). The cap of 3 never hides a small value: a column that
 * spans orders of magnitude keeps two significant digits of its smallest value (up to 6
 * decimals), so 0.00161 s beside 2.779 s reads `0.0016`, not `0.002` — the value a
 * published figure of 0.00168 s is compared with. Missing values are `formatNumber`'s
 * "—", infinities "∞".
 */

/** The widest decimals a column of values at or above 1 gets. */
const MAX_DECIMALS = 3;
/** The widest decimals a column of fractions (every value below 1) gets. */
const MAX_FRACTION_DECIMALS = 6;

/** One formatter per number of decimals, made once (Intl.NumberFormat is slow to build). */
const FORMATS = new Map<number, Intl.NumberFormat>();

function formatWith(decimals: number): Intl.NumberFormat {
  let f = FORMATS.get(decimals);
  if (f === undefined) {
    f = new Intl.NumberFormat('en-US', {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    FORMATS.set(decimals, f);
  }
  return f;
}

/** The decimals of a column holding `values` (non-numbers are ignored). */
export function columnDecimals(values: Iterable<unknown>): number {
  let smallest = Infinity;
  let largest = 0;
  let fractional = false;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!Number.isInteger(v)) fractional = true;
    const m = Math.abs(v);
    if (m > 0 && m < smallest) smallest = m;
    if (m > largest) largest = m;
  }
  if (!fractional) return 0;
  const magnitude = Math.floor(Math.log10(smallest));
  const wanted = 3 - magnitude;
  const twoDigits = Math.min(MAX_FRACTION_DECIMALS, 1 - magnitude);
  const cap = largest >= 1 ? Math.max(MAX_DECIMALS, twoDigits) : MAX_FRACTION_DECIMALS;
  return Math.min(cap, Math.max(0, wanted));
}

/** A formatter for the numbers of a column holding `values`. */
export function columnNumberStyle(values: Iterable<unknown>): (value: number) => string {
  const format = formatWith(columnDecimals(values));
  return (value) => (Number.isFinite(value) ? format.format(value) : formatNumber(value));
}
