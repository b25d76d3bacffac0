import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runMmulab } from './cli.ts';

/**
 * The Jupyter tools the kernel is checked against are Debian's Python packages
 * (.ci/run installs them): jupyter_kernel_test, nbconvert, nbclient, jupyter_client.
 * Tests that need them skip on a developer machine without them, but never under CI:
 * there a missing package is a failure, not a silent skip.
 */

/** Debian's Python, which the packages installed by .ci/run belong to. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** True if SYSTEM_PYTHON exists and can import `module`. */
export function hasPythonModule(module: string): boolean {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
  return r.status === 0;
}

/** True under CI (the env var CI is set): Python-backed tests must run, not skip. */
export function pythonTestsMustRun(): boolean {
  return Boolean(process.env.CI);
}

/**
 * Install the kernelspec with `mmulab kernel install --prefix PREFIX` and return the
 * directory to put in JUPYTER_PATH so that Jupyter finds it (PREFIX/share/jupyter).
 */
export async function installKernelForTest(prefix: string): Promise<string> {
  const r = await runMmulab(prefix, 'kernel', 'install', '--prefix', prefix);
  if (r.code !== 0) throw new Error(`mmulab kernel install failed (${r.code}): ${r.stderr}`);
  return join(prefix, 'share', 'jupyter');
}
