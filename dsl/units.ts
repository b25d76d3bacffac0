/**
 * Quantities with units, in exact arithmetic. A literal such as `1.5TiB` becomes the
 * rational 1.5 x 2^40 bytes held as two bigints, so no decimal is ever rounded
 * before the compiler decides (and checks) that a value is whole.
 */
import { editDistance } from './diagnostics.ts';

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

/** The units of a dimension, in the order of UNITS. */
export function unitsOf(dim: Dimension): string[] {
  return UNIT_NAMES.filter((u) => UNITS[u][0] === dim);
}

/**
 * Spellings from other tools, and the unit of this language they mean: network
 * speeds in bits per second (`Gbps`), bytes per second (`GBps`), `sec` and `msec`.
 */
const OTHER_SPELLINGS: readonly [RegExp, string][] = [
  [/^([KMGT]?)Bps$/, 'B/s'],
  [/^([kMGT]?)bps$/i, 'bit/s'],
  [/^(m|u|n)?secs?$/i, 's'],
  [/^mins?$|^minutes?$/i, 'min'],
];

/**
 * The unit a literal with an unknown unit most likely meant, among the units of `dim`
 * when the place it is written in says which dimension it needs: `10Gbit` and
 * `10Gbps` -> `Gbit/s`, `4gib` -> `GiB`, `300mss` -> `ms`.
 */
export function likelyUnit(unit: string, dim?: Dimension): string | undefined {
  const candidates = dim === undefined || dim === 'count' ? UNIT_NAMES : unitsOf(dim);
  const known = (u: string): string | undefined => (candidates.includes(u) ? u : undefined);
  for (const [pattern, base] of OTHER_SPELLINGS) {
    const m = pattern.exec(unit);
    if (!m) continue;
    const letter = m[1] ?? '';
    const prefix =
      base === 'bit/s' ? (letter.toLowerCase() === 'k' ? 'k' : letter.toUpperCase()) : letter;
    const found = known(prefix + base);
    if (found) return found;
  }
  // A rate or a bandwidth without its `/s`: `10Gbit`, `200k`.
  const perSecond = known(`${unit}/s`);
  if (perSecond) return perSecond;
  const sameLetters = candidates.find((u) => u.toLowerCase() === unit.toLowerCase());
  if (sameLetters) return sameLetters;
  const limit = Math.max(1, Math.floor(unit.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const u of candidates) {
    const d = editDistance(unit, u);
    if (d < bestDistance) [best, bestDistance] = [u, d];
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * The message and hint for a number whose unit the language does not know (`10Gbit`),
 * or undefined when `text` is not a number followed by a unit. `dim` is what the place
 * it is written in needs, when that is known.
 */
export function unknownUnit(
  text: string,
  dim?: Dimension,
): { message: string; hint: string } | undefined {
  const m = LITERAL.exec(text);
  if (!m || m[2] === '' || UNITS[m[2]] !== undefined) return undefined;
  const [, digits, unit] = m;
  if (text.length > 40)
    return {
      message: `'${text.slice(0, 37)}...' is a number followed by ${text.length - digits.length} letters, which are no unit.`,
      hint: 'Write a number and its unit, such as 4GiB, 300ms or 10Gbit/s.',
    };
  const meant = likelyUnit(unit, dim);
  const message = `'${text}' has a unit the language does not know: '${unit}'.${meant === undefined ? '' : ` Did you mean '${digits}${meant}'?`}`;
  const units = dim === undefined || dim === 'count' ? undefined : unitsOf(dim);
  const hint =
    units === undefined
      ? `Write a number with one of the units ${UNIT_NAMES.join(', ')}, or none.`
      : `Write ${describeDimension(dim ?? 'count')} with one of ${units.join(', ')} (${DIMENSION_EXAMPLE[dim ?? 'count']}, for example).`;
  return { message, hint };
}
