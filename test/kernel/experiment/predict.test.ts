import { describe, expect, it } from 'vitest';
import { evaluatePredict } from '../../../kernel/experiment/predict.ts';
import type { PredictOutput } from '../../../kernel/experiment/predict.ts';
import { predictLine } from '../../../kernel/output/predict-text.ts';
import { handExperiment, nameAxis, quantityAxis } from '../../helpers/experiments.ts';

/** ring: downtime 30 and 40 (mean 35); bitmap: 50 and 70 (mean 60); one ring run without a value. */
const e = handExperiment(
  [nameAxis('tracking', ['bitmap', 'ring'])],
  [
    { params: { tracking: 'ring' }, seed: 1, summary: { tracking: 'ring', downtime_ms: 30 } },
    { params: { tracking: 'ring' }, seed: 2, summary: { tracking: 'ring', downtime_ms: 40 } },
    { params: { tracking: 'ring' }, seed: 3, summary: { tracking: 'ring', downtime_ms: null } },
    { params: { tracking: 'bitmap' }, seed: 1, summary: { tracking: 'bitmap', downtime_ms: 50 } },
    { params: { tracking: 'bitmap' }, seed: 2, summary: { tracking: 'bitmap', downtime_ms: 70 } },
  ],
);

function predict(op: PredictOutput['op'], left = 'ring', right = 'bitmap'): PredictOutput {
  return {
    kind: 'predict',
    column: 'downtime_ms',
    axis: 'tracking',
    left: { text: left, value: left },
    op,
    right: { text: right, value: right },
    text: `predict downtime_ms for ${left} ${op} ${right}`,
    line: 3,
  };
}

describe('predict', () => {
  it('is right when the means compare as predicted, and shows both means and their counts', () => {
    const r = evaluatePredict(e, predict('<'));
    expect(r).toMatchObject({
      right: true,
      left: { value: 'ring', mean: 35, n: 2 },
      other: { value: 'bitmap', mean: 60, n: 2 },
    });
    expect(predictLine(r)).toBe(
      '✓ right: predict downtime_ms for ring < bitmap  (mean downtime_ms: ring 35 ms, n=2 < bitmap 60 ms, n=2)',
    );
  });

  it('is wrong when they do not, and shows the relation that holds', () => {
    const r = evaluatePredict(e, predict('>='));
    expect(r.right).toBe(false);
    expect(predictLine(r)).toBe(
      '✗ wrong: predict downtime_ms for ring >= bitmap  (mean downtime_ms: ring 35 ms, n=2 < bitmap 60 ms, n=2)',
    );
  });

  it('cannot tell when a side has no value', () => {
    const r = evaluatePredict(e, predict('<', 'ring', 'dirty'));
    expect(r.right).toBeNull();
    expect(predictLine(r)).toBe(
      '? cannot tell: predict downtime_ms for ring < dirty  (mean downtime_ms: ring 35 ms, n=2 vs dirty: no value)',
    );
  });

  it('compares the runs at two numbers of an axis, showing them as written', () => {
    const byBandwidth = handExperiment(
      [quantityAxis('bandwidth', 'Gbit/s', [1, 10])],
      [
        { params: { bandwidth: 1 }, seed: 1, summary: { total_ms: 900 } },
        { params: { bandwidth: 1 }, seed: 2, summary: { total_ms: 1100 } },
        { params: { bandwidth: 10 }, seed: 1, summary: { total_ms: 120 } },
      ],
    );
    const output: PredictOutput = {
      kind: 'predict',
      column: 'total_ms',
      axis: 'bandwidth',
      left: { text: '1000Mbit/s', value: 1 },
      op: '>',
      right: { text: '10Gbit/s', value: 10 },
      text: 'predict total_ms for 1000Mbit/s > 10Gbit/s',
      line: 3,
    };
    const r = evaluatePredict(byBandwidth, output);
    expect(r).toMatchObject({
      right: true,
      left: { value: '1000Mbit/s', mean: 1000, n: 2 },
      other: { value: '10Gbit/s', mean: 120, n: 1 },
    });
    expect(predictLine(r)).toBe(
      '✓ right: predict total_ms for 1000Mbit/s > 10Gbit/s  (mean total_ms: 1000Mbit/s 1,000 ms, n=2 > 10Gbit/s 120 ms, n=1)',
    );
  });
});
