import type { PredictResult, PredictSide } from '../experiment/predict.ts';
import { formatNumber } from './format.ts';

/**
 * How a prediction reads in every front end, with the numbers that decided it:
 * `✓ right: predict downtime_ms for ring < bitmap  (ring 35.43 ms, n=3 < bitmap 36.1 ms, n=3)`.
 */
export function predictLine(r: PredictResult): string {
  const side = (s: PredictSide): string =>
    s.mean === null
      ? `${s.value}: no value`
      : `${s.value} ${formatNumber(s.mean)}${r.unit === undefined ? '' : ` ${r.unit}`}, n=${s.n}`;
  const verdict = r.right === null ? '? cannot tell' : r.right ? '✓ right' : '✗ wrong';
  // The relation that holds between the means, so a wrong prediction shows the right one.
  const relation =
    r.left.mean === null || r.other.mean === null
      ? 'vs'
      : r.left.mean < r.other.mean
        ? '<'
        : r.left.mean > r.other.mean
          ? '>'
          : '=';
  return `${verdict}: ${r.output.text}  (mean ${r.output.column}: ${side(r.left)} ${relation} ${side(r.other)})`;
}
