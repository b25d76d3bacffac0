import { toCSV } from 'arquero';
import { describe, expect, it } from 'vitest';
import { RESULT_TABLES } from '../../engine/results.ts';
import { InThreadRunner } from '../../kernel/experiment/in-thread.ts';
import type { ExperimentRun } from '../../kernel/experiment/experiments.ts';
import type { RunProgress } from '../../kernel/experiment/runner.ts';
import { mmu } from '../../kernel/tslab.ts';

/**
 * Where tslab's `mmu()` runs a cell's plans when it names no runner: a sweep on a pool
 * of worker threads (as the mmulab kernel and `mmulab run --jobs N`), one plan in this
 * thread. A pool reports a sweep's progress without the running plan's own (it sees
 * the workers' shares only); this thread reports each plan's.
 */

const DEFINITIONS = `vm small {
  vcpus 2
  slot ram0 at 0 size 256MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 32MiB, hot 90% }
}
tracking ring { dirty_log ring 4096 }
migration m { bandwidth 1Gbit/s, downtime 300ms }
`;
const SWEEP = 'sweep small with ring, m seeds 1..3 warmup 200ms max_time 5s';
const ONE = 'run small with ring, m seed 1 warmup 200ms max_time 5s';

/** Every table of every run, as CSV: equal text means equal columns, rows and values. */
const tables = (experiments: readonly ExperimentRun[]): string[] =>
  experiments.flatMap((e) =>
    e.runs.flatMap((r) => RESULT_TABLES.map((t) => `${r.label}\n${toCSV(r.result[t])}`)),
  );

describe("tslab's mmu() without a runner", () => {
  it('runs a sweep on a pool of worker threads, with the tables of one thread', async () => {
    const seen: RunProgress[] = [];
    const pooled = await mmu(`${DEFINITIONS}${SWEEP}`, {
      display: false,
      cache: false,
      onProgress: (p) => seen.push(p),
    });
    const here = await mmu(SWEEP, { display: false, cache: false, runner: new InThreadRunner() });
    expect(pooled[0]?.runs).toHaveLength(3);
    expect(tables(pooled)).toEqual(tables(here));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((p) => p.plan !== undefined)).toEqual([]);
  });

  it('runs a single plan in this thread', async () => {
    const seen: RunProgress[] = [];
    await mmu(`${DEFINITIONS}${ONE}`, {
      display: false,
      cache: false,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((p) => p.plan === undefined)).toEqual([]);
  });
});
