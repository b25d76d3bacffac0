import { Piscina } from 'piscina';
import type { RunResult } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';
import { resultFromOutcome } from './plan-task.ts';
import type { PlanOutcome, PlanTask } from './plan-task.ts';
import type { PlanProgress } from '../experiment/experiments.ts';
import type { IndexedPlan } from '../experiment/plans.ts';

/**
 * Running a list of plans: in this thread one after the other (`jobs` 1), or on a
 * pool of worker threads (piscina). Either way the results are keyed by plan index,
 * so their order never depends on which plan finished first, and a plan gives the
 * same tables in a worker as here (the engine is deterministic; tables cross the
 * thread boundary as column names plus row objects, see plan-task.ts).
 */

export interface RunPlansOptions {
  /** Worker threads; 1 runs in this thread. */
  jobs: number;
  /** Overall progress: `done` plans' worth of work (fractional), the plan last heard of. */
  onProgress?: (done: number, label: string, info: PlanProgress) => void;
  /** Aborting stops the run: workers are terminated, unfinished plans are dropped. */
  signal?: AbortSignal;
}

export interface RunPlansResult {
  /** Finished plans, by plan index. */
  results: Map<number, RunResult>;
  /** True when `signal` stopped the run before every plan finished. */
  interrupted: boolean;
}

/** How often the main thread reads the workers' progress cells (wall ms). */
const PROGRESS_POLL_MS = 100;

/** Run `plans`; rejects with the engine's error if it rejects a plan. */
export async function runPlans(
  plans: readonly IndexedPlan[],
  options: RunPlansOptions,
): Promise<RunPlansResult> {
  if (options.jobs <= 1 || plans.length <= 1) return runInThread(plans, options);
  return runOnPool(plans, options);
}

/**
 * One after the other in this thread. A plan runs synchronously, so an interrupt is
 * seen between plans: the loop yields to the event loop before each one.
 */
async function runInThread(
  plans: readonly IndexedPlan[],
  { onProgress, signal }: RunPlansOptions,
): Promise<RunPlansResult> {
  const results = new Map<number, RunResult>();
  for (const [k, p] of plans.entries()) {
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) return { results, interrupted: true };
    const result = run(p.plan, {
      onProgress: onProgress ? (info) => onProgress(k + info.fraction, p.label, info) : undefined,
      shouldStop: () => signal?.aborted === true,
    });
    if (result.interrupted && signal?.aborted) return { results, interrupted: true };
    results.set(p.index, result);
  }
  return { results, interrupted: false };
}

/** On a piscina pool of `jobs` worker threads (no more threads than plans). */
async function runOnPool(
  plans: readonly IndexedPlan[],
  { jobs, onProgress, signal }: RunPlansOptions,
): Promise<RunPlansResult> {
  const threads = Math.min(jobs, plans.length);
  const pool = new Piscina<PlanTask, PlanOutcome>({
    filename: new URL('./plan-worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
  });
  // One Float64 cell per plan: the share of its time limit a worker has simulated.
  const progress = new SharedArrayBuffer(8 * plans.length);
  const cells = new Float64Array(progress);
  const results = new Map<number, RunResult>();
  let lastLabel = plans[0]?.label ?? '';
  const poll = onProgress
    ? setInterval(() => {
        const done = cells.reduce((a, b) => a + b, 0);
        onProgress(done, lastLabel, { fraction: done / plans.length, state: 'running', timeS: 0 });
      }, PROGRESS_POLL_MS)
    : undefined;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    void pool.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) stop();
    await Promise.all(
      plans.map(async (p, slot) => {
        let outcome: PlanOutcome;
        try {
          outcome = await pool.run({ index: p.index, plan: p.plan, progress, progressSlot: slot });
        } catch (e) {
          if (stopped) return; // terminated by the interrupt: the plan did not finish
          stop(); // the engine rejected a plan: the others are not worth waiting for
          throw e;
        }
        results.set(p.index, resultFromOutcome(outcome));
        lastLabel = p.label;
      }),
    );
  } finally {
    if (poll) clearInterval(poll);
    signal?.removeEventListener('abort', stop);
    if (!stopped) await pool.destroy();
  }
  return { results, interrupted: stopped && results.size < plans.length };
}
