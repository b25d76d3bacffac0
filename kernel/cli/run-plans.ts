/**
 * How the commands that run a file (`run`, `figure`) run its plans: in this thread or
 * on a pool of `--jobs` threads, behind the `--cache` when one is given, with a
 * progress bar on stderr and a plan the engine rejects reported by the command.
 */
import { resolve } from 'node:path';
import type { CompiledProgram } from '../../dsl/compile.ts';
import { CachingRunner } from '../experiment/caching-runner.ts';
import { runExperiments } from '../experiment/experiments.ts';
import type { ProgramRun } from '../experiment/experiments.ts';
import { InThreadRunner } from '../experiment/in-thread.ts';
import type { indexedPlans } from '../experiment/plans.ts';
import { PoolRunner } from '../experiment/pool-runner.ts';
import { ResultCache } from '../experiment/result-cache.ts';
import type { PlanRunner } from '../experiment/runner.ts';
import type { CliIo } from './io.ts';
import { ProgressBar } from './progress.ts';

type Plans = ReturnType<typeof indexedPlans>;

/** The runner `--jobs` and `--cache` ask for. One plan, or one job, gains nothing from threads. */
export function cliRunner(
  io: CliIo,
  plans: Plans,
  jobs: number,
  cache: string | undefined,
): PlanRunner {
  const threads: PlanRunner =
    jobs <= 1 || plans.length <= 1 ? new InThreadRunner() : new PoolRunner(jobs);
  return cache === undefined
    ? threads
    : new CachingRunner(threads, new ResultCache(resolve(io.cwd, cache)));
}

/**
 * Runs the plans with a progress bar, then closes the runner. A plan the engine
 * rejects (the checker should have) is reported as `COMMAND: the engine rejected a
 * plan: ...` and gives undefined.
 */
export async function runWithProgress(
  command: string,
  io: CliIo,
  program: CompiledProgram,
  text: string,
  plans: Plans,
  runner: PlanRunner,
  signal?: AbortSignal,
): Promise<ProgramRun | undefined> {
  const progress = new ProgressBar(io.stderr, plans.length);
  try {
    const ran = await runExperiments(program, text, plans, runner, {
      ...(signal === undefined ? {} : { signal }),
      onProgress: ({ done, label, plan }) => {
        const k = Math.min(Math.floor(done), plans.length - 1);
        // A pool reports no plan's own state: the bar says it is running.
        const { state, timeS } = plan ?? { state: 'running', timeS: 0 };
        progress.update(k, label, { state, timeS, fraction: done - k });
      },
    });
    progress.clear();
    return ran;
  } catch (e) {
    progress.clear();
    io.stderr.write(`${command}: the engine rejected a plan: ${(e as Error).message}\n`);
    return undefined;
  } finally {
    await runner.close();
  }
}
