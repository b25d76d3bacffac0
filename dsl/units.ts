/**
 * Quantities with units, in exact arithmetic. A literal such as `1.5TiB` becomes the
 * rational 1.5 x 2^40 bytes held as two bigints, so no decimal is ever rounded
 * before the compiler decides (and checks) that a value is whole.
 */

/** What a value measures. `count` is a plain number without a unit. */
export type Dimension = 'size' | 'time' | 'rate' | 'bandwidth' | 'percent' | 'count';

/**
 * A rational quantity in the base unit of its dimension: bytes, nanoseconds, pages per
 * second, bytes per second, percent, or a plain count.
 * Invariant: den > 0 and gcd(num, den) = 1.
 */
export interface Quantity {
  readonly dim: Dimension;
  readonly num: bigint;
  readonly den: bigint;
}

/** Unit suffix -> [dimension, factor to the base unit as num/den]. */
const UNITS: Readonly<Record<string, readonly [Dimension, bigint, bigint]>> = {
  B: ['size', 1n, 1n],
  KiB: ['size', 1n << 10n, 1n],
  MiB: ['size', 1n << 20n, 1n],
  GiB: ['size', 1n << 30n, 1n],
  TiB: ['size', 1n << 40n, 1n],
  PiB: ['size', 1n << 50n, 1n],
  KB: ['size', 10n ** 3n, 1n],
  MB: ['size', 10n ** 6n, 1n],
  GB: ['size', 10n ** 9n, 1n],
  TB: ['size', 10n ** 12n, 1n],
  PB: ['size', 10n ** 15n, 1n],
  ns: ['time', 1n, 1n],
  us: ['time', 10n ** 3n, 1n],
  µs: ['time', 10n ** 3n, 1n],
  ms: ['time', 10n ** 6n, 1n],
  s: ['time', 10n ** 9n, 1n],
  min: ['time', 60n * 10n ** 9n, 1n],
  '/s': ['rate', 1n, 1n],
  'k/s': ['rate', 10n ** 3n, 1n],
  'M/s': ['rate', 10n ** 6n, 1n],
  'pages/s': ['rate', 1n, 1n],
  'bit/s': ['bandwidth', 1n, 8n],
  'kbit/s': ['bandwidth', 10n ** 3n, 8n],
  'Mbit/s': ['bandwidth', 10n ** 6n, 8n],
  'Gbit/s': ['bandwidth', 10n ** 9n, 8n],
  'Tbit/s': ['bandwidth', 10n ** 12n, 8n],
  'B/s': ['bandwidth', 1n, 1n],
  'KB/s': ['bandwidth', 10n ** 3n, 1n],
  'MB/s': ['bandwidth', 10n ** 6n, 1n],
  'GB/s': ['bandwidth', 10n ** 9n, 1n],
  'TB/s': ['bandwidth', 10n ** 12n, 1n],
  'KiB/s': ['bandwidth', 1n << 10n, 1n],
  'MiB/s': ['bandwidth', 1n << 20n, 1n],
  'GiB/s': ['bandwidth', 1n << 30n, 1n],
  '%': ['percent', 1n, 1n],
  '': ['count', 1n, 1n],
};

/** Every unit suffix the language knows, for documentation and completion. */
export const UNIT_NAMES: readonly string[] = Object.keys(UNITS).filter((u) => u !== '');

/** An example literal per dimension, used in messages ("expected a size like 4GiB"). */
export const DIMENSION_EXAMPLE: Readonly<Record<Dimension, string>> = {
  size: '4GiB',
  time: '300ms',
  rate: '200k/s',
  bandwidth: '10Gbit/s',
  percent: '50%',
  count: '16',
};

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Build a normalized quantity (den > 0, reduced). */
export function quantity(dim: Dimension, num: bigint, den: bigint = 1n): Quantity {
  if (den === 0n) throw new Error('quantity with a zero denominator');
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den) || 1n;
  return { dim, num: num / g, den: den / g };
}

const LITERAL = /^(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?)\s*(.*)$/;

/**
 * Parse a literal such as `1.5TiB`, `300ms`, `25Gbit/s`, `90%`, `0x1000`, `5000 pages/s`.
 * Returns undefined when the text is not a number with a known unit.
 */
export function parseQuantity(text: string): Quantity | undefined {
  const m = LITERAL.exec(text);
  if (!m) return undefined;
  const [, digits, unit] = m;
  const spec = UNITS[unit];
  if (!spec) return undefined;
  const clean = digits.replace(/_/g, '');
  let num: bigint;
  let den = 1n;
  if (/^0[xX]/.test(clean)) {
    num = BigInt(clean);
  } else {
    const [int, frac = ''] = clean.split('.');
    num = BigInt(int + frac);
    den = 10n ** BigInt(frac.length);
  }
  return quantity(spec[0], num * spec[1], den * spec[2]);
}

/** True when the quantity is a whole number of its base unit. */
export function isWhole(q: Quantity): boolean {
  return q.den === 1n;
}

/** The quantity as a JavaScript number; exact for whole values below 2^53. */
export function toNumber(q: Quantity): number {
  if (q.den === 1n) return Number(q.num);
  const whole = q.num / q.den;
  return Number(whole) + Number(q.num - whole * q.den) / Number(q.den);
}

/** Compare two quantities of the same dimension: negative, zero or positive. */
export function compare(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The article and noun for messages: "a size", "an amount of time". */
export function describeDimension(dim: Dimension): string {
  switch (dim) {
    case 'size':
      return 'a size';
    case 'time':
      return 'a time';
    case 'rate':
      return 'a rate';
    case 'bandwidth':
      return 'a bandwidth';
    case 'percent':
      return 'a percentage';
    case 'count':
      return 'a plain number';
  }
}
