/**
 * The labs as a reader runs them: each notebook executed by nbconvert through the real
 * kernels, once with an empty result cache (what a first reader waits for) and once
 * more with the cache the first run filled (re-executing an unchanged notebook). Also
 * the number of plans each lab runs, from its mmulab cells. The goals are the speed
 * issue's: each lab under 15 s, all of them under 60 s, a re-execution in seconds.
 * Needs Debian's jupyter-nbconvert (what .ci/run installs); without it, says so.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../dsl/compile.ts';
import { nodeFileLoader } from '../dsl/node-loader.ts';
import { indexedPlans } from '../kernel/experiment/plans.ts';
import {
  NBCONVERT,
  executeNotebook,
  mmuText,
  notebookNames,
  prepareKernelspecs,
  readSource,
} from '../scripts/notebooks.ts';
import { row } from './util.ts';

/** The speed issue's goals, seconds. */
const LAB_GOAL_S = 15;
const ALL_GOAL_S = 60;

function plansOf(name: string): string {
  const src = readSource(name);
  if (src.kernel !== 'mmulab') return 'tslab';
  const { program } = compile(mmuText(src), { file: `${name}.mmu`, load: nodeFileLoader });
  return `${indexedPlans(program).length} plans`;
}

if (!existsSync(NBCONVERT)) {
  row('notebooks', `skipped: ${NBCONVERT} is not installed`);
} else {
  const work = mkdtempSync(join(tmpdir(), 'mmulab-bench-notebooks-'));
  try {
    const env = {
      ...prepareKernelspecs(join(work, 'jupyter')),
      // The kernel's result cache lives under XDG_CACHE_HOME: empty for the first run.
      XDG_CACHE_HOME: join(work, 'cache'),
    };
    row('load average while measuring (1 min)', loadavg()[0]!.toFixed(1));
    let cold = 0;
    let warm = 0;
    for (const name of notebookNames()) {
      const first = executeNotebook(name, env, { outDir: join(work, 'cold'), timeoutS: 600 });
      const again = executeNotebook(name, env, { outDir: join(work, 'warm'), timeoutS: 600 });
      cold += first.seconds;
      warm += again.seconds;
      const failed = first.ok && again.ok ? '' : ' (nbconvert failed)';
      row(
        `${name} (${plansOf(name)})`,
        `${first.seconds.toFixed(1)} s, again ${again.seconds.toFixed(1)} s (goal < ${LAB_GOAL_S} s)${failed}`,
      );
    }
    row('all labs, empty cache', `${cold.toFixed(1)} s (goal < ${ALL_GOAL_S} s)`);
    row('all labs, re-executed with the cache', `${warm.toFixed(1)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
