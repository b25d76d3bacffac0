import { toCSV } from 'arquero';
import { afterAll, describe, expect, it } from 'vitest';
import { RESULT_TABLES } from '../../../engine/results.ts';
import type { RunResult } from '../../../engine/results.ts';
import { run } from '../../../engine/run.ts';
import { InThreadRunner } from '../../../kernel/experiment/in-thread.ts';
import { PoolRunner } from '../../../kernel/experiment/pool-runner.ts';
import { PlanFailed } from '../../../kernel/experiment/runner.ts';
import type { PlanRunner, RunProgress, RunnerPlan } from '../../../kernel/experiment/runner.ts';
import { WorkerRunner } from '../../../kernel/experiment/worker-runner.ts';
import { GiB, plan, smallVm } from '../../helpers/plans.ts';

/** Two small plans (a second or so each), indexed as a file's plans 3 and 5. */
const PLANS: RunnerPlan[] = [
  { index: 3, label: 'a/seed=1', plan: plan({ seed: 1, warmupNs: 100e6, maxTimeNs: 2e9 }) },
  { index: 5, label: 'a/seed=2', plan: plan({ seed: 2, warmupNs: 100e6, maxTimeNs: 2e9 }) },
];

/** A plan KVM rejects: the slot's guest physical address is not page-aligned. */
const REJECTED: RunnerPlan = {
  index: 0,
  label: 'bad',
  plan: plan({
    vm: smallVm({ slots: [{ name: 'ram0', gpa: 4097, size: GiB, backing: 'thp' }] }),
  }),
};

/** The class name and message of what `run` throws for `p` in this thread. */
function thrownHere(p: RunnerPlan): { name: string; message: string } {
  try {
    run(p.plan);
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error(`plan ${p.label} ran; the test needs one the engine rejects`);
}

/** Every table of a result as CSV: equal text means equal columns, rows and values. */
const csv = (r: RunResult | undefined): string[] =>
  RESULT_TABLES.map((t) => (r ? toCSV(r[t]) : 'missing'));

const RUNNERS: [string, () => PlanRunner][] = [
  ['InThreadRunner', () => new InThreadRunner()],
  [
    'WorkerRunner',
    () => new WorkerRunner(new URL('../../../kernel/jupyter/run-worker.mjs', import.meta.url)),
  ],
  ['PoolRunner', () => new PoolRunner(2)],
];

const opened: PlanRunner[] = [];
afterAll(async () => {
  await Promise.all(opened.map((r) => r.close()));
});

describe.each(RUNNERS)('%s', (_name, make) => {
  const runner = make();
  opened.push(runner);

  it('gives the engine’s results, keyed by plan index, and reports progress', async () => {
    const seen: RunProgress[] = [];
    const { results, interrupted } = await runner.run(PLANS, {
      onProgress: (p) => seen.push(p),
    });
    expect(interrupted).toBe(false);
    expect([...results.keys()].sort()).toEqual([3, 5]);
    for (const p of PLANS) expect(csv(results.get(p.index))).toEqual(csv(run(p.plan)));
    for (const p of seen) {
      expect(p.total).toBe(2);
      expect(p.done).toBeGreaterThanOrEqual(0);
      expect(p.done).toBeLessThanOrEqual(2);
      expect(PLANS.map((q) => q.label)).toContain(p.label);
    }
  });

  it('runs nothing when the signal is already aborted, and says it was interrupted', async () => {
    const { results, interrupted } = await runner.run(PLANS, { signal: AbortSignal.abort() });
    expect(results.size).toBe(0);
    expect(interrupted).toBe(true);
  });

  it('rejects with PlanFailed carrying the engine error’s class and message', async () => {
    const here = thrownHere(REJECTED);
    // Structured cloning turns an error of any other class into a plain Error.
    expect(here.name).not.toBe('Error');
    const failure = await runner.run([REJECTED, ...PLANS]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PlanFailed);
    expect(failure).toMatchObject({ label: 'bad', errorName: here.name, message: here.message });
  });

  it('runs again after a rejected plan', async () => {
    const { results } = await runner.run(PLANS.slice(0, 1));
    expect(results.size).toBe(1);
  });
});

describe('PoolRunner between runs', () => {
  it('keeps its threads from one run to the next, and starts new ones after an abort', async () => {
    const runner = new PoolRunner(2);
    try {
      await runner.run(PLANS);
      const first = runner.threadIds;
      expect(first).toHaveLength(2);
      await runner.run(PLANS);
      expect(runner.threadIds).toEqual(first);
      const stop = new AbortController();
      const aborted = runner.run(PLANS, { signal: stop.signal });
      stop.abort();
      expect((await aborted).interrupted).toBe(true);
      const { results } = await runner.run(PLANS);
      expect(results.size).toBe(2);
      expect(runner.threadIds).toHaveLength(2);
      expect(runner.threadIds.some((id) => first.includes(id))).toBe(false);
    } finally {
      await runner.close();
    }
    expect(runner.threadIds).toEqual([]);
  });
});
