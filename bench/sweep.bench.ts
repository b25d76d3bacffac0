/**
 * A researcher's sweep: 10 configurations of a 64 GiB, 4-vCPU VM (five ways of
 * tracking x two hot-set sizes) x 3 seeds, 30 plans, run the way `mmulab run --jobs N`
 * runs them: on one thread (--jobs 1) and on a pool of worker threads as many as the
 * machine has cores, in the same process one after the other. Prints plans per
 * minute for each and the speedup (the figure: on a shared machine the absolute
 * rates move with the load, their ratio much less). Both runs must give the same
 * tables, plan by plan (the engine is deterministic on any runner).
 *
 * The pool runs the bundled worker the command runs (dist/plan-worker.js, rebuilt
 * first if a source is newer), not the sources through tsx: a thread that loads tsx
 * and transpiles the engine takes ~1 s of CPU before its first plan, which the
 * command never pays (two threads and a short plan each: 2.6 s of CPU through tsx,
 * 0.3 s from the bundle). The plans of --jobs 1 run bundled likewise (`npm run bench`
 * bundles this file, as dist/cli.mjs bundles the command): through tsx they ran ~20 %
 * slower than the pool's, which overstated the speedup by as much. Each figure comes with the CPU time the process used (every
 * thread, V8's compiler and garbage collector included) and the load average at its
 * end: a speedup short of N with the same CPU time at both is a machine whose cores
 * were busy with other work; CPU time growing with N is work the threads add.
 */
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { RunPlan, TrackingPolicy } from '../engine/plan.ts';
import { createHash } from 'node:crypto';
import { RESULT_TABLES } from '../engine/results.ts';
import type { RunResult } from '../engine/results.ts';
import { InThreadRunner } from '../kernel/experiment/in-thread.ts';
import { PoolRunner } from '../kernel/experiment/pool-runner.ts';
import type { PlanRunner, RunnerPlan } from '../kernel/experiment/runner.ts';
import { GiB, row, threadCpuS } from './util.ts';

const TRACKING: readonly Partial<TrackingPolicy>[] = [
  { dirtyLog: 'bitmap' },
  { dirtyLog: 'bitmap-manual' },
  { dirtyLog: 'bitmap-manual', pml: false },
  { dirtyLog: 'bitmap-initially-set' },
  { dirtyLog: 'ring', ringEntries: 4096 },
];
const HOT_GIB = [1, 4];
const SEEDS = [1, 2, 3];
const cores = Number(process.env.MMULAB_BENCH_JOBS ?? availableParallelism());

function sweepPlan(tracking: Partial<TrackingPolicy>, hotGiB: number, seed: number): RunPlan {
  return {
    vm: {
      name: 'vm-64g',
      arch: 'x86_64',
      vcpus: 4,
      slots: [{ name: 'ram0', gpa: 4 * GiB, size: 64 * GiB, backing: 'thp' }],
      workloads: [{ kind: 'hotset', rate: 50_000, hotBytes: hotGiB * GiB, hotShare: 0.95 }],
      prefill: 0.25,
    },
    tracking: { name: trackingName(tracking), dirtyLog: 'bitmap', ...tracking },
    migration: {
      name: '25g',
      bandwidth: 25e9 / 8,
      downtimeLimitNs: 300e6,
      maxIterations: 10,
      onMaxIterations: 'force',
    },
    seed,
    warmupNs: 500e6,
    maxTimeNs: 120e9,
  };
}

function trackingName(t: Partial<TrackingPolicy>): string {
  return `${t.dirtyLog}${t.pml === false ? '-no-pml' : ''}`;
}

const plans: RunnerPlan[] = [];
for (const tracking of TRACKING) {
  for (const hot of HOT_GIB) {
    for (const seed of SEEDS) {
      plans.push({
        index: plans.length,
        label: `${trackingName(tracking)}, ${hot} GiB hot, seed ${seed}`,
        plan: sweepPlan(tracking, hot, seed),
      });
    }
  }
}

/** The pool's worker as `mmulab run --jobs N` starts it (bin/mmulab.js builds it likewise). */
async function bundledPlanWorker(): Promise<URL> {
  // Bundled by `npm run bench`, this file lies outside the repository: run.ts names it.
  const env = process.env.MMULAB_BENCH_ROOT;
  const root = env ? pathToFileURL(`${env}/`) : new URL('../', import.meta.url);
  const bundle = (await import(new URL('bin/bundle.js', root).href)) as {
    ensureBuilt: (outputs: string[]) => Promise<void>;
  };
  await bundle.ensureBuilt(['dist/plan-worker.js']);
  return new URL('dist/plan-worker.js', root);
}

/** CPU seconds (user + system) of this process, every thread, since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1e6;
};

/** A sweep's wall ms, CPU seconds (every thread, and this one) and tables hashed by plan index. */
interface Sweep {
  ms: number;
  cpuS: number;
  /** This thread's CPU seconds (undefined without /proc). */
  mainCpuS: number | undefined;
  hashes: string[];
}

/** Runs the sweep. */
async function sweep(runner: PlanRunner): Promise<Sweep> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = threadCpuS();
  const { results } = await runner.run(plans);
  const ms = performance.now() - t0;
  const cpuS = cpuSince(c0);
  const m1 = threadCpuS();
  const mainCpuS = m0 === undefined || m1 === undefined ? undefined : m1 - m0;
  await runner.close();
  const hashes = plans.map(({ index }) => {
    const r = results.get(index) as RunResult | undefined;
    if (!r) throw new Error(`sweep: plan ${index} has no result`);
    const h = createHash('sha256');
    for (const t of RESULT_TABLES) h.update(JSON.stringify(r[t].objects()));
    return h.digest('hex');
  });
  return { ms, cpuS, mainCpuS, hashes };
}

const perMinute = (ms: number): number => plans.length / (ms / 60e3);
const figures = ({ ms, cpuS }: { ms: number; cpuS: number }): string =>
  `${(ms / 1e3).toFixed(1)} s, ${perMinute(ms).toFixed(1)} plans/min, ` +
  `CPU ${cpuS.toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)}`;
const worker = await bundledPlanWorker();
const one = await sweep(new InThreadRunner());
row(`sweep of ${plans.length} plans (64 GiB, 4 vCPUs): --jobs 1`, figures(one));
// No Node options, as the command's threads have none: this process's --import tsx
// would load tsx in each thread, and Node refuses --expose-gc in a thread's list.
const many = await sweep(new PoolRunner(cores, worker, []));
row(`  --jobs ${cores} (the machine's cores)`, figures(many));
row(`  speedup at ${cores} jobs`, `${(one.ms / many.ms).toFixed(2)}x (ideal ${cores}x)`);
row(
  `  CPU time at ${cores} jobs / at 1`,
  `${(many.cpuS / one.cpuS).toFixed(2)}x (above 1: work the threads add)`,
);
// At --jobs 1 the plans run on this thread and V8's compiler and collector use the core
// it leaves idle; at --jobs N they share the N cores with the plans. With idle cores
// the run on one thread takes about this thread's CPU time, and N threads at least
// their CPU time / N: the speedup a quiet machine would show is at most the ratio.
if (one.mainCpuS !== undefined)
  row(
    `  most idle cores allow: ${cores} x main thread / all CPU`,
    `${((cores * one.mainCpuS) / many.cpuS).toFixed(2)}x (--jobs 1's main thread ${one.mainCpuS.toFixed(1)} s)`,
  );
const differ = plans.filter((_, k) => one.hashes[k] !== many.hashes[k]).length;
row('  plans whose tables differ between the two', `${differ} (must be 0)`);
if (differ > 0) process.exitCode = 1;
