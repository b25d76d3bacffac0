/**
 * `predict COLUMN for [AXIS] A OP B`: COLUMN a number of the summary, A and B two values
 * of one axis of the runs in scope: words (`ring`, `on`) or numbers with their units
 * (`10Gbit/s`, read in the axis's unit as a `where` reads them). AXIS names the axis
 * when two share both values (`predict total_ms for pml on < off`).
 */
import type { Atom, PredictStatement } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { describeDimension, unknownUnit } from '../units.ts';
import { flagWord } from './experiment-types.ts';
import type { Axis, ParamValue } from './experiment-types.ts';
import { formatInUnit, inUnit } from './ranges.ts';

/** The comparisons a prediction may state. */
export const PREDICT_OPS = ['<', '<=', '>', '>=', '=', '!='] as const;
export type PredictOp = (typeof PREDICT_OPS)[number];

/** One side of a prediction: as written, and the value of the axis it stands for. */
export interface PredictValue {
  /** `ring`, `10Gbit/s`: what the verdict shows. */
  text: string;
  /** The axis's own value, as the rows hold it: `10` on a Gbit/s axis, `true` for `on`. */
  value: ParamValue;
}

/**
 * `predict COLUMN for A OP B`: the mean of COLUMN (summary) over the runs whose `axis`
 * is A, compared with its mean over those where it is B. Shown right or wrong with the
 * numbers; a wrong prediction is a lesson, not a failure.
 */
export interface PredictOutput {
  kind: 'predict';
  column: string;
  /** The swept column A and B are values of (`tracking`, `bandwidth`). */
  axis: string;
  left: PredictValue;
  op: PredictOp;
  right: PredictValue;
  /** The statement as written. */
  text: string;
  line: number;
}

/** What a prediction compares: an axis and a value of it on each side. */
export interface PredictedAxis {
  axis: Axis;
  left: PredictValue;
  right: PredictValue;
}

/** Equal but for the rounding of a unit conversion (`10000Mbit/s` on a Gbit/s axis). */
function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** A value of `axis` as the language writes it: `10Gbit/s`, `on`, `ring`. */
export function axisValueText(axis: Axis, v: ParamValue): string {
  if (typeof v === 'boolean') return flagWord(v);
  if (typeof v === 'number') return formatInUnit(v, axis.unit);
  return String(v);
}

/** `bandwidth (1Gbit/s, 10Gbit/s)`: an axis and its values, for messages. */
function describeAxis(a: Axis): string {
  return `${a.column} (${a.values.map((v) => axisValueText(a, v)).join(', ')})`;
}

/** The value of `axis` that `atom` stands for; undefined when it is none of its values. */
function valueOn(axis: Axis, atom: Atom): ParamValue | undefined {
  if (atom.kind !== 'quantity') {
    if (axis.dim !== 'flag') return axis.values.find((v) => String(v) === atom.text);
    if (atom.text !== 'on' && atom.text !== 'off') return undefined;
    return axis.values.find((v) => v === (atom.text === 'on'));
  }
  const q = atom.quantity;
  if (q === undefined || axis.dim === 'enum' || axis.dim === 'flag' || axis.dim === 'name')
    return undefined;
  // A plain number is a value of an axis without a unit; a number with a unit, of an
  // axis of its dimension, read in the axis's unit.
  if (q.dim === 'count' ? axis.unit !== undefined : q.dim !== axis.dim) return undefined;
  const n = inUnit(q, axis.unit);
  return axis.values.find((v) => typeof v === 'number' && sameNumber(v, n));
}

/**
 * The axis a prediction compares two values of, and those values; undefined after
 * reporting why not, each message with what to write instead.
 */
export function predictedAxis(
  s: PredictStatement,
  axes: readonly Axis[],
  diags: Diagnostic[],
): PredictedAxis | undefined {
  const sides = [s.left, s.right];
  const malformed = sides.find((w) => w.kind === 'quantity' && w.quantity === undefined);
  if (malformed) {
    const unknown = unknownUnit(malformed.text);
    diags.push(
      diagnostic(
        'error',
        unknown ? C.UnknownUnit : C.WrongUnit,
        malformed.span,
        unknown?.message ?? `'${malformed.text}' is not a number with a known unit.`,
        unknown?.hint ?? 'Write a number with its unit, such as 10Gbit/s or 300ms.',
      ),
    );
    return undefined;
  }
  const varied = axes.filter((a) => a.values.length > 1);
  if (varied.length === 0) {
    diags.push(
      diagnostic(
        'error',
        C.UnknownValue,
        (s.axis ?? s.right).span,
        'A prediction compares runs that differ, but the runs in scope vary nothing.',
        'Put the prediction after a `sweep` over a list, like `sweep vm with [bitmap, ring], link`.',
      ),
    );
    return undefined;
  }
  let candidates = varied;
  if (s.axis) {
    const named = varied.find((a) => a.column === s.axis?.text);
    if (!named) {
      diags.push(
        diagnostic(
          'error',
          C.UnknownAxis,
          s.axis.span,
          `'${s.axis.text}' is not something the runs vary.${didYouMean(
            s.axis.text,
            varied.map((a) => a.column),
          )}`,
          `The runs vary ${varied.map(describeAxis).join('; ')}.`,
        ),
      );
      return undefined;
    }
    candidates = [named];
  }
  const holding = candidates.filter((a) => sides.every((w) => valueOn(a, w) !== undefined));
  // A field that differs between the names listed follows the name (`dirty_log` of
  // `[manual, ring]`): when the names hold both values, they are what is meant.
  const byName = holding.filter((a) => a.source !== 'differs');
  const matching = byName.length > 0 ? byName : holding;
  if (matching.length > 1) {
    const [first] = matching;
    diags.push(
      diagnostic(
        'error',
        C.AmbiguousPrediction,
        s.left.span,
        `'${s.left.text}' and '${s.right.text}' are values of both ${matching.map((a) => a.column).join(' and ')}; a prediction compares two values of one.`,
        `Name the one you mean before the values: \`predict ${s.column.text} for ${first!.column} ${s.left.text} ${s.op.text} ${s.right.text}\`.`,
      ),
    );
    return undefined;
  }
  const [axis] = matching;
  if (!axis) {
    diags.push(noAxisHolds(s, candidates));
    return undefined;
  }
  const side = (w: Atom): PredictValue => ({ text: w.text, value: valueOn(axis, w) ?? null });
  return { axis, left: side(s.left), right: side(s.right) };
}

/** Why no axis holds both values: a side that is no value of any, or a number without its unit. */
function noAxisHolds(s: PredictStatement, candidates: readonly Axis[]): Diagnostic {
  const listed = `The runs vary ${candidates.map(describeAxis).join('; ')}.`;
  const word = [s.left, s.right].find((w) => !candidates.some((a) => valueOn(a, w) !== undefined));
  if (word === undefined)
    return diagnostic(
      'error',
      C.UnknownValue,
      s.right.span,
      `'${s.left.text}' and '${s.right.text}' are values of different parameters; a prediction compares two values of one.`,
      listed,
    );
  const q = word.kind === 'quantity' ? word.quantity : undefined;
  if (q) {
    // A number: the axes of its dimension, or for a plain number those with a unit.
    const near = candidates.find((a) =>
      q.dim === 'count' ? a.unit !== undefined : a.dim === q.dim,
    );
    if (
      near &&
      q.dim === 'count' &&
      near.dim !== 'enum' &&
      near.dim !== 'flag' &&
      near.dim !== 'name'
    )
      return diagnostic(
        'error',
        C.WrongUnit,
        word.span,
        `'${word.text}' has no unit, but ${near.column} is ${describeDimension(near.dim)} in ${near.unit}.`,
        `Write the number with its unit: \`${word.text}${near.unit}\`.`,
      );
    if (near) {
      const [a, b] = near.values.map((v) => axisValueText(near, v));
      return diagnostic(
        'error',
        C.UnknownValue,
        word.span,
        `'${word.text}' is no value of ${describeAxis(near)}.`,
        `Compare two of those values, e.g. \`predict ${s.column.text} for ${a} ${s.op.text} ${b}\`.`,
      );
    }
  }
  const all = candidates.flatMap((a) => a.values.map((v) => axisValueText(a, v)));
  return diagnostic(
    'error',
    C.UnknownValue,
    word.span,
    `'${word.text}' is no value of what the runs vary.${didYouMean(word.text, all)}`,
    listed,
  );
}
