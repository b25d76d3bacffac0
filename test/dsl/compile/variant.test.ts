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

  it('makes each value picked a column with the name, unit and value a one-value sweep gives', () => {
    const text = LAB.replace('max_time 1s', 'max_time vary [1s, 2s]');
    const r = compile(text, { variant: 3 });
    expect(r.diagnostics).toEqual([]);
    const v = Object.fromEntries(r.program.variant!.picks.map((p) => [p.column, p.text]));
    const swept = compile(
      text
        .replace('vary 10k/s..40k/s step 10k/s', `[${v.rate}]`)
        .replace('vary [8MiB, 16MiB]', `[${v.set}]`)
        .replace('vary [1s, 2s]', `[${v.max_time}]`)
        .replace('vary 1..1000', v.seed!),
    ).program.experiments[0]!;
    const [e] = r.program.experiments;
    expect(e!.axes!.map((a) => a.source)).toEqual(['family', 'vary', 'vary', 'vary']);
    expect(e!.axes!.map(({ source: _, ...a }) => a)).toEqual(
      swept.axes!.map(({ source: _, ...a }) => a),
    );
    expect(e!.plans.map((p) => p.params)).toEqual(swept.plans.map((p) => p.params));
    expect(e!.plans[0]!.params).toMatchObject({
      rate: parseFloat(v.rate!),
      set: parseFloat(v.set!),
    });
    // The label leaves the picks out: they are the same in every plan of the variant.
    expect(swept.plans[0]!.label).toContain(`/rate=${v.rate}/`);
    expect(e!.plans[0]!.label).toBe(`web/bitmap/link/vcpus=1/seed=${v.seed}`);
  });

  it("keeps a picked value's column in a definition that extends it, and lets a run's where name it", () => {
    const r = compile(LAB, { variant: 3 });
    const rate = r.program.variant!.picks[0]!.text;
    const extended = LAB.replace(
      'tracking bitmap',
      'vm web2 extends web { vcpus 4 }\ntracking bitmap',
    ).replace('sweep web', 'sweep web2');
    const e = compile(extended, { variant: 3 }).program.experiments[0]!;
    expect(e.axes!.map((a) => a.column)).toEqual(['rate', 'set']);
    const { vcpus: _, ...picked } = r.program.experiments[0]!.plans[0]!.params!;
    expect(picked.rate).toBe(parseFloat(rate));
    expect(e.plans.map((p) => p.params)).toEqual([picked]);
    const kept = compile(LAB.replace('max_time 1s', `max_time 1s where rate = ${rate}`), {
      variant: 3,
    });
    expect(kept.diagnostics).toEqual([]);
    expect(kept.program.experiments[0]!.plans).toHaveLength(2);
    const none = compile(LAB.replace('max_time 1s', `max_time 1s where rate != ${rate}`), {
      variant: 3,
    });
    expect(none.diagnostics.map((d) => d.code)).toEqual(['no-point-kept']);
  });

  it("records the values a used file's bounds picked, with the text's own", () => {
    const definitions = LAB.split('\nsweep')[0]!;
    const load = (path: string) =>
      path === 'lab.mmu' ? { file: '/lab.mmu', text: definitions } : null;
    const r = compile('use "lab.mmu"\nrun web with bitmap, link seed vary 1..9', {
      variant: 3,
      load,
    });
    expect(r.diagnostics).toEqual([]);
    expect(variantLines(r.program.variant!)).toEqual([
      ...variantLines(compile(definitions, { variant: 3 }).program.variant!),
      expect.stringMatching(/^variant 3: run option seed \d \(one of 9, 1 to 9\)$/) as string,
    ]);
  });

  it('compiles only the definitions and uses when asked, keeping the lets and runs of its scope', () => {
    const before = compile(`${LAB}let x = total_ms * 2`, { variant: 1 });
    const again = compile(LAB, { variant: 3, scope: before.scope, definitionsOnly: true });
    expect(again.diagnostics).toEqual([]);
    expect(again.program.experiments).toEqual([]);
    expect(again.program.variant?.picks.map((p) => p.column)).toEqual(['rate', 'set']);
    expect(again.scope.lets).toBe(before.scope.lets);
    expect(again.scope.runs).toBe(before.scope.runs);
    expect(again.scope.vm.get('web')).toEqual(compile(LAB, { variant: 3 }).scope.vm.get('web'));
  });

  it('leaves a text without vary alone, and is kept as written by fmt', () => {
    expect(compile('vm a { vcpus 2 }', { variant: 5 }).program.variant).toBeUndefined();
    expect(format(LAB).text).toBe(LAB);
  });
});
