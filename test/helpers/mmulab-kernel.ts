import { fileURLToPath } from 'node:url';
import { startKernel } from './jupyter-client.ts';
import type { RunningKernel } from './jupyter-client.ts';

/** mmulab's kernel as its kernelspec starts it: bin/mmulab-kernel.js from a connection file. */
export const MMULAB_KERNEL_ARGV: readonly string[] = [
  process.execPath,
  fileURLToPath(new URL('../../bin/mmulab-kernel.js', import.meta.url)),
  '--connection-file',
  '{connection_file}',
];

/**
 * Start mmulab's kernel with a new connection file in `dir` and wait until it answers
 * kernel_info (generously: the first start may rebuild the bundles).
 */
export async function startMmulabKernel(
  dir: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<RunningKernel> {
  const kernel = await startKernel(MMULAB_KERNEL_ARGV, dir, options);
  await kernel.client.waitForReady(60_000);
  return kernel;
}

/** A VM, a tracking mode and a migration for BUSY_RUN, as a cell of their own. */
export const BUSY_DEFINITIONS = `vm big {
  vcpus 4
  slot s at 0 size 4GiB
  workload hotset { rate 200k/s per vcpu, set 2GiB, hot 90% }
}
tracking r { dirty_log ring 1024 }
migration slow { bandwidth 100Mbit/s, downtime 1ms, max_iterations 100000 }`;

/**
 * A migration that runs for many minutes of wall time unless stopped: the link is
 * slower than the guest dirties (needs BUSY_DEFINITIONS).
 */
export const BUSY_RUN = 'run big with r, slow seed 1 max_time 100000s';
