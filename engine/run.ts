import type { RunPlan } from './plan.ts';
import type { RunOptions } from './sim/simulation.ts';
import type { RunResult } from './results.ts';
import { simulate } from './sim/simulation.ts';
import { buildResult } from './results.ts';

/**
 * Run one plan: a VM with its workloads, tracked and migrated as the plan says.
 * Deterministic: the same plan (seed included) gives identical tables.
 */
export function run(plan: RunPlan, options: RunOptions = {}): RunResult {
  return buildResult(simulate(plan, options));
}
