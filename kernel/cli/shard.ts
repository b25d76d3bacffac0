import { UsageError } from './args.ts';

/**
 * `--shard i/N`: a batch system (a Slurm job array, a Kubernetes indexed Job) runs N
 * copies of the command, copy i taking every plan whose index is i-1 modulo N. Round
 * robin spreads a sweep's expensive corner over all shards, and the split depends
 * only on the plan indices, so any N covers every plan exactly once.
 *
 * `--shard auto` reads i and N from the batch system's environment, so one job file
 * runs every task unchanged.
 */
export interface Shard {
  /** 1-based, 1 <= index <= count (SLURM_ARRAY_TASK_ID style). */
  index: number;
  count: number;
  /** Where `--shard auto` found the index and count, for the run's first line. */
  source?: string;
}

/** The environment variables `--shard auto` reads. */
export type ShardEnvironment = Readonly<Record<string, string | undefined>>;

/** Parse `i/N` or `auto`; throws a UsageError that shows the expected form. */
export function parseShard(command: string, text: string, env: ShardEnvironment = {}): Shard {
  if (text === 'auto') return shardFromEnvironment(command, env);
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count)
    throw new UsageError(
      `${command}: --shard needs i/N with 1 <= i <= N, or auto, got '${text}'; for example --shard 2/4 runs the second of 4 shards.`,
    );
  return { index, count };
}

/** True if plan `planIndex` (0-based) belongs to `shard`. */
export function inShard(shard: Shard, planIndex: number): boolean {
  return planIndex % shard.count === shard.index - 1;
}

/**
 * The shard of this task of a Slurm job array or a Kubernetes indexed Job.
 *
 * Slurm (sbatch's "OUTPUT ENVIRONMENT VARIABLES") numbers an array's tasks by the IDs
 * `--array` lists and sets SLURM_ARRAY_TASK_ID, _MIN, _MAX, _STEP and _COUNT; any
 * arithmetic sequence of IDs (`--array=0-7`, `1-8`, `0-14:2`, with or without a `%`
 * limit) maps onto shards 1..COUNT. A Kubernetes indexed Job sets JOB_COMPLETION_INDEX
 * (0 .. completions-1) but not the number of completions: the Job's manifest passes it
 * as MMULAB_SHARD_COUNT.
 */
export function shardFromEnvironment(command: string, env: ShardEnvironment): Shard {
  if (env.SLURM_ARRAY_TASK_ID !== undefined) return slurmShard(command, env);
  if (env.JOB_COMPLETION_INDEX !== undefined) return kubernetesShard(command, env);
  throw new UsageError(
    `${command}: --shard auto found no batch system: set by a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes indexed Job (JOB_COMPLETION_INDEX with MMULAB_SHARD_COUNT); outside one, write --shard i/N.`,
  );
}

function slurmShard(command: string, env: ShardEnvironment): Shard {
  const id = whole(env.SLURM_ARRAY_TASK_ID);
  const min = whole(env.SLURM_ARRAY_TASK_MIN);
  const max = whole(env.SLURM_ARRAY_TASK_MAX);
  const count = whole(env.SLURM_ARRAY_TASK_COUNT);
  // Slurm leaves _STEP unset (or 1) for a plain range.
  const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : whole(env.SLURM_ARRAY_TASK_STEP);
  const seen = `SLURM_ARRAY_TASK_ID=${env.SLURM_ARRAY_TASK_ID}, _MIN=${env.SLURM_ARRAY_TASK_MIN}, _MAX=${env.SLURM_ARRAY_TASK_MAX}, _STEP=${env.SLURM_ARRAY_TASK_STEP}, _COUNT=${env.SLURM_ARRAY_TASK_COUNT}`;
  if (id === null || min === null || max === null || count === null || step === null)
    throw new UsageError(
      `${command}: --shard auto needs Slurm's SLURM_ARRAY_TASK_ID, _MIN, _MAX and _COUNT as whole numbers (sbatch --array sets them), got ${seen}.`,
    );
  // An ID list such as --array=1,3,4 is not a sequence: its position can't be known here.
  if (step < 1 || (max - min) % step !== 0 || (max - min) / step + 1 !== count)
    throw new UsageError(
      `${command}: --shard auto needs a Slurm array whose task IDs are an arithmetic sequence (--array=1-8 or 0-14:2), got ${seen}; use --array=1-N, or --shard i/N.`,
    );
  if (id < min || id > max || (id - min) % step !== 0)
    throw new UsageError(`${command}: --shard auto: this task's ID is not in its array, ${seen}.`);
  const index = (id - min) / step + 1;
  return { index, count, source: `SLURM_ARRAY_TASK_ID=${id} of ${min}-${max}` };
}

function kubernetesShard(command: string, env: ShardEnvironment): Shard {
  const index0 = whole(env.JOB_COMPLETION_INDEX);
  const count = whole(env.MMULAB_SHARD_COUNT);
  if (index0 === null)
    throw new UsageError(
      `${command}: --shard auto: JOB_COMPLETION_INDEX must be a whole number, got '${env.JOB_COMPLETION_INDEX}'.`,
    );
  if (count === null || count < 1)
    throw new UsageError(
      `${command}: --shard auto in a Kubernetes indexed Job needs MMULAB_SHARD_COUNT, the Job's completions (Kubernetes does not pass it), got '${env.MMULAB_SHARD_COUNT ?? ''}'; add it to the container's env.`,
    );
  if (index0 >= count)
    throw new UsageError(
      `${command}: --shard auto: JOB_COMPLETION_INDEX=${index0} is not below MMULAB_SHARD_COUNT=${count}; set MMULAB_SHARD_COUNT to the Job's completions.`,
    );
  return { index: index0 + 1, count, source: `JOB_COMPLETION_INDEX=${index0} of ${count}` };
}

function whole(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}
