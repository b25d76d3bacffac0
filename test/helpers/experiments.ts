import * as aq from 'arquero';
import type { Axis, ParamValue } from '../../dsl/compile.ts';
import type { RunPlan } from '../../engine/plan.ts';
import { MMULAB_VERSION, planHash, registerProvenance } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
import type { ExperimentRun, MissingPlan } from '../../kernel/experiment/experiments.ts';
import { plan as basePlan } from './plans.ts';

/**
 * Experiments built by hand, as the language will compile them (axes, params) and the
 * engine return them (summary rows), without running anything: for the experiment
 * layer's tables, aggregates and figures, whose every number the test then knows.
 */

export interface HandRun {
  params: Record<string, ParamValue>;
  seed: number;
  /** The summary row's values (the rest of the summary is left out). */
  summary: Record<string, ParamValue>;
  /** Timeline rows (default: two samples). */
  timeline?: Record<string, ParamValue>[];
}

/** A RunResult whose summary is `summary` and whose timeline is `timeline`. */
export function handResult(plan: RunPlan, r: HandRun): RunResult {
  const timeline = r.timeline ?? [
    { time_s: 0, remaining_pages: 100 },
    { time_s: 1, remaining_pages: 10 },
  ];
  const provenance = {
    mmulab_version: MMULAB_VERSION,
    plan_hash: planHash(plan),
    seed: r.seed,
    costs: {} as RunResult['provenance']['costs'],
  };
  const result: RunResult = {
    summary: aq.from([{ vm: plan.vm.name, seed: r.seed, ...r.summary }]),
    iterations: aq.table({ iteration: [1, 2], time_s: [0.5, 1], remaining_pages: [50, 10] }),
    timeline: aq.from(timeline),
    events: aq.table({ time_s: [], kind: [], vcpu: [], detail: [] }),
    stale: aq.table({ gfn: [], source_generation: [], destination_generation: [], cause: [] }),
    vcpu_stats: aq.table({ vcpu: [0], guest_progress: [1] }),
    provenance,
    interrupted: false,
  };
  for (const t of [result.summary, result.iterations, result.timeline])
    registerProvenance(t, provenance);
  return result;
}

/** An experiment of `runs` over `axes`; labels are `col=value/.../seed=N`. */
export function handExperiment(
  axes: Axis[],
  runs: HandRun[],
  missing: MissingPlan[] = [],
): ExperimentRun {
  return {
    mode: 'sweep',
    line: 1,
    statement: 'sweep by hand',
    axes,
    runs: runs.map((r, index) => {
      const plan = basePlan({ seed: r.seed });
      const label = [
        ...axes.map((a) => `${a.column}=${String(r.params[a.column])}`),
        `seed=${r.seed}`,
      ].join('/');
      return { index, label, params: r.params, plan, result: handResult(plan, r) };
    }),
    missing,
  };
}

/** A quantity axis. */
export function quantityAxis(column: string, unit: string, values: number[]): Axis {
  return { column, dim: 'bandwidth', unit, values, source: 'family' };
}

/** A named-definition axis (`tracking` of `[bitmap, ring]`). */
export function nameAxis(column: string, values: string[]): Axis {
  return { column, dim: 'name', values, source: 'option' };
}
