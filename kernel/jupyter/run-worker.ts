import { parentPort } from 'node:worker_threads';
import { run } from '../../engine/run.ts';
import { outcomeOf } from '../cli/plan-task.ts';
import type { WorkerReply, WorkerRequest } from './runner.ts';

/**
 * The kernel's simulation thread. Plans run here so the main thread keeps answering
 * heartbeats, interrupts and control requests while a cell runs (messaging.rst asks
 * that control messages are not queued behind executions). The main thread stops a
 * run by storing 1 in the shared stop cell; `run` checks it between slices.
 */

/** How often progress is posted, in wall milliseconds: often enough to look live. */
const PROGRESS_EVERY_MS = 200;

const port = parentPort;
if (!port) throw new Error('run-worker.ts must run in a worker thread');

port.on('message', (request: WorkerRequest) => {
  const stop = new Int32Array(request.stop);
  const stopped = (): boolean => Atomics.load(stop, 0) !== 0;
  const post = (reply: WorkerReply): void => port.postMessage(reply);
  for (const [k, p] of request.plans.entries()) {
    if (stopped()) break;
    let last = 0;
    try {
      const result = run(p.plan, {
        shouldStop: stopped,
        onProgress: (info) => {
          const now = performance.now();
          if (now - last < PROGRESS_EVERY_MS) return;
          last = now;
          post({ kind: 'progress', id: request.id, done: k + info.fraction, label: p.label });
        },
      });
      post({ kind: 'result', id: request.id, outcome: outcomeOf(p.index, result) });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      post({ kind: 'failed', id: request.id, label: p.label, message });
      return;
    }
  }
  post({ kind: 'done', id: request.id });
});
