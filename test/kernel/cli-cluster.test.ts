import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseShard, shardFromEnvironment } from '../../kernel/cli/shard.ts';
import { runMmulab } from '../helpers/cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLUSTER = join(ROOT, 'examples/cluster');
const TMP = mkdtempSync(join(tmpdir(), 'mmulab-cluster-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Run `file` (a job script) or `sh -c command` from the repository's root, as a batch system would. */
async function runJob(
  argv: string[],
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 64 * 2 ** 20,
  });
}

/** The `<table>.arrow` files of a directory, by name, as bytes. */
function arrowFiles(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.arrow'));
  return new Map(files.sort().map((f) => [f, readFileSync(join(dir, f))]));
}

/** The tables of the whole sweep run as one job and merged alone. */
async function singleRun(): Promise<Map<string, Buffer>> {
  const whole = await runMmulab(
    ROOT,
    'run',
    join(CLUSTER, 'sweep.mmu'),
    '--arrow',
    join(TMP, 'whole'),
  );
  expect(whole.code, whole.stderr).toBe(0);
  const merged = await runMmulab(
    ROOT,
    'merge',
    join(TMP, 'whole'),
    '--out',
    join(TMP, 'whole-merged'),
  );
  expect(merged.code, merged.stderr).toBe(0);
  return arrowFiles(join(TMP, 'whole-merged'));
}
const single = singleRun();

function expectSameTables(merged: Map<string, Buffer>, whole: Map<string, Buffer>): void {
  expect([...merged.keys()]).toEqual([...whole.keys()]);
  expect(merged.size).toBeGreaterThan(0);
  for (const [name, bytes] of merged) expect(bytes.equals(whole.get(name)!), name).toBe(true);
}

describe('examples/cluster run as the batch systems run them', () => {
  it('Slurm: the array tasks of sweep.sbatch and merge.sbatch give the tables of a single run', async () => {
    const script = readFileSync(join(CLUSTER, 'slurm/sweep.sbatch'), 'utf8');
    const array = /^#SBATCH --array=(\d+)-(\d+)$/m.exec(script);
    expect(array, 'sweep.sbatch declares its array as --array=A-B').not.toBeNull();
    const [min, max] = [Number(array![1]), Number(array![2])];
    const out = join(TMP, 'slurm');
    const tasks = [];
    for (let id = min; id <= max; id++)
      tasks.push(
        runJob(['bash', join(CLUSTER, 'slurm/sweep.sbatch')], {
          MMULAB_OUT: out,
          SLURM_ARRAY_JOB_ID: '4242',
          SLURM_ARRAY_TASK_ID: String(id),
          SLURM_ARRAY_TASK_MIN: String(min),
          SLURM_ARRAY_TASK_MAX: String(max),
          SLURM_ARRAY_TASK_COUNT: String(max - min + 1),
          SLURM_CPUS_PER_TASK: '1',
        }),
      );
    const logs = await Promise.all(tasks);
    expect(logs[1].stderr).toContain(
      `shard 2/${max - min + 1} (SLURM_ARRAY_TASK_ID=${min + 1} of ${min}-${max})`,
    );
    await runJob(['bash', join(CLUSTER, 'slurm/merge.sbatch')], { MMULAB_OUT: out });
    expectSameTables(arrowFiles(join(out, 'merged')), await single);
  });

  it('Kubernetes: the indexed Job of sweep-job.yaml and merge-job.yaml give the tables of a single run', async () => {
    const job = readFileSync(join(CLUSTER, 'kubernetes/sweep-job.yaml'), 'utf8');
    const completions = Number(/^\s+completions: (\d+)$/m.exec(job)?.[1]);
    const count = /name: MMULAB_SHARD_COUNT\n\s+value: ['"](\d+)['"]/.exec(job)?.[1];
    // Kubernetes passes the index only: the manifest must repeat the count.
    expect(count).toBe(String(completions));
    const command = (manifest: string): string =>
      /args:\n\s+- (.+)$/m.exec(manifest)![1].replaceAll('/results', join(TMP, 'k8s'));
    const shard = command(job);
    await Promise.all(
      Array.from({ length: completions }, (_, k) =>
        runJob(['sh', '-c', shard], {
          JOB_COMPLETION_INDEX: String(k),
          MMULAB_SHARD_COUNT: count!,
        }),
      ),
    );
    const merge = command(readFileSync(join(CLUSTER, 'kubernetes/merge-job.yaml'), 'utf8'));
    await runJob(['sh', '-c', merge], {});
    expectSameTables(arrowFiles(join(TMP, 'k8s/merged')), await single);
  });
});

describe('--shard auto', () => {
  const slurm = (id: number, min: number, max: number, step?: number) => ({
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(max),
    SLURM_ARRAY_TASK_COUNT: String((max - min) / (step ?? 1) + 1),
    ...(step === undefined ? {} : { SLURM_ARRAY_TASK_STEP: String(step) }),
  });

  it('maps any arithmetic Slurm array onto shards 1..N', () => {
    expect(shardFromEnvironment('t', slurm(0, 0, 7))).toMatchObject({ index: 1, count: 8 });
    expect(shardFromEnvironment('t', slurm(8, 1, 8))).toMatchObject({ index: 8, count: 8 });
    expect(shardFromEnvironment('t', slurm(6, 0, 14, 2))).toMatchObject({ index: 4, count: 8 });
  });

  it('refuses a Slurm ID list that is not a sequence, and says what to use', () => {
    const env = { ...slurm(3, 1, 4), SLURM_ARRAY_TASK_COUNT: '3' }; // --array=1,3,4
    expect(() => shardFromEnvironment('mmulab run', env)).toThrow(
      /task IDs are an arithmetic sequence .* use --array=1-N, or --shard i\/N/,
    );
  });

  it('takes a Kubernetes index from 0 and the count from MMULAB_SHARD_COUNT', () => {
    const env = { JOB_COMPLETION_INDEX: '3', MMULAB_SHARD_COUNT: '4' };
    expect(parseShard('t', 'auto', env)).toMatchObject({ index: 4, count: 4 });
    expect(() => parseShard('t', 'auto', { JOB_COMPLETION_INDEX: '3' })).toThrow(
      /needs MMULAB_SHARD_COUNT, the Job's completions/,
    );
    expect(() =>
      parseShard('t', 'auto', { JOB_COMPLETION_INDEX: '4', MMULAB_SHARD_COUNT: '4' }),
    ).toThrow(/JOB_COMPLETION_INDEX=4 is not below MMULAB_SHARD_COUNT=4/);
  });

  it('outside a batch system, exits 2 and names the variables it looked for', async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('SLURM_') && k !== 'JOB_COMPLETION_INDEX',
      ),
    );
    const r = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin/mmulab.js'), 'run', join(CLUSTER, 'sweep.mmu'), '--shard', 'auto'],
      { cwd: TMP, env },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--shard auto found no batch system');
    expect(r.stderr).toContain('SLURM_ARRAY_TASK_ID');
    expect(r.stderr).toContain('JOB_COMPLETION_INDEX');
  });
});
