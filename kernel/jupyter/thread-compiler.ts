import { Worker } from 'node:worker_threads';
import { CompileStopped } from './cell-compile.ts';
import type { CellCompileRequest, CellCompiler, CompiledCell } from './cell-compile.ts';

/**
 * Compiles cells on a thread of their own (compile-thread.ts), one at a time. The
 * thread is started with the compiler, so the language is loaded before the first
 * cell. An abort terminates the thread mid-compile (a compile has no slices to poll
 * between) and starts a fresh one; so does a thread that ran out of memory, whose
 * cell gets an error instead of taking the kernel down.
 */

/** A cell to compile, as the main thread posts it. */
export interface CompileJob {
  id: number;
  request: CellCompileRequest;
}

/** The compiled cell, tagged with its job's id. */
export interface CompileDone {
  id: number;
  cell: CompiledCell;
}

/**
 * The compile thread's heap limit. A 1 MiB cell of errors needs ~450 MB; a runaway
 * compile (a huge `use`d file) stops here with an error for its cell rather than
 * growing the kernel to the machine's memory.
 */
export const HEAP_LIMIT_MB = 1536;

export class ThreadCompiler implements CellCompiler {
  private worker: Worker;
  private nextId = 1;

  /**
   * `workerUrl`: the thread's entry, compile-thread.ts as the caller's layout has it
   * (the tsx-registering compile-worker.mjs beside the sources, the bundle in dist/).
   */
  constructor(
    private readonly workerUrl: URL,
    private readonly heapLimitMb = HEAP_LIMIT_MB,
  ) {
    this.worker = this.start();
  }

  private start(): Worker {
    const w = new Worker(this.workerUrl, {
      resourceLimits: { maxOldGenerationSizeMb: this.heapLimitMb },
    });
    // An idle compile thread never keeps the process alive.
    w.unref();
    // Errors are reported to the compile they end; one between compiles is not fatal.
    w.on('error', () => undefined);
    return w;
  }

  private restart(): void {
    void this.worker.terminate();
    this.worker = this.start();
  }

  compile(request: CellCompileRequest, signal?: AbortSignal): Promise<CompiledCell> {
    if (signal?.aborted) return Promise.reject(new CompileStopped('interrupted', true));
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise<CompiledCell>((resolve, reject) => {
      const finish = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      const onMessage = (done: CompileDone): void => {
        if (done.id !== id) return;
        finish();
        resolve(done.cell);
      };
      const onError = (e: Error): void => {
        finish();
        this.restart();
        const memory = (e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        reject(
          new CompileStopped(
            memory
              ? `compiling this cell needed more than ${this.heapLimitMb} MB of memory; split it into smaller cells`
              : `the compiler failed: ${e.message}`,
            false,
          ),
        );
      };
      const onExit = (): void => {
        finish();
        this.restart();
        reject(new CompileStopped('the compile thread exited', false));
      };
      const onAbort = (): void => {
        finish();
        this.restart();
        reject(new CompileStopped('interrupted', true));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal?.addEventListener('abort', onAbort);
      const job: CompileJob = { id, request };
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
