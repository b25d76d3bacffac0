import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunPlan } from '../../../engine/plan.ts';
import { RESULT_TABLES } from '../../../engine/results.ts';
import type { RunResult } from '../../../engine/results.ts';
import { run } from '../../../engine/run.ts';
import type { PrecopyPolicy, PrecopyState } from '../../../engine/vmm/policy-hook.ts';
import { cachedRun } from '../../../kernel/experiment/cached-run.ts';
import { ResultCache } from '../../../kernel/experiment/result-cache.ts';
import { run as tslabRun } from '../../../kernel/tslab.ts';
import { MiB, migration, plan, smallVm } from '../../helpers/plans.ts';

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-cached-run-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/**
 * A migration QEMU's rule never finishes (a 32 MiB hot set over a 40 MB/s link, as in
 * test/engine/vmm/policy-hook.test.ts), so a policy is asked at every sync.
 */
const hotPlan = (seed = 3): RunPlan =>
  plan({
    vm: smallVm({
      ram: 256 * MiB,
      workload: { kind: 'hotset', rate: 10_000, hotBytes: 32 * MiB, hotShare: 1 },
    }),
    migration: migration({ bandwidth: 40e6, downtimeLimitNs: 100e6 }),
    maxTimeNs: 3e9,
    seed,
  });

function tables(r: RunResult): unknown {
  return {
    provenance: r.provenance,
    ...Object.fromEntries(RESULT_TABLES.map((t) => [t, r[t].objects()])),
  };
}

let dirs = 0;
/** A fresh, empty cache. */
const freshCache = (): ResultCache => new ResultCache(join(TMP, `cache-${++dirs}`));
/** The files the last fresh cache holds. */
const storedFiles = (cache: ResultCache): string[] => {
  const dir = join(TMP, `cache-${dirs}`, cache.fingerprint);
  return existsSync(dir) ? readdirSync(dir) : [];
};

/** Runs through `cache`; `ran` is true when the engine ran (a run reports progress, a stored result does not). */
function runCounted(
  p: RunPlan,
  cache: ResultCache,
  policy?: PrecopyPolicy,
): { result: RunResult; ran: boolean } {
  let ran = false;
  const result = cachedRun(
    p,
    { ...(policy ? { policy } : {}), onProgress: () => void (ran = true) },
    cache,
  );
  return { result, ran };
}

/** Switch over at the first decision (the second sync): every literal is in the policy's own text. */
const switchAtTwo: PrecopyPolicy = {
  name: 'switch-at-2',
  afterSync: (s: PrecopyState) => (s.iteration >= 2 ? { action: 'switchover' } : undefined),
};

describe('cachedRun', () => {
  it('runs an unchanged plan once and a changed plan again', () => {
    const cache = freshCache();
    const first = runCounted(hotPlan(), cache);
    const again = runCounted(hotPlan(), cache);
    const changed = runCounted(hotPlan(4), cache);
    expect([first.ran, again.ran, changed.ran]).toEqual([true, false, true]);
    expect(tables(again.result)).toEqual(tables(first.result));
    expect(tables(first.result)).toEqual(tables(run(hotPlan())));
  });

  it('runs an unchanged policy once, with the results of the policy as given', () => {
    const cache = freshCache();
    const first = runCounted(hotPlan(), cache, switchAtTwo);
    const again = runCounted(hotPlan(), cache, switchAtTwo);
    expect([first.ran, again.ran]).toEqual([true, false]);
    const plain = run(hotPlan(), { policy: switchAtTwo });
    expect(tables(first.result)).toEqual(tables(plain));
    expect(tables(again.result)).toEqual(tables(plain));
    // The policy decided: the run is not the one without it.
    expect(tables(plain)).not.toEqual(tables(run(hotPlan())));
  });

  it('runs a policy whose text changed again, and the same text under another plan', () => {
    const cache = freshCache();
    const atThree: PrecopyPolicy = {
      name: 'switch-at-2',
      afterSync: (s: PrecopyState) => (s.iteration >= 3 ? { action: 'switchover' } : undefined),
    };
    const renamed: PrecopyPolicy = { ...switchAtTwo, name: 'switch-at-two' };
    expect(runCounted(hotPlan(), cache, switchAtTwo).ran).toBe(true);
    const three = runCounted(hotPlan(), cache, atThree);
    expect(three.ran).toBe(true);
    expect(tables(three.result)).toEqual(tables(run(hotPlan(), { policy: atThree })));
    expect(runCounted(hotPlan(), cache, renamed).ran).toBe(true);
    expect(runCounted(hotPlan(5), cache, switchAtTwo).ran).toBe(true);
    expect(runCounted(hotPlan(), cache, switchAtTwo).ran).toBe(false);
  });

  it('runs every time a policy that reads a variable outside its text, and follows the variable', () => {
    const cache = freshCache();
    let at = 2;
    const outside: PrecopyPolicy = {
      name: 'switch-at-variable',
      afterSync: (s: PrecopyState) => (s.iteration >= at ? { action: 'switchover' } : undefined),
    };
    const two = runCounted(hotPlan(), cache, outside);
    at = 3;
    const three = runCounted(hotPlan(), cache, outside);
    expect([two.ran, three.ran]).toEqual([true, true]);
    const fixedAtTwo = { ...switchAtTwo, name: outside.name };
    expect(tables(two.result)).toEqual(tables(run(hotPlan(), { policy: fixedAtTwo })));
    expect(tables(three.result)).toEqual(tables(run(hotPlan(), { policy: outside })));
    expect(tables(three.result)).not.toEqual(tables(two.result));
    expect(storedFiles(cache)).toEqual([]);
  });

  it('runs every time a policy that reads Math.random, Date or console', () => {
    const cache = freshCache();
    const reads: PrecopyPolicy[] = [
      { name: 'random', afterSync: () => (Math.random() > 2 ? { action: 'cancel' } : undefined) },
      { name: 'date', afterSync: () => (Date.now() < 0 ? { action: 'cancel' } : undefined) },
      {
        name: 'console',
        afterSync: () => (typeof console === 'undefined' ? { action: 'cancel' } : undefined),
      },
    ];
    for (const policy of reads) {
      expect(runCounted(hotPlan(), cache, policy).ran).toBe(true);
      expect(runCounted(hotPlan(), cache, policy).ran).toBe(true);
    }
    // Math without random is the policy's to use.
    const max: PrecopyPolicy = {
      name: 'max',
      afterSync: (s: PrecopyState) =>
        Math.max(s.iteration, 0) >= 2 ? { action: 'switchover' } : undefined,
    };
    expect(runCounted(hotPlan(), cache, max).ran).toBe(true);
    expect(runCounted(hotPlan(), cache, max).ran).toBe(false);
  });

  it('keeps no result of a policy that changes its own data, and leaves that data as the run did', () => {
    const cache = freshCache();
    const counting = { name: 'counting', calls: 0 };
    const stateful = Object.assign(counting, {
      afterSync(this: { calls: number }) {
        this.calls++;
      },
    }) as PrecopyPolicy & { calls: number };
    const reference = { name: 'counting', calls: 0, afterSync: stateful.afterSync };
    const plain = run(hotPlan(), { policy: reference });
    const first = runCounted(hotPlan(), cache, stateful);
    expect(first.ran).toBe(true);
    expect(stateful.calls).toBe(reference.calls);
    expect(stateful.calls).toBeGreaterThan(0);
    expect(tables(first.result)).toEqual(tables(plain));
    expect(runCounted(hotPlan(), cache, stateful).ran).toBe(true);
  });
});

describe("tslab's run", () => {
  it('is the engine run through the cache directory it is given, or none with cache: false', () => {
    const dir = join(TMP, 'tslab');
    let progress = 0;
    const onProgress = (): void => void progress++;
    tslabRun(hotPlan(), { cache: dir, onProgress });
    const afterFirst = progress;
    tslabRun(hotPlan(), { cache: dir, onProgress });
    expect(afterFirst).toBeGreaterThan(0);
    expect(progress).toBe(afterFirst);
    tslabRun(hotPlan(), { cache: false, onProgress });
    expect(progress).toBeGreaterThan(afterFirst);
  });
});
