import { Piscina } from 'piscina';
import type { RunResult } from '../../engine/results.ts';
import { byDecreasingCost } from './plan-cost.ts';
import { planFailed, resultFromOutcome } from './plan-task.ts';
import type { PlanTask, TaskReply } from './plan-task.ts';
import type { PlanRunner, RunnerOptions, RunnerOutcome, RunnerPlan } from './runner.ts';

/**
 * Runs plans on a piscina pool of worker threads, as many at once as it has threads
 * (`mmulab run --jobs N`). The pool starts with the first run, with no more threads
 * than it has plans, grows to `threads` when a later run has more, and is kept
 * between runs until `close`: a notebook's sweeps, one a cell, then run on threads
 * that have loaded the engine and compiled it already (six runs of six plans on
 * a fresh pool of two threads each took 11-14 s of CPU, on one kept pool 5.9 s). An abort terminates the threads: the
 * plans they ran are dropped at once, the finished ones are kept, and the next run
 * starts a new pool.
 *
 * Plans start in decreasing order of their estimated cost (plan-cost.ts), so the plan
 * that starts last, while the other threads run out of work, is a light one. Nothing
 * else depends on that order: results are keyed by plan index and returned in plan
 * order, progress cells are the plans' own, and each plan's tables are its own.
 */

/** How often the main thread reads the workers' progress cells (wall ms). */
const PROGRESS_POLL_MS = 100;

export class PoolRunner implements PlanRunner {
  /**
   * `threads`: the most worker threads a run starts. `workerUrl`: the threads' entry
   * (default: plan-worker.js beside this module, as the CLI's bundle and the sources
   * have it; a bundle that puts this module in a chunk names its own). `execArgv`:
   * the threads' Node options (default: this process's, as Node passes them on). A
   * process started with `--import tsx` gives `[]`, or each thread registers tsx
   * before loading anything (~0.7 s of CPU a thread); the entries need none of it (the
   * bundle is JavaScript, and the sources' plan-worker.js registers tsx itself). Node
   * refuses V8 and process-wide options there (--expose-gc, --max-old-space-size):
   * they apply to every thread already.
   */
  constructor(
    private readonly threads: number,
    private readonly workerUrl: URL = new URL('./plan-worker.js', import.meta.url),
    private readonly execArgv?: readonly string[],
  ) {}

  /** The pool of the runs so far, while no abort or failure ended it. */
  private pool: Piscina<PlanTask, TaskReply> | undefined;

  private poolFor(plans: number): Piscina<PlanTask, TaskReply> {
    this.pool ??= new Piscina<PlanTask, TaskReply>({
      filename: this.workerUrl.href,
      ...(this.execArgv ? { execArgv: [...this.execArgv] } : {}),
      minThreads: Math.max(1, Math.min(this.threads, plans)),
      maxThreads: Math.max(1, this.threads),
      // Threads stay until close(): what a later run saves is their start-up.
      idleTimeout: Infinity,
      // Tasks start in the order run() queued them (by decreasing cost). By default
      // piscina puts a task it cannot hand to a busy thread at the back of its queue,
      // which reorders a queue of more plans than threads.
      stricterFIFO: true,
    });
    return this.pool;
  }

  async run(plans: readonly RunnerPlan[], options: RunnerOptions = {}): Promise<RunnerOutcome> {
    const { onProgress, signal } = options;
    const pool = this.poolFor(plans.length);
    // One Float64 cell per plan: the share of its time limit a worker has simulated.
    const progress = new SharedArrayBuffer(8 * plans.length);
    const cells = new Float64Array(progress);
    const results = new Map<number, RunResult>();
    const total = plans.length;
    let lastLabel = plans[0]?.label ?? '';
    const poll = onProgress
      ? setInterval(() => {
          onProgress({ done: cells.reduce((a, b) => a + b, 0), total, label: lastLabel });
        }, PROGRESS_POLL_MS)
      : undefined;
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      if (this.pool === pool) this.pool = undefined;
      void pool.destroy();
    };
    signal?.addEventListener('abort', stop, { once: true });
    try {
      if (signal?.aborted) stop();
      await Promise.all(
        byDecreasingCost(plans).map(async (slot) => {
          const { index, label, plan } = plans[slot];
          let reply: TaskReply;
          try {
            reply = await pool.run({ index, label, plan, progress, progressSlot: slot });
          } catch (e) {
            if (stopped) return; // terminated by the abort: the plan did not finish
            stop(); // a worker died: the others are not worth waiting for
            throw e;
          }
          if (reply.kind === 'failed') {
            stop(); // the engine rejected a plan: the others are not worth waiting for
            throw planFailed(reply);
          }
          const result = resultFromOutcome(reply.outcome);
          results.set(index, result);
          options.onResult?.(index, result);
          lastLabel = label;
        }),
      );
    } finally {
      if (poll) clearInterval(poll);
      signal?.removeEventListener('abort', stop);
    }
    return {
      results: inPlanOrder(plans, results),
      interrupted: stopped && results.size < plans.length,
    };
  }

  /** The thread ids of the pool's workers (none before the first run or after close). */
  get threadIds(): number[] {
    return (this.pool?.threads ?? []).map((t) => t.threadId).sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}

/** `results` (finished in any order) in the order of `plans`. */
function inPlanOrder(
  plans: readonly RunnerPlan[],
  results: Map<number, RunResult>,
): Map<number, RunResult> {
  const ordered = new Map<number, RunResult>();
  for (const { index } of plans) {
    const r = results.get(index);
    if (r) ordered.set(index, r);
  }
  return ordered;
}
