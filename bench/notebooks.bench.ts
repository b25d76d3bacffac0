/**
 * The labs as a reader runs them: each notebook executed by nbconvert through the real
 * kernels, once with an empty result cache (what a first reader waits for) and once
 * more with the cache the first run filled (re-executing an unchanged notebook). Also
 * the number of plans each lab runs, from its mmulab cells. The goals are the speed
 * issue's: each lab under 15 s, all of them under 60 s, a re-execution in seconds.
 * Beside each wall time, the CPU time of the whole tree (nbconvert, the kernel and its
 * threads): on a shared machine the wall time follows the load, the CPU time far less.
 * Needs Debian's jupyter-nbconvert (what .ci/run installs); without it, says so.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../dsl/compile.ts';
import { nodeFileLoader } from '../dsl/node-loader.ts';
import { indexedPlans } from '../kernel/experiment/plans.ts';
import type { ExecutionOutcome } from '../scripts/notebooks.ts';
import {
  NBCONVERT,
  executeNotebook,
  mmuText,
  notebookNames,
  outputProblems,
  prepareKernelspecs,
  readSource,
} from '../scripts/notebooks.ts';
import { childrenCpuS, row } from './util.ts';

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
    let coldCpu = 0;
    const cpuAtStart = childrenCpuS();
    // CPU seconds of nbconvert, its kernel and the kernel's threads: under load the wall
    // time grows with the other jobs, the CPU time much less.
    const cpuOf = (run: () => ExecutionOutcome): { outcome: ExecutionOutcome; cpu: number } => {
      const before = childrenCpuS() ?? NaN;
      const outcome = run();
      return { outcome, cpu: (childrenCpuS() ?? NaN) - before };
    };
    const cpuText = (s: number): string => (Number.isNaN(s) ? '' : ` (CPU ${s.toFixed(1)} s)`);
    for (const name of notebookNames()) {
      const first = cpuOf(() =>
        executeNotebook(name, env, { outDir: join(work, 'cold'), timeoutS: 600 }),
      );
      const again = cpuOf(() =>
        executeNotebook(name, env, { outDir: join(work, 'warm'), timeoutS: 600 }),
      );
      cold += first.outcome.seconds;
      warm += again.outcome.seconds;
      coldCpu += first.cpu;
      // nbconvert runs with --allow-errors: a failing expect is an error output, not a
      // failed run. A lab made fast by breaking its conclusions must not look fast.
      const problems = [first.outcome, again.outcome].flatMap((o) =>
        existsSync(o.executedPath)
          ? outputProblems(JSON.parse(readFileSync(o.executedPath, 'utf8')) as unknown)
          : [],
      ).length;
      const failed =
        (first.outcome.ok && again.outcome.ok ? '' : ' (nbconvert failed)') +
        (problems > 0 ? ` (${problems} error outputs)` : '');
      row(
        `${name} (${plansOf(name)})`,
        `${first.outcome.seconds.toFixed(1)} s${cpuText(first.cpu)}, again ${again.outcome.seconds.toFixed(1)} s${cpuText(again.cpu)} (goal < ${LAB_GOAL_S} s)${failed}`,
      );
    }
    row(
      'all labs, empty cache',
      `${cold.toFixed(1)} s${cpuText(coldCpu)} (goal < ${ALL_GOAL_S} s)`,
    );
    row('all labs, re-executed with the cache', `${warm.toFixed(1)} s`);
    if (cpuAtStart === undefined) row('  (CPU times need Linux /proc)', '');
    row('load average after measuring (1 min)', loadavg()[0]!.toFixed(1));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
