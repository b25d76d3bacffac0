import { describe, expect, it } from 'vitest';
import { PoolRunner } from '../../../kernel/experiment/pool-runner.ts';
import { PlanFailed } from '../../../kernel/experiment/runner.ts';
import { plan } from '../../helpers/plans.ts';

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
