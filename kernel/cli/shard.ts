import { UsageError } from './args.ts';

/**
 * `--shard i/N`: a batch system (a Slurm job array, a Kubernetes indexed Job) runs N
 * copies of the command, copy i taking every plan whose index is i-1 modulo N. Round
 * robin spreads a sweep's expensive corner over all shards, and the split depends
 * only on the plan indices, so any N covers every plan exactly once.
 */
export interface Shard {
  /** 1-based, 1 <= index <= count (SLURM_ARRAY_TASK_ID style). */
  index: number;
  count: number;
}

/** Parse `i/N`; throws a UsageError that shows the expected form. */
export function parseShard(command: string, text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count)
    throw new UsageError(
      `${command}: --shard needs i/N with 1 <= i <= N, got '${text}'; for example --shard 2/4 runs the second of 4 shards.`,
    );
  return { index, count };
}

/** True if plan `planIndex` (0-based) belongs to `shard`. */
export function inShard(shard: Shard, planIndex: number): boolean {
  return planIndex % shard.count === shard.index - 1;
}
