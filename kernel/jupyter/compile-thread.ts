import { parentPort } from 'node:worker_threads';
import { compileCell } from './cell-compile.ts';
import type { CompileJob, CompileDone } from './thread-compiler.ts';

/**
 * The kernel's compile thread (a ThreadCompiler's). Cells are lexed, parsed, checked
 * and lowered here, so however long a cell takes the main thread keeps answering
 * heartbeats, control requests and interrupts (messaging.rst: control must not wait
 * behind execution); an interrupt terminates this thread and a new one starts.
 */

const port = parentPort;
if (!port) throw new Error('compile-thread.ts must run in a worker thread');

port.on('message', (job: CompileJob) => {
  const done: CompileDone = { id: job.id, cell: compileCell(job.request) };
  port.postMessage(done);
});
