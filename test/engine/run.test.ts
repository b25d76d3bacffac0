import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toCSV } from 'arquero';
import { describe, expect, it } from 'vitest';
import { threadChunkPool } from '../../engine/guest/chunk-pool.ts';
import type { RunPlan } from '../../engine/plan.ts';
import { RESULT_TABLES } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';
import { GiB, MiB, plan, smallVm, tracking } from '../helpers/plans.ts';

// ---- tunables ----
/** A guest of several 1 GiB chunks of per-page state, every one written (a tenth is cold). */
const SAME = plan({
  vm: smallVm({
    ram: 4 * GiB,
    workload: { kind: 'hotset', rate: 40_000, hotBytes: 256 * MiB, hotShare: 0.9 },
  }),
  seed: 3,
  warmupNs: 200e6,
  maxTimeNs: 3e9,
});
/** Another plan before it: a larger guest, other tracking, that leaves its own values behind. */
const OTHER = plan({
  vm: smallVm({ ram: 6 * GiB, prefill: 0.6 }),
  tracking: tracking({ dirtyLog: 'ring', ringEntries: 1024 }),
  seed: 9,
  warmupNs: 200e6,
  maxTimeNs: 3e9,
});
/** The fixture that runs one plan in a new process: no chunk of an earlier run there. */
const FRESH_PROCESS = new URL('./fixtures/tables-of-plan.ts', import.meta.url);

/** Every table of a result as CSV: equal text means equal columns, rows and values. */
const tables = (r: RunResult): string[] => RESULT_TABLES.map((t) => toCSV(r[t]));

async function tablesInFreshProcess(p: RunPlan): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', FRESH_PROCESS.pathname, JSON.stringify(p)],
    { maxBuffer: 64 * MiB },
  );
  return JSON.parse(stdout) as string[];
}

describe('run, plan after plan in one thread', () => {
  it('gives the tables a fresh process gives, though later runs reuse its chunks', async () => {
    const fresh = tablesInFreshProcess(SAME);
    const first = run(SAME);
    const firstTables = tables(first);
    run(OTHER);
    // The next run takes the chunks OTHER left, holding OTHER's generations.
    expect(threadChunkPool.bytes).toBeGreaterThan(0);
    const again = tables(run(SAME));
    expect(again).toEqual(await fresh);
    expect(firstTables).toEqual(await fresh);
    // The first result refers to no chunk: the runs after it changed none of its values.
    expect(tables(first)).toEqual(firstTables);
  }, 60_000);
});
