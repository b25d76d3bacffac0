import { Worker } from 'node:worker_threads';
import type { RunPlan } from '../../engine/plan.ts';
import type { RunResult } from '../../engine/results.ts';
import { resultFromOutcome } from '../cli/plan-task.ts';
import type { PlanOutcome } from '../cli/plan-task.ts';

/**
 * Runs a cell's plans on one long-lived worker thread (run-worker.ts), one after the
 * other, and stops them when asked. The worker is started with the kernel, so the
 * engine is loaded before the first cell needs it, and it survives interrupts: an
 * interrupted run returns what finished and the next cell reuses the thread.
 */

export interface RunnerPlan {
  /** Position among the cell's plans (0-based). */
  index: number;
  label: string;
  plan: RunPlan;
}

export interface WorkerRequest {
  id: number;
  plans: RunnerPlan[];
  /** Int32Array cell: 1 stops the run. */
  stop: SharedArrayBuffer;
}

export type WorkerReply =
  | { kind: 'progress'; id: number; done: number; label: string }
  | { kind: 'result'; id: number; outcome: PlanOutcome }
  | { kind: 'failed'; id: number; label: string; message: string }
  | { kind: 'done'; id: number };

export interface RunnerOptions {
  /** `done` plans' worth of work so far (fractional) and the plan being run. */
  onProgress?: (done: number, label: string) => void;
  /** Aborting stops the run at the next slice; the finished plans are kept. */
  signal?: AbortSignal;
}

export interface RunnerResult {
  /** Finished plans by index. */
  results: Map<number, RunResult>;
  /** True when the signal stopped the run before every plan finished. */
  interrupted: boolean;
}

/** The engine rejected a plan (a KVM errno the language could not foresee). */
export class PlanFailed extends Error {
  constructor(
    readonly label: string,
    message: string,
  ) {
    super(message);
  }
}

export class PlanRunner {
  private worker: Worker;
  private nextId = 1;

  constructor(private readonly workerUrl: URL) {
    this.worker = this.start();
  }

  private start(): Worker {
    const w = new Worker(this.workerUrl);
    // The kernel must never exit because its simulation thread is idle.
    w.unref();
    return w;
  }

  run(plans: readonly RunnerPlan[], options: RunnerOptions = {}): Promise<RunnerResult> {
    const id = this.nextId++;
    const stop = new SharedArrayBuffer(4);
    const results = new Map<number, RunResult>();
    const worker = this.worker;
    return new Promise<RunnerResult>((resolve, reject) => {
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
        if (reply.kind === 'progress') options.onProgress?.(reply.done, reply.label);
        else if (reply.kind === 'result') {
          const result = resultFromOutcome(reply.outcome);
          if (!result.interrupted) results.set(reply.outcome.index, result);
        } else if (reply.kind === 'failed') {
          finish();
          reject(new PlanFailed(reply.label, reply.message));
        } else {
          finish();
          resolve({ results, interrupted: results.size < plans.length });
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
      const request: WorkerRequest = { id, plans: [...plans], stop };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
