import { describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import { format } from '../../../dsl/format.ts';
import { variantLines } from '../../../dsl/compile/variant.ts';

/**
 * `vary`: a list or a range that stands for one value per variant, picked by the
 * variant number (OSTEP's `-s SEED`): the same number always gives the same problem,
 * other numbers give others within the bounds, and it composes with sweeps.
 */

const LAB = `vm web {
  vcpus [1, 2]
  slot ram at 0 size 64MiB
  workload hotset { rate vary 10k/s..40k/s step 10k/s, set vary [8MiB, 16MiB], hot 90% }
}
tracking bitmap { dirty_log manual }
migration link { bandwidth 1Gbit/s, downtime 300ms }
sweep web with bitmap, link seed vary 1..1000 max_time 1s
`;

const picks = (variant?: number): string[] => {
  const r = compile(LAB, variant === undefined ? {} : { variant });
  expect(r.diagnostics).toEqual([]);
  return r.program.variant ? variantLines(r.program.variant) : [];
};

describe('vary', () => {
  it('picks one value of each bound per variant, the same every time, variant 0 by default', () => {
    expect(picks(7)).toEqual(picks(7));
    expect(picks()).toEqual(picks(0));
    expect(picks(7)).toHaveLength(3);
    expect(picks(7)[0]).toMatch(
      /^variant 7: vm web rate (10|20|30|40)k\/s \(one of 10k\/s, 20k\/s, 30k\/s, 40k\/s\)$/,
    );
    expect(picks(7)[1]).toMatch(/^variant 7: vm web set (8|16)MiB \(one of 8MiB, 16MiB\)$/);
    expect(picks(7)[2]).toMatch(/^variant 7: run option seed \d+ \(one of 1000, 1 to 1000\)$/);
  });

  it('gives different variants different problems, every value within its bounds', () => {
    const rates = new Set<string>();
    const seeds = new Set<number>();
    for (let n = 0; n < 40; n++) {
      const r = compile(LAB, { variant: n });
      const [plan] = r.program.experiments[0]!.plans;
      const rate = r.program.variant!.picks[0]!.text;
      rates.add(rate);
      expect(['10k/s', '20k/s', '30k/s', '40k/s']).toContain(rate);
      const seed = plan!.plan.seed;
      expect(seed).toBeGreaterThanOrEqual(1);
      expect(seed).toBeLessThanOrEqual(1000);
      seeds.add(seed);
    }
    expect(rates.size).toBe(4);
    expect(seeds.size).toBeGreaterThan(30);
  });

  it('composes with a sweep: the family keeps its swept field, at the values picked', () => {
    const r = compile(LAB, { variant: 3 });
    const labels = r.program.experiments[0]!.plans.map((p) => p.label);
    const seed = r.program.variant!.picks[2]!.text;
    expect(labels).toEqual([
      `web/bitmap/link/vcpus=1/seed=${seed}`,
      `web/bitmap/link/vcpus=2/seed=${seed}`,
    ]);
    // The plans are those of the text with the values written out.
    const rate = r.program.variant!.picks[0]!.text;
    const set = r.program.variant!.picks[1]!.text;
    const written = LAB.replace('vary 10k/s..40k/s step 10k/s', rate)
      .replace('vary [8MiB, 16MiB]', set)
      .replace('vary 1..1000', seed);
    expect(r.program.experiments[0]!.plans.map((p) => p.plan)).toEqual(
      compile(written).program.experiments[0]!.plans.map((p) => p.plan),
    );
  });

  it('leaves a text without vary alone, and is kept as written by fmt', () => {
    expect(compile('vm a { vcpus 2 }', { variant: 5 }).program.variant).toBeUndefined();
    expect(format(LAB).text).toBe(LAB);
  });
});
