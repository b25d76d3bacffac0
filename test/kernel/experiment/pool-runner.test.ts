import { toCSV } from 'arquero';
import { describe, expect, it } from 'vitest';
import { RESULT_TABLES } from '../../../engine/results.ts';
import type { RunResult } from '../../../engine/results.ts';
import { InThreadRunner } from '../../../kernel/experiment/in-thread.ts';
import { byDecreasingCost } from '../../../kernel/experiment/plan-cost.ts';
import { PoolRunner } from '../../../kernel/experiment/pool-runner.ts';
import { PlanFailed } from '../../../kernel/experiment/runner.ts';
import type { RunnerPlan } from '../../../kernel/experiment/runner.ts';
import { MiB, plan, smallVm } from '../../helpers/plans.ts';

/** Hot sets of a sweep whose estimated costs rise and fall in plan order. */
const SWEEP_HOT_MIB = [16, 256, 4, 64];
/** The sweep: plans indexed from 10, as a program's later plans are. */
const SWEEP: RunnerPlan[] = SWEEP_HOT_MIB.map((hot, k) => ({
  index: 10 + k,
  label: `hot ${hot} MiB`,
  plan: plan({
    vm: smallVm({
      workload: { kind: 'hotset', rate: 20_000, hotBytes: hot * MiB, hotShare: 0.95 },
    }),
    seed: k + 1,
    warmupNs: 100e6,
    maxTimeNs: 2e9,
  }),
}));
/** Their indices from the heaviest estimate down. */
const SWEEP_BY_COST = [11, 13, 10, 12];

/** Every table of a result as CSV: equal text means equal columns, rows and values. */
const csv = (r: RunResult | undefined): string[] =>
  RESULT_TABLES.map((t) => (r ? toCSV(r[t]) : 'missing'));

/** The worker that answers with its thread's `process.execArgv` instead of a result. */
const REPORTER = new URL('./fixtures/exec-argv-worker.mjs', import.meta.url);

/** The Node options of the thread `runner` runs a plan on. */
async function threadExecArgv(runner: PoolRunner): Promise<string[]> {
  try {
    const failure = await runner.run([{ index: 0, label: 'p', plan: plan() }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(failure instanceof PlanFailed)) throw new Error('the reporting worker did not answer');
    return JSON.parse(failure.message) as string[];
  } finally {
    await runner.close();
  }
}

describe("a pool's threads", () => {
  it('start with the Node options they are given', async () => {
    expect(await threadExecArgv(new PoolRunner(1, REPORTER, []))).toEqual([]);
    expect(await threadExecArgv(new PoolRunner(1, REPORTER, ['--no-warnings']))).toEqual([
      '--no-warnings',
    ]);
  });

  it("start with this process's when given none", async () => {
    // vitest starts its forks with options (--conditions ...): inheriting them shows.
    expect(process.execArgv).not.toEqual([]);
    expect(await threadExecArgv(new PoolRunner(1, REPORTER))).toEqual(process.execArgv);
  });
});

describe('a pool running a sweep', () => {
  it('starts its plans in decreasing order of estimated cost', async () => {
    expect(byDecreasingCost(SWEEP).map((k) => SWEEP[k].index)).toEqual(SWEEP_BY_COST);
    // On one thread the plans finish in the order they start.
    const runner = new PoolRunner(1);
    const finished: number[] = [];
    try {
      await runner.run(SWEEP, { onResult: (index) => finished.push(index) });
    } finally {
      await runner.close();
    }
    expect(finished).toEqual(SWEEP_BY_COST);
  });

  it('returns the tables one thread gives, in plan order, whatever the order they ran in', async () => {
    const one = await new InThreadRunner().run(SWEEP);
    const runner = new PoolRunner(2);
    try {
      const { results } = await runner.run(SWEEP);
      expect([...results.keys()]).toEqual(SWEEP.map((p) => p.index));
      expect([...one.results.keys()]).toEqual(SWEEP.map((p) => p.index));
      for (const p of SWEEP)
        expect(csv(results.get(p.index))).toEqual(csv(one.results.get(p.index)));
    } finally {
      await runner.close();
    }
  });
});
