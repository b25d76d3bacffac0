import type { RunResult } from '../../engine/results.ts';
import type { RunOptions } from '../../engine/sim/simulation.ts';
import type { IndexedPlan } from './plans.ts';

/**
 * Running plans. Every front end runs a program's plans through one of three runners
 * with the same shape: InThreadRunner (one after the other in this thread: tslab, and
 * `mmulab run --jobs 1`), WorkerRunner (on one long-lived worker thread: the Jupyter
 * kernel, whose main thread must keep answering) and PoolRunner (a piscina pool:
 * `mmulab run --jobs N`). Results are keyed by plan index, so their order never
 * depends on the runner or on which plan finished first, and a plan gives the same
 * tables on any of them (the engine is deterministic).
 */

/** A plan to run: its index (what its result is keyed by), label and plan. */
export type RunnerPlan = Pick<IndexedPlan, 'index' | 'label' | 'plan'>;

/** Simulated progress of one plan, as `run(plan, { onProgress })` reports it. */
export type PlanProgress = Parameters<NonNullable<RunOptions['onProgress']>>[0];

/** Progress of a run, the same from every runner. */
export interface RunProgress {
  /** Plans' worth of work done, fractional: 2.5 is two plans finished and half of a third. */
  done: number;
  /** Plans in the run. */
  total: number;
  /** The plan running (on a pool: the one finished last, or the first). */
  label: string;
  /** That plan's own progress, where the runner sees it (not on a pool). */
  plan?: PlanProgress;
}

export interface RunnerOptions {
  onProgress?: (progress: RunProgress) => void;
  /**
   * Aborting stops the run: finished plans keep their results, unfinished ones are
   * dropped. How soon depends on the runner (see each).
   */
  signal?: AbortSignal;
  /**
   * Called with each plan's result as soon as it finishes, before the run ends: what
   * keeps it (the result cache) then survives an interrupt or a crash of a later plan.
   */
  onResult?: (index: number, result: RunResult) => void;
}

export interface RunnerOutcome {
  /** Finished plans, by plan index. */
  results: Map<number, RunResult>;
  /** True when the signal stopped the run before every plan finished. */
  interrupted: boolean;
}

export interface PlanRunner {
  /** Run `plans`; rejects with PlanFailed when the engine rejects one. */
  run(plans: readonly RunnerPlan[], options?: RunnerOptions): Promise<RunnerOutcome>;
  /** Release the runner's threads; a closed runner runs nothing more. */
  close(): Promise<void>;
}

/**
 * The engine rejected a plan (a KVM errno or an invalid plan the language could not
 * foresee). `errorName` is the engine error's class, carried across thread
 * boundaries, where the error object itself does not survive: KvmError, PlanError,
 * SimInvariantError, or Error.
 */
export class PlanFailed extends Error {
  override readonly name = 'PlanFailed';

  constructor(
    /** The label of the plan the engine rejected. */
    readonly label: string,
    readonly errorName: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The failure of plan `label` that threw `e` in this thread. */
  static of(label: string, e: unknown): PlanFailed {
    const { name, message } = errorFields(e);
    return new PlanFailed(label, name, message, { cause: e });
  }
}

/** An error's class name and message, as plain data that crosses a thread boundary. */
export function errorFields(e: unknown): { name: string; message: string } {
  return e instanceof Error
    ? { name: e.name, message: e.message }
    : { name: 'Error', message: String(e) };
}
