import type { PlanRunner, RunnerOptions, RunnerOutcome, RunnerPlan } from './runner.ts';

/**
 * The runner of a long-lived session (the Jupyter kernel): a cell with one plan runs
 * on the session's simulation thread (a WorkerRunner: warm, and an interrupt is seen
 * within a slice of simulated time); a cell with several runs them on a pool of
 * worker threads, the PoolRunner of `mmulab run --jobs N`, so a sweep in a notebook
 * takes as long as on the command line.
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
