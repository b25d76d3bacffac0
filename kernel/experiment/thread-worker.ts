import { parentPort } from 'node:worker_threads';
import { runPlanTask } from './plan-task.ts';
import type { WorkerReply, WorkerRequest } from './worker-runner.ts';

/**
 * The thread of a WorkerRunner. Plans run here so the main thread keeps answering
 * (the Jupyter kernel's heartbeats, interrupts and control requests: messaging.rst
 * asks that control messages are not queued behind executions). The main thread
 * stops a run by storing 1 in the shared stop cell; the engine polls it between
 * slices.
 */

/** How often progress is posted, in wall milliseconds: often enough to look live. */
const PROGRESS_EVERY_MS = 200;

const port = parentPort;
if (!port) throw new Error('thread-worker.ts must run in a worker thread');

port.on('message', (request: WorkerRequest) => {
  const stop = new Int32Array(request.stop);
  const stopped = (): boolean => Atomics.load(stop, 0) !== 0;
  const post = (reply: WorkerReply): void => port.postMessage(reply);
  for (const [k, task] of request.plans.entries()) {
    if (stopped()) break;
    let last = 0;
    const reply = runPlanTask(task, {
      shouldStop: stopped,
      onProgress: (info) => {
        const now = performance.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        post({
          kind: 'progress',
          id: request.id,
          done: k + info.fraction,
          label: task.label,
          plan: info,
        });
      },
    });
    post({ kind: 'plan', id: request.id, reply });
    // After a failure the main thread rejects the run: nothing after it is wanted.
    if (reply.kind === 'failed') return;
  }
  post({ kind: 'done', id: request.id });
});
