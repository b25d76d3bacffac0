import type { RunResult } from '../../engine/results.ts';
import type { ResultCache } from './result-cache.ts';
import type { PlanRunner, RunnerOptions, RunnerOutcome, RunnerPlan } from './runner.ts';

/**
 * A runner that runs only the plans whose results the cache does not hold, on the
 * runner it wraps, and stores what they give. Stored results come back as they were
 * made (the engine is deterministic, the key names the plan and the engine), so the
 * tables are the same whether a plan ran now or before. Progress counts the stored
 * plans as done. Each result is stored as soon as its plan finishes, so an interrupted
 * or crashed run keeps what it finished.
 */
export class CachingRunner implements PlanRunner {
  /** Plans run (not found in the cache) by this runner so far. */
  ran = 0;

  constructor(
    private readonly inner: PlanRunner,
    readonly cache: ResultCache,
  ) {}

  async run(plans: readonly RunnerPlan[], options: RunnerOptions = {}): Promise<RunnerOutcome> {
    const results = new Map<number, RunResult>();
    const missing: RunnerPlan[] = [];
    for (const p of plans) {
      const stored = this.cache.get(p.plan);
      if (stored) results.set(p.index, stored);
      else missing.push(p);
    }
    if (missing.length === 0) return { results, interrupted: false };
    const stored = results.size;
    const { onProgress, onResult } = options;
    const byIndex = new Map(missing.map((p) => [p.index, p.plan]));
    const outcome = await this.inner.run(missing, {
      ...options,
      onResult: (index, result) => {
        const plan = byIndex.get(index);
        if (plan) this.cache.set(plan, result);
        onResult?.(index, result);
      },
      ...(onProgress
        ? {
            onProgress: (p) => onProgress({ ...p, done: p.done + stored, total: plans.length }),
          }
        : {}),
    });
    this.ran += missing.length;
    for (const p of missing) {
      const result = outcome.results.get(p.index);
      if (result) results.set(p.index, result);
    }
    return { results, interrupted: outcome.interrupted };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
