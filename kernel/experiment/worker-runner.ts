import { Worker } from 'node:worker_threads';
import type { RunResult } from '../../engine/results.ts';
import { planFailed, resultFromOutcome } from './plan-task.ts';
import type { PlanTask, TaskReply } from './plan-task.ts';
import type {
  PlanProgress,
  PlanRunner,
  RunnerOptions,
  RunnerOutcome,
  RunnerPlan,
} from './runner.ts';

/**
 * Runs plans on one long-lived worker thread (thread-worker.ts), one after the other,
 * and stops them when asked, while this thread keeps answering (the Jupyter kernel's
 * heartbeats, interrupts and control requests). The thread is started with the
 * runner, so the engine is loaded before the first run needs it, and it survives
 * interrupts: an interrupted run returns what finished and the next run reuses it.
 * An abort is seen within one slice of simulated time (the engine polls a shared
 * stop cell).
 */

/** A run, as this thread posts it. */
export interface WorkerRequest {
  id: number;
  plans: PlanTask[];
  /** Int32Array cell: 1 stops the run. */
  stop: SharedArrayBuffer;
}

/** What the thread posts back, tagged with the request's id. */
export type WorkerReply =
  | { kind: 'progress'; id: number; done: number; label: string; plan: PlanProgress }
  | { kind: 'plan'; id: number; reply: TaskReply }
  | { kind: 'done'; id: number };

export class WorkerRunner implements PlanRunner {
  private worker: Worker;
  private nextId = 1;

  /**
   * `workerUrl`: the thread's entry, thread-worker.ts as the caller's layout has it
   * (a tsx-registering .mjs beside the sources, the bundled file in dist/).
   */
  constructor(private readonly workerUrl: URL) {
    this.worker = this.start();
  }

  private start(): Worker {
    const w = new Worker(this.workerUrl);
    // A process must never stay alive, or exit early, because its simulation thread is idle.
    w.unref();
    return w;
  }

  run(plans: readonly RunnerPlan[], options: RunnerOptions = {}): Promise<RunnerOutcome> {
    const id = this.nextId++;
    const stop = new SharedArrayBuffer(4);
    const results = new Map<number, RunResult>();
    const worker = this.worker;
    const total = plans.length;
    return new Promise<RunnerOutcome>((resolve, reject) => {
      const onAbort = (): void => {
        Atomics.store(new Int32Array(stop), 0, 1);
      };
      const finish = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== id) return;
        if (reply.kind === 'progress') {
          const { done, label, plan } = reply;
          options.onProgress?.({ done, total, label, plan });
        } else if (reply.kind === 'plan') {
          if (reply.reply.kind === 'failed') {
            finish();
            reject(planFailed(reply.reply));
            return;
          }
          const { outcome } = reply.reply;
          // A plan the stop cell cut short did not finish: it is dropped.
          if (!outcome.interrupted) {
            const result = resultFromOutcome(outcome);
            results.set(outcome.index, result);
            options.onResult?.(outcome.index, result);
          }
        } else {
          finish();
          resolve({ results, interrupted: results.size < total });
        }
      };
      const onError = (e: Error): void => {
        finish();
        // A crashed thread is replaced so the session stays usable.
        this.worker = this.start();
        reject(e);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      options.signal?.addEventListener('abort', onAbort);
      if (options.signal?.aborted) onAbort();
      const request: WorkerRequest = {
        id,
        plans: plans.map(({ index, label, plan }) => ({ index, label, plan })),
        stop,
      };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
