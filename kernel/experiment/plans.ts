import type { CompiledProgram, LabelledPlan, ParamValue } from '../../dsl/compile.ts';
import type { RunPlan } from '../../engine/plan.ts';

/**
 * The plans of a compiled program, numbered: what every runner takes and what results
 * are keyed by. A plan's index depends only on the file (and `--seed`), never on which
 * runner ran it, which shard it fell in or which plan finished first.
 */

/** A plan with its place in the file: `index` counts all plans of all experiments. */
export interface IndexedPlan {
  /** 0-based, over every plan of every experiment, in file order (`plan_index`). */
  index: number;
  /** Which experiment (0-based) the plan belongs to. */
  experiment: number;
  label: string;
  plan: RunPlan;
  /** The plan's axis values (LabelledPlan.params). */
  params?: Record<string, ParamValue>;
}

/**
 * The plans of every experiment, in order. With `seed`, every plan takes that seed
 * and its label says so; plans that become identical (a sweep over seeds) run once.
 */
export function plansOf(
  program: CompiledProgram,
  seed?: number,
): { mode: 'run' | 'sweep'; line: number; plans: LabelledPlan[] }[] {
  return program.experiments.map((e) => {
    if (seed === undefined) return { mode: e.mode, line: e.line, plans: e.plans };
    const seen = new Set<string>();
    const plans: LabelledPlan[] = [];
    for (const p of e.plans) {
      const label = p.label.replace(/(^|\/)seed=\d+(?=\/|$)/, `$1seed=${seed}`);
      if (seen.has(label)) continue;
      seen.add(label);
      plans.push({ ...p, label, plan: { ...p.plan, seed } });
    }
    return { mode: e.mode, line: e.line, plans };
  });
}

/** Every plan of the file, numbered in order (`--seed` applied as in `plansOf`). */
export function indexedPlans(program: CompiledProgram, seed?: number): IndexedPlan[] {
  let index = 0;
  return plansOf(program, seed).flatMap((e, experiment) =>
    e.plans.map(({ label, plan, params }) => ({
      index: index++,
      experiment,
      label,
      plan,
      ...(params === undefined ? {} : { params }),
    })),
  );
}

/** Number of plans of the program (with `seed`, as `indexedPlans` counts them). */
export function countPlans(program: CompiledProgram, seed?: number): number {
  return plansOf(program, seed).reduce((n, e) => n + e.plans.length, 0);
}
