/**
 * Families: a definition with a list or a range where a field takes one value
 * (`bandwidth [1Gbit/s, 10Gbit/s]`, `vcpus 1..64 x2`) stands for one definition per
 * combination of its swept fields' values, its variants. Here: the swept fields of
 * bound properties (bind.ts), and the plain properties of each variant, which the
 * lowering of a plain definition takes unchanged.
 */
import type { Span } from '../ast.ts';
import type { Quantity } from '../units.ts';
import type { Bound, BoundProperty, SweptField } from './bind.ts';
import type { Axis, ParamValue } from './experiment-types.ts';

/** The value one variant gives a swept field. */
export interface Param {
  column: string;
  /** In the unit of the field's axis (`FamilyAxis.unit`). */
  value: ParamValue;
  /** As a label shows it: `10Gbit/s`. */
  text: string;
  /** The exact quantity, for converting into another unit. */
  q?: Quantity;
  /** Picked by `vary` for the variant compiled: a column, but not part of the label. */
  vary?: true;
}

/** A swept field of a family: the column it fills and its values, in order. */
export interface FamilyAxis extends Pick<Axis, 'column' | 'dim' | 'unit' | 'values'> {
  /** The list or range as written. */
  span: Span;
  /** A `vary` bound: the one value the variant picked. */
  vary?: true;
}

/** One definition of a family, and the values of its swept fields. */
export interface Variant<V> {
  value: V;
  /** One per axis of the family, in the axes' order. */
  params: Param[];
}

/**
 * A definition's values: one variant without swept fields; with them, one per
 * combination of their values, the first swept field outermost.
 */
export interface Family<V> {
  axes: FamilyAxis[];
  variants: Variant<V>[];
}

/** A definition without swept fields. */
export function single<V>(value: V): Family<V> {
  return { axes: [], variants: [{ value, params: [] }] };
}

/** The swept fields of some bound properties, in the order written (nested blocks in place). */
export function sweptFields(props: readonly BoundProperty[]): SweptField[] {
  const out: SweptField[] = [];
  const visit = (b: Bound | undefined): void => {
    if (b?.type === 'sweep') out.push(b.sweep);
  };
  for (const p of props) {
    p.args.forEach(visit);
    Object.values(p.keys).forEach(visit);
    if (p.body) out.push(...sweptFields(p.body));
  }
  return out;
}

/** The number of variants of some swept fields: the product of their lengths. */
export function countVariants(fields: readonly SweptField[]): number {
  return fields.reduce((n, f) => n * f.values.length, 1);
}

/** The axis a swept field makes. */
export function axisOf(f: SweptField): FamilyAxis {
  return {
    column: f.column,
    dim: f.dim,
    ...(f.unit === undefined ? {} : { unit: f.unit }),
    values: f.values.map((v) => v.param),
    span: f.span,
    ...(f.vary === undefined ? {} : { vary: true as const }),
  };
}

/**
 * The plain properties of each variant (every swept field replaced by one of its
 * values), with the values chosen, in the order of `sweptFields(props)`, the first
 * outermost. One variant, `props` itself, when nothing is swept.
 */
export function propertyVariants(
  props: readonly BoundProperty[],
): { props: BoundProperty[]; params: Param[] }[] {
  const fields = sweptFields(props);
  if (fields.length === 0) return [{ props: [...props], params: [] }];
  const out: { props: BoundProperty[]; params: Param[] }[] = [];
  const total = countVariants(fields);
  for (let k = 0; k < total; k++) {
    // Mixed-radix digits of k, the last field fastest.
    const chosen: number[] = new Array<number>(fields.length);
    let rest = k;
    for (let i = fields.length - 1; i >= 0; i--) {
      chosen[i] = rest % fields[i].values.length;
      rest = Math.floor(rest / fields[i].values.length);
    }
    let next = 0;
    const pick = (b: Bound | undefined): Bound | undefined =>
      b?.type === 'sweep' ? b.sweep.values[chosen[next++]].bound : b;
    const substitute = (ps: readonly BoundProperty[]): BoundProperty[] =>
      ps.map((p) => ({
        ...p,
        args: p.args.map(pick),
        keys: Object.fromEntries(Object.entries(p.keys).map(([key, b]) => [key, pick(b) ?? b])),
        body: p.body && substitute(p.body),
      }));
    const variantProps = substitute(props);
    const params = fields.map((f, i) => {
      const v = f.values[chosen[i]];
      return {
        column: f.column,
        value: v.param,
        text: v.text,
        ...(v.q === undefined ? {} : { q: v.q }),
        ...(f.vary === undefined ? {} : { vary: true as const }),
      };
    });
    out.push({ props: variantProps, params });
  }
  return out;
}
