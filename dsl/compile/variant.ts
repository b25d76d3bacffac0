/**
 * Per-student variants: `vary A..B step S` or `vary [a, b]` where a field takes one
 * value (or in a run option, `seed vary 1..1000`) stands for one of those values,
 * picked by the variant number (`mmulab run --variant N`, `%variant N`), as the OSTEP
 * homework simulators vary a problem with `-s SEED`. Without a number, variant 0.
 * The pick depends only on the number, the definition (or option) and the column,
 * never on the order of the text, so adding a field leaves the other picks alone.
 */
import type { Span } from '../ast.ts';
import { contentHash } from '../../engine/results.ts';
import type { Bound, BoundProperty, SweptField, SweptValue } from './bind.ts';

/** One value picked for a variant: where, which column, what it became. */
export interface VariantPick {
  /** `vm web`, `tracking ring`, `run option` (a run's or a sweep's). */
  owner: string;
  column: string;
  /** The value picked, as a label shows it (`30k/s`). */
  text: string;
  /** The bounds it was picked from: `one of 10k/s, 20k/s, 30k/s`, `one of 1000, 1 to 1000`. */
  bounds: string;
  /** The bounds as written. */
  span: Span;
}

/** The variant a program is compiled for, and what its `vary` bounds became. */
export interface CompiledVariant {
  n: number;
  picks: VariantPick[];
}

/** The largest variant number: what a JavaScript number holds exactly. */
export const MAX_VARIANT = Number.MAX_SAFE_INTEGER;

export class VariantPicker {
  readonly picks: VariantPick[];
  constructor(
    readonly n: number,
    /** What the files this text uses picked. */
    used: readonly VariantPick[] = [],
  ) {
    this.picks = [...used];
  }

  /** The value of `field` (a `vary` bound of `owner`) that this variant takes. */
  pick(owner: string, field: SweptField): SweptValue {
    const { values } = field;
    const h = BigInt(`0x${contentHash(['mmulab-variant', this.n, owner, field.column])}`);
    const chosen = values[Number(h % BigInt(values.length))]!;
    const texts = values.map((v) => v.text);
    this.picks.push({
      owner,
      column: field.column,
      text: chosen.text,
      bounds:
        texts.length <= 5
          ? `one of ${texts.join(', ')}`
          : `one of ${texts.length}, ${texts[0]} to ${texts[texts.length - 1]}`,
      span: field.span,
    });
    return chosen;
  }

  /**
   * `props` with every `vary` bound narrowed to the value this variant picks: a swept
   * field of one value, so the definition keeps the column a sweep of those bounds
   * fills (same name and unit), and the label leaves it out (family.ts, sweep.ts).
   */
  resolve(owner: string, props: readonly BoundProperty[]): BoundProperty[] {
    const one = (b: Bound | undefined): Bound | undefined =>
      b?.type === 'sweep' && b.sweep.vary !== undefined
        ? { ...b, sweep: { ...b.sweep, values: [this.pick(owner, b.sweep)] } }
        : b;
    return props.map((p) => ({
      ...p,
      args: p.args.map(one),
      keys: Object.fromEntries(Object.entries(p.keys).map(([k, b]) => [k, one(b) ?? b])),
      body: p.body && this.resolve(owner, p.body),
    }));
  }

  /** What the program records: undefined when nothing varied. */
  compiled(): CompiledVariant | undefined {
    return this.picks.length ? { n: this.n, picks: [...this.picks] } : undefined;
  }
}

/** `variant 3: vm web rate 30k/s (one of 10k/s, 20k/s, 30k/s, 40k/s)`, one line per pick. */
export function variantLines(v: CompiledVariant): string[] {
  return v.picks.map((p) => `variant ${v.n}: ${p.owner} ${p.column} ${p.text} (${p.bounds})`);
}
