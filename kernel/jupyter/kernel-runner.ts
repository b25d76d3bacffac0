import { CachingRunner } from '../experiment/caching-runner.ts';
import { PoolRunner } from '../experiment/pool-runner.ts';
import { ResultCache, defaultCacheDir } from '../experiment/result-cache.ts';
import type { PlanRunner } from '../experiment/runner.ts';
import { SessionRunner, sessionPoolThreads } from '../experiment/session-runner.ts';
import { WorkerRunner } from '../experiment/worker-runner.ts';

/**
 * Where the kernel's plans run: one plan on the simulation thread, several on a pool
 * of `MMULAB_JOBS` threads (default: the machine's cores), as `mmulab run --jobs N`;
 * results are kept in the result cache, on by default so that re-executing a notebook
 * reruns only what changed: `MMULAB_CACHE_DIR` names its directory (default
 * `$XDG_CACHE_HOME/mmulab`, else `~/.cache/mmulab`), `MMULAB_CACHE=off` turns it off.
 */

export interface KernelRunnerUrls {
  /** The simulation thread's entry (run-worker.mjs beside the kernel's main). */
  thread: URL;
  /** The pool threads' entry (plan-worker.js beside the kernel's main). */
  pool: URL;
}

/** The kernel's runner for `env` (the process environment). */
export function kernelRunner(
  urls: KernelRunnerUrls,
  env: NodeJS.ProcessEnv = process.env,
): PlanRunner {
  const runner = new SessionRunner(
    new WorkerRunner(urls.thread),
    new PoolRunner(sessionPoolThreads(env), urls.pool),
  );
  const cache = kernelCacheDir(env);
  return cache === undefined ? runner : new CachingRunner(runner, new ResultCache(cache));
}

/** The result cache's directory for `env`, or undefined when it is turned off. */
export function kernelCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  return defaultCacheDir(env);
}
