import type { RunResult } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';
import { PlanFailed } from './runner.ts';
import type { PlanRunner, RunnerOptions, RunnerOutcome, RunnerPlan } from './runner.ts';

/**
 * Runs plans one after the other in this thread: no thread to start and no copy of
 * the results (tslab, `mmulab run --jobs 1`). A plan runs synchronously, so this
 * thread answers nothing while it runs and an abort is seen between plans: the
 * runner yields to the event loop before each one.
 */
export class InThreadRunner implements PlanRunner {
  async run(plans: readonly RunnerPlan[], options: RunnerOptions = {}): Promise<RunnerOutcome> {
    const { onProgress, signal } = options;
    const results = new Map<number, RunResult>();
    for (const [k, p] of plans.entries()) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) return { results, interrupted: true };
      let result: RunResult;
      try {
        result = run(p.plan, {
          onProgress: onProgress
            ? (info) =>
                onProgress({
                  done: k + info.fraction,
                  total: plans.length,
                  label: p.label,
                  plan: info,
                })
            : undefined,
          shouldStop: () => signal?.aborted === true,
        });
      } catch (e) {
        throw PlanFailed.of(p.label, e);
      }
      if (result.interrupted && signal?.aborted) return { results, interrupted: true };
      results.set(p.index, result);
      options.onResult?.(p.index, result);
    }
    return { results, interrupted: false };
  }

  async close(): Promise<void> {}
}
