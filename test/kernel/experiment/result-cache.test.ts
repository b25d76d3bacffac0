import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import { CachingRunner } from '../../../kernel/experiment/caching-runner.ts';
import { runProgram } from '../../../kernel/experiment/experiments.ts';
import type { ProgramRun } from '../../../kernel/experiment/experiments.ts';
import { InThreadRunner } from '../../../kernel/experiment/in-thread.ts';
import { indexedPlans } from '../../../kernel/experiment/plans.ts';
import { ResultCache, userCacheDir } from '../../../kernel/experiment/result-cache.ts';
import {
  engineFingerprint,
  engineSourceFingerprint,
} from '../../../kernel/experiment/engine-fingerprint.ts';
import { RESULT_TABLES } from '../../../engine/results.ts';
import { readFileSync } from 'node:fs';

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-cache-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Two small plans (well under a second each). */
const PROGRAM = `vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }
tracking bm { dirty_log manual }
tracking rg { dirty_log ring 4096 }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
sweep tiny with [bm, rg], fast seed 1 max_time 2s`;

const compiled = compile(PROGRAM);

function tables(run: ProgramRun): unknown {
  return run.experiments.flatMap((e) =>
    e.runs.map((r) => ({
      label: r.label,
      provenance: r.result.provenance,
      ...Object.fromEntries(RESULT_TABLES.map((t) => [t, r.result[t].objects()])),
    })),
  );
}

describe('CachingRunner', () => {
  it('runs nothing the second time and gives identical tables', async () => {
    expect(compiled.ok).toBe(true);
    const dir = join(TMP, 'twice');
    const first = new CachingRunner(new InThreadRunner(), new ResultCache(dir));
    const a = await runProgram(compiled.program, PROGRAM, { runner: first });
    expect(first.ran).toBe(2);
    const second = new CachingRunner(new InThreadRunner(), new ResultCache(dir));
    const b = await runProgram(compiled.program, PROGRAM, { runner: second });
    expect(second.ran).toBe(0);
    expect(tables(b)).toEqual(tables(a));
  });

  it('stores each result when its plan finishes, so an interrupted run keeps it', async () => {
    const dir = join(TMP, 'as-they-finish');
    const cache = new ResultCache(dir);
    const plans = indexedPlans(compiled.program);
    const controller = new AbortController();
    let storedWhileRunning = false;
    const run = await runProgram(compiled.program, PROGRAM, {
      runner: new CachingRunner(new InThreadRunner(), cache),
      signal: controller.signal,
      onProgress: ({ done }) => {
        // The second plan is running: the first is already in the cache; stop here.
        if (done > 1 && !controller.signal.aborted) {
          storedWhileRunning = cache.get(plans[0]!.plan) !== undefined;
          controller.abort();
        }
      },
    });
    expect(run.interrupted).toBe(true);
    expect(storedWhileRunning).toBe(true);
    expect(cache.get(plans[1]!.plan)).toBeUndefined();
  });

  it('runs only the plans it has not stored', async () => {
    const dir = join(TMP, 'partial');
    const one = compile(PROGRAM.replace('[bm, rg]', '[bm]'));
    await runProgram(one.program, PROGRAM, {
      runner: new CachingRunner(new InThreadRunner(), new ResultCache(dir)),
    });
    const runner = new CachingRunner(new InThreadRunner(), new ResultCache(dir));
    await runProgram(compiled.program, PROGRAM, { runner });
    expect(runner.ran).toBe(1);
  });

  it('keys by the engine: another fingerprint finds nothing stored', async () => {
    const dir = join(TMP, 'engine');
    await runProgram(compiled.program, PROGRAM, {
      runner: new CachingRunner(new InThreadRunner(), new ResultCache(dir)),
    });
    const other = new CachingRunner(new InThreadRunner(), new ResultCache(dir, 'another-engine'));
    await runProgram(compiled.program, PROGRAM, { runner: other });
    expect(other.ran).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['another-engine', engineFingerprint()].sort());
  });

  it('treats an unreadable file as absent and runs the plan again', async () => {
    const dir = join(TMP, 'broken');
    const cache = new ResultCache(dir);
    await runProgram(compiled.program, PROGRAM, {
      runner: new CachingRunner(new InThreadRunner(), cache),
    });
    for (const f of readdirSync(join(dir, cache.fingerprint)))
      writeFileSync(join(dir, cache.fingerprint, f), '{');
    const runner = new CachingRunner(new InThreadRunner(), new ResultCache(dir));
    await runProgram(compiled.program, PROGRAM, { runner });
    expect(runner.ran).toBe(2);
  });
});

describe('engineFingerprint', () => {
  it('is the version and the hash of the engine sources, the same the bundles carry', () => {
    const hash = engineSourceFingerprint(join(import.meta.dirname, '../../../engine'));
    expect(engineFingerprint()).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+.*-${hash}$`));
    const bundle = readFileSync(join(import.meta.dirname, '../../../dist/cli.mjs'), 'utf8');
    expect(bundle).toContain(`"${hash}"`);
  });
});

describe('userCacheDir', () => {
  it('follows XDG_CACHE_HOME, else ~/.cache', () => {
    expect(userCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/mmulab');
    expect(userCacheDir({})).toMatch(/\.cache\/mmulab$/);
  });
});
