import { describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import {
  experimentGroups,
  groupOfLine,
  groupOfOutput,
} from '../../../dsl/compile/output-groups.ts';
import { BASE } from '../cases.ts';

const TWO_SWEEPS = [
  BASE,
  'migration slow { bandwidth 1Gbit/s, downtime 300ms }',
  'sweep db with [manual, ring], fast seeds 1..2',
  'PLOT_AFTER_FIRST',
  'sweep db with manual, [fast, slow] seeds 1..2',
  'PLOT_AFTER_SECOND',
].join('\n');

function diagnosticsOf(first: string, second: string): string[] {
  const text = TWO_SWEEPS.replace('PLOT_AFTER_FIRST', first).replace('PLOT_AFTER_SECOND', second);
  return compile(text).diagnostics.map((d) => d.message);
}

describe('the runs an output reads', () => {
  it("checks a plot after the first sweep against that sweep's axes, not a later sweep's", () => {
    // The first sweep varies tracking, the second migration: each plot places its own.
    expect(
      diagnosticsOf(
        'plot downtime_ms over total_ms by tracking',
        'plot downtime_ms over total_ms by migration',
      ),
    ).toEqual([]);
  });

  it('still asks a plot to place what its own runs vary', () => {
    expect(
      diagnosticsOf(
        'plot downtime_ms over total_ms by tracking',
        'plot downtime_ms over total_ms by tracking',
      ),
    ).toEqual([
      "'migration' varies between the runs (fast, slow) but is neither the x axis, a `by` column nor the facet of this plot: its runs would be averaged together.",
    ]);
    expect(
      diagnosticsOf(
        'plot downtime_ms over total_ms',
        'plot downtime_ms over total_ms by migration',
      ),
    ).toEqual([
      "'tracking' varies between the runs (manual, ring) but is neither the x axis, a `by` column nor the facet of this plot: its runs would be averaged together.",
    ]);
  });

  it('checks a predict against the runs written after it, as it is shown with them', () => {
    const predictFirst = (predict: string): string[] =>
      compile(
        TWO_SWEEPS.replace('PLOT_AFTER_FIRST', predict).replace(
          'PLOT_AFTER_SECOND',
          'table summary',
        ),
      ).diagnostics.map((d) => d.message);
    // Between the sweeps: about the second one, which varies the migration.
    expect(predictFirst('predict total_ms for fast < slow')).toEqual([]);
    expect(predictFirst('predict total_ms for manual < ring')).toEqual([
      "'manual' is no value of what the runs vary.",
    ]);
  });

  it('groups experiments until an output comes between two of them', () => {
    const at = (line: number) => ({ line });
    const groups = experimentGroups([at(10), at(3), at(5)], [7, 12]);
    expect(groups).toEqual([[at(3), at(5)], [at(10)]]);
    expect(groupOfLine(7, groups)).toBe(0);
    expect(groupOfLine(12, groups)).toBe(1);
    // Outputs written before any experiment read the first group.
    expect(groupOfLine(1, groups)).toBe(0);
    // A predict reads the runs after it, or the last ones when none follow.
    expect(groupOfOutput('predict', 7, groups)).toBe(1);
    expect(groupOfOutput('predict', 12, groups)).toBe(1);
    expect(groupOfOutput('table', 7, groups)).toBe(0);
  });
});
