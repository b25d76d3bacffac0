import { availableParallelism } from 'node:os';
import type { PlanRunner, RunnerOptions, RunnerOutcome, RunnerPlan } from './runner.ts';

/**
 * The threads a session's pool runs a sweep on: `MMULAB_JOBS` (a whole number from 1),
 * else the machine's cores, as `mmulab run --jobs N` defaults.
 */
export function sessionPoolThreads(env: NodeJS.ProcessEnv = process.env): number {
  const jobs = Number(env.MMULAB_JOBS);
  return Number.isSafeInteger(jobs) && jobs >= 1 ? jobs : availableParallelism();
}

/**
 * The runner of a long-lived session (the Jupyter kernel, a tslab notebook): a cell
 * with one plan runs on `single` (the kernel's simulation thread, a WorkerRunner: warm,
 * and an interrupt is seen within a slice of simulated time; tslab's own thread); a
 * cell with several runs them on a pool of worker threads, the PoolRunner of `mmulab
 * run --jobs N`, so a sweep in a notebook takes as long as on the command line.
 */
export class SessionRunner implements PlanRunner {
  constructor(
    private readonly single: PlanRunner,
    private readonly pool: PlanRunner,
  ) {}

  run(plans: readonly RunnerPlan[], options?: RunnerOptions): Promise<RunnerOutcome> {
    return (plans.length > 1 ? this.pool : this.single).run(plans, options);
  }

  async close(): Promise<void> {
    await Promise.all([this.single.close(), this.pool.close()]);
  }
}
