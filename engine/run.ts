import type { RunPlan } from './plan.ts';
import type { RunOptions } from './sim/simulation.ts';
import type { RunResult } from './results.ts';
import { releaseRunMemory, simulate } from './sim/simulation.ts';
import { buildResult } from './results.ts';

/**
 * Run one plan: a VM with its workloads, tracked and migrated as the plan says.
 * Deterministic: the same plan (seed included) gives identical tables. Once the
 * tables are built (plain rows: they refer to none of the simulation's memory), the
 * run's per-page chunks go back to this thread's pool for its next run.
 */
export function run(plan: RunPlan, options: RunOptions = {}): RunResult {
  const out = simulate(plan, options);
  const result = buildResult(out);
  releaseRunMemory(out);
  return result;
}
