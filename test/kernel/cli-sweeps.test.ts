import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from '@uwdata/flechette';
import * as aq from 'arquero';
import { afterAll, describe, expect, it } from 'vitest';
import { MMULAB_BIN as BIN, runMmulab } from '../helpers/cli.ts';
import type { CliOutcome } from '../helpers/cli.ts';

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-sweeps-'));

/** 7 plans of well under a second each: a 2 x 3 sweep, then a single run. */
const SWEEP = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 128MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 16MiB, hot 90% }
}
tracking bitmap { dirty_log manual }
tracking ring { dirty_log ring 4096 }
migration m { bandwidth 1Gbit/s, downtime 300ms }
sweep tiny with [bitmap, ring], m seeds 1..3 warmup 200ms max_time 3s
run tiny with ring, m seed 9 warmup 200ms max_time 3s
table summary
table iterations
`;
const PLANS = 7;

/** Enough plans that an interrupt after a couple of seconds lands mid-sweep. */
const LONG = SWEEP.replace('seeds 1..3', 'seeds 1..200');

writeFileSync(join(TMP, 'sweep.mmu'), SWEEP);
writeFileSync(join(TMP, 'long.mmu'), LONG);

const mmulab = (...args: string[]): Promise<CliOutcome> => runMmulab(TMP, ...args);

/** The `<table>.arrow` files of a directory, by name, as bytes. */
function arrowFiles(dir: string): Map<string, Buffer> {
  const files = readdirSync(join(TMP, dir)).filter((f) => f.endsWith('.arrow'));
  return new Map(files.sort().map((f) => [f, readFileSync(join(TMP, dir, f))]));
}

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe.concurrent('mmulab run --jobs', () => {
  it('prints the same tables, in plan order, on worker threads as in-process', async () => {
    const [serial, parallel] = await Promise.all([
      mmulab('run', 'sweep.mmu', '--jobs', '1'),
      mmulab('run', 'sweep.mmu', '--jobs', '2'),
    ]);
    expect(serial.code, serial.stderr).toBe(0);
    expect(parallel.code, parallel.stderr).toBe(0);
    expect(parallel.stdout).toBe(serial.stdout);
    // The labels of each summary table's first block of columns, in the order printed.
    const labels = serial.stdout
      .split(/^summary:\n/m)
      .slice(1)
      .flatMap((s) => [...s.split('\n\n')[0].matchAll(/^(tiny\/\S+)/gm)].map((m) => m[1]));
    expect(labels).toEqual([
      'tiny/bitmap/m/seed=1',
      'tiny/bitmap/m/seed=2',
      'tiny/bitmap/m/seed=3',
      'tiny/ring/m/seed=1',
      'tiny/ring/m/seed=2',
      'tiny/ring/m/seed=3',
      'tiny/ring/m/seed=9',
    ]);
  });

  it('exits 2 on a --jobs that is not a whole number >= 1', async () => {
    const r = await mmulab('run', 'sweep.mmu', '--jobs', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--jobs needs a whole number from 1 to 1024, got '0'");
  });
});

describe.concurrent('mmulab run --shard and mmulab merge', () => {
  it('gives the same tables from 3 merged shards as from one unsharded run, once each', async () => {
    const whole = await mmulab('run', 'sweep.mmu', '--arrow', 'whole', '--jobs', '1');
    expect(whole.code, whole.stderr).toBe(0);
    const shards = await Promise.all(
      [1, 2, 3].map((i) => mmulab('run', 'sweep.mmu', '--shard', `${i}/3`, '--arrow', `s${i}`)),
    );
    for (const s of shards) expect(s.code, s.stderr).toBe(0);
    expect(shards[0].stderr).toContain('shard 1/3: 3 of 7 plan(s)');
    const [m1, m3] = await Promise.all([
      mmulab('merge', 'whole', '--out', 'merged1'),
      mmulab('merge', 's3', 's1', 's2', '--out', 'merged3'),
    ]);
    expect(m1.code, m1.stderr).toBe(0);
    expect(m3.code, m3.stderr).toBe(0);
    const [whole1, one, three] = [
      arrowFiles('whole'),
      arrowFiles('merged1'),
      arrowFiles('merged3'),
    ];
    expect([...three.keys()]).toEqual([
      'events.arrow',
      'iterations.arrow',
      'stale.arrow',
      'summary.arrow',
      'timeline.arrow',
      'vcpu_stats.arrow',
    ]);
    // Byte for byte: the split leaves no trace in the merged files.
    for (const [name, bytes] of three) {
      expect(bytes.equals(one.get(name)!), name).toBe(true);
      expect(bytes.equals(whole1.get(name)!), name).toBe(true);
    }

    const summary = tableFromIPC(three.get('summary.arrow')!);
    const rows = aq.fromArrow(three.get('summary.arrow')!).objects() as Record<string, unknown>[];
    expect(rows.map((r) => r.plan_index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rows[3].label).toBe('tiny/ring/m/seed=1');
    const provenance = JSON.parse(summary.schema.metadata!.get('mmulab.provenance')!) as {
      plan_index: number;
      plan_hash: string;
      seed: string;
    }[];
    expect(provenance).toHaveLength(PLANS);
    expect(provenance[3]).toMatchObject({ plan_index: 3, seed: '1', cost_unit: 'ns' });
    expect(provenance[3].plan_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(summary.schema.metadata!.get('mmulab.source')).toBe('sweep.mmu');
    // A shard's own file says which shard it is, and holds only its plans.
    const part = tableFromIPC(arrowFiles('s2').get('summary.arrow')!);
    expect(part.schema.metadata!.get('mmulab.shard')).toBe('2/3');
    expect(part.getChild('plan_index')!.toArray()).toEqual(new Int8Array([1, 4]));

    // A shard given twice is refused (exit 1), not counted twice.
    const twice = await mmulab('merge', 's2', 's2', '--out', 'bad');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/plan 1 \(tiny\/bitmap\/m\/seed=2\) is in two \w+ files/);
    // Seven CLI processes, beside the other tests of this file running concurrently: on
    // two loaded cores they took over the default 60 s twice (not a speed assertion).
  }, 240_000);

  it.each(['0/3', '4/3', 'x'])(
    'exits 2 on --shard %s and shows the form it needs',
    async (shard) => {
      const r = await mmulab('run', 'sweep.mmu', `--shard=${shard}`);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `mmulab run: --shard needs i/N with 1 <= i <= N, or auto, got '${shard}'; for example --shard 2/4`,
      );
    },
  );

  it('merge: exits 2 without --out, and on a directory that does not exist', async () => {
    const noOut = await mmulab('merge', '.');
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('missing --out DIR');
    const missing = await mmulab('merge', 'nowhere', '--out', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("'nowhere' is not a directory");
  });

  it('documents the new options in --help', async () => {
    const [run, merge, main] = await Promise.all([
      mmulab('run', '--help'),
      mmulab('merge', '--help'),
      mmulab('--help'),
    ]);
    for (const flag of ['--jobs N', '--shard i/N', '--arrow DIR', 'exit code is 130'])
      expect(run.stdout).toContain(flag);
    expect(merge.code).toBe(0);
    expect(merge.stdout).toContain('usage: mmulab merge DIR... --out DIR');
    expect(main.stdout).toContain('merge DIR...');
  });
});

/**
 * Resolves once a plan's result is in the cache directory `dir`: the run is under way,
 * so the command's SIGINT handler is installed. (Polling /proc/PID/status for a caught
 * SIGINT does not tell: Node itself catches SIGINT from the start, to restore the
 * terminal before it dies of it, so a signal sent during a slow start-up killed the
 * command on a loaded machine.)
 */
async function untilAPlanFinished(dir: string): Promise<void> {
  const results = (): number => {
    try {
      return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'))
        .length;
    } catch {
      return 0;
    }
  };
  while (results() === 0) await new Promise((r) => setTimeout(r, 50));
}

describe('mmulab run interrupted', () => {
  it('on SIGINT stops the workers, prints the finished plans and exits 130', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', 'long.mmu', '--jobs', '2', '--cache', 'interrupted-cache'],
      { cwd: TMP },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    // Only once a plan has finished (the run is under way), far from the 400 plans' end.
    await untilAPlanFinished(join(TMP, 'interrupted-cache'));
    child.kill('SIGINT');
    expect(await code).toBe(130);
    const m = /interrupted; (\d+) of 401 plan\(s\) finished/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const finished = Number(m![1]);
    expect(finished).toBeLessThan(401);
    // The finished plans are the ones printed: a line each, or past four one line that
    // counts them.
    const printed =
      Number(/^# (\d+) plans, mmulab/m.exec(stdout)?.[1] ?? 0) ||
      [...stdout.matchAll(/^# \S+: plan_hash/gm)].length;
    expect(printed).toBe(finished);
  }, 20_000);
});
