/**
 * The values of a swept range, and the unit an axis stores its values in. Exact
 * arithmetic on quantities (units.ts): the i-th value of `a..b step s` is a + i*s and
 * of `a..b xf` is a*f^i, never a running sum, so no rounding builds up and the last
 * value is exactly the largest that is not past the end.
 */
import type { Dimension, Quantity } from '../units.ts';
import { compare, parseQuantity, quantity, toNumber } from '../units.ts';

/** No range (and no list) gives more values than one experiment may run plans. */
export const MAX_RANGE_VALUES = 10_000;

/** How a range steps: by adding `step`, or by multiplying by `factor` (a whole number). */
export type RangeStepping = { step: Quantity } | { factor: bigint };

/** Why a range has no values, for the diagnostic that says so. */
export type RangeProblem =
  | { kind: 'empty' }
  | { kind: 'zero-step' }
  | { kind: 'zero-start' }
  | { kind: 'too-many'; count: bigint };

/**
 * The values of from..to (both included when reached), in order, or the problem.
 * Precondition: from, to and a step share one dimension; a factor is above 1.
 */
export function rangeValues(
  from: Quantity,
  to: Quantity,
  stepping: RangeStepping,
): Quantity[] | RangeProblem {
  if (compare(from, to) > 0) return { kind: 'empty' };
  if ('step' in stepping) {
    const s = stepping.step;
    if (s.num === 0n) return { kind: 'zero-step' };
    // Values i = 0..n with n = floor((to - from) / step).
    const n = ((to.num * from.den - from.num * to.den) * s.den) / (to.den * from.den * s.num);
    if (n + 1n > BigInt(MAX_RANGE_VALUES)) return { kind: 'too-many', count: n + 1n };
    return Array.from({ length: Number(n) + 1 }, (_, i) =>
      quantity(from.dim, from.num * s.den + BigInt(i) * s.num * from.den, from.den * s.den),
    );
  }
  if (from.num === 0n) return { kind: 'zero-start' };
  const out: Quantity[] = [];
  let power = 1n;
  for (;;) {
    const v = quantity(from.dim, from.num * power, from.den);
    if (compare(v, to) > 0) return out;
    // A factor of 2 reaches past any end within 1100 steps; this bound is never hit.
    if (out.length === MAX_RANGE_VALUES)
      return { kind: 'too-many', count: BigInt(MAX_RANGE_VALUES) + 1n };
    out.push(v);
    power *= stepping.factor;
  }
}

/** The unit of a literal as written: `Gbit/s` of `10Gbit/s`, '' of `16`. */
export function unitOf(text: string): string {
  return text.replace(/^(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?)\s*/, '');
}

/** The unit an axis stores its values in: the one written, else the dimension's base unit. */
export function axisUnit(dim: Dimension, written: readonly string[]): string | undefined {
  const unit = written.find((u) => u !== '' && parseQuantity(`1${u}`)?.dim === dim);
  if (unit !== undefined) return unit;
  return BASE_UNIT[dim];
}

/** The base unit of each dimension (units.ts); a plain count has none. */
const BASE_UNIT: Readonly<Record<Dimension, string | undefined>> = {
  size: 'B',
  time: 'ns',
  rate: '/s',
  bandwidth: 'B/s',
  percent: '%',
  count: undefined,
};

/** `q` as a number of `unit` (a count, or a unit of q's dimension): 1.25e9 B/s in Gbit/s is 10. */
export function inUnit(q: Quantity, unit: string | undefined): number {
  const one = unit === undefined ? undefined : parseQuantity(`1${unit}`);
  if (one === undefined || one.dim !== q.dim) return toNumber(q);
  return toNumber(quantity(q.dim, q.num * one.den, q.den * one.num));
}

/** `10Gbit/s`: a number of `unit` as a literal of the language writes it. */
export function formatInUnit(n: number, unit: string | undefined): string {
  return `${n}${unit ?? ''}`;
}
