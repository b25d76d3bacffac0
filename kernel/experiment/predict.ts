import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import { compare } from '../../dsl/compile/evaluate.ts';
import type { PredictValue } from '../../dsl/compile/predict.ts';
import { unitOf } from './column-info.ts';
import type { ExperimentRun } from './experiments.ts';
import { viewTable } from './views.ts';

/**
 * `predict COLUMN for A OP B` after the run: the mean of COLUMN over the runs whose
 * swept parameter is A, and over those where it is B (the summary's rows with the
 * lets), compared as the student said. Right, wrong, or undecided when one side has
 * no value; never an error, so a wrong guess does not stop a notebook.
 */

export type PredictOutput = Extract<CompiledOutput, { kind: 'predict' }>;

/** One side of a prediction: its value as written, the mean of the column over its runs, and how many. */
export interface PredictSide {
  value: string;
  mean: number | null;
  n: number;
}

export interface PredictResult {
  output: PredictOutput;
  /** Null when a side has no number to compare. */
  right: boolean | null;
  left: PredictSide;
  other: PredictSide;
  unit?: string;
}

export function evaluatePredict(
  e: ExperimentRun,
  output: PredictOutput,
  lets: readonly LetDefinition[] = [],
): PredictResult {
  const table = viewTable(e, 'summary', lets);
  const rows = table.objects() as Record<string, unknown>[];
  const side = ({ text, value }: PredictValue): PredictSide => {
    const xs = rows
      .filter((r) => r[output.axis] === value)
      .map((r) => r[output.column])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return {
      value: text,
      mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null,
      n: xs.length,
    };
  };
  const left = side(output.left);
  const other = side(output.right);
  const unit = table.columnNames().includes(output.column)
    ? unitOf(table, output.column)
    : undefined;
  return {
    output,
    right:
      left.mean === null || other.mean === null ? null : compare(output.op, left.mean, other.mean),
    left,
    other,
    ...(unit === undefined ? {} : { unit }),
  };
}
