import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasPythonModule,
  installKernelForTest,
  pythonTestsMustRun,
  SYSTEM_PYTHON,
} from '../../helpers/jupyter-python.ts';

/**
 * The kernel under `jupyter console` (Debian's jupyter-console), lines piped to its
 * simple prompt: `exit` ends the session as in IPython, and a run's progress ends on
 * its final state although the console cannot redraw a line.
 */

/** A migration that runs in a moment. */
const RUN_LINE =
  'vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }; tracking bm { dirty_log manual }; migration fast { bandwidth 10Gbit/s, downtime 300ms }';

/** How long one console session may take; a test's timeout allows a retry. */
const SESSION_BOUND_MS = 50_000;

/** Feed `lines` to `jupyter console --simple-prompt`; resolves with its stdout when it exits. */
function consoleSession(jupyterPath: string, cwd: string, lines: readonly string[]) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(
      SYSTEM_PYTHON,
      ['-m', 'jupyter_console', '--simple-prompt', '--kernel=mmulab'],
      { cwd, env: { ...process.env, JUPYTER_PATH: jupyterPath } },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.resume();
    child.once('error', reject);
    // A console that never ends is stopped, so the test fails on what it printed, or its
    // retry gets the time. (Its first cell once waited forever for an `idle` the kernel
    // had published before the console's IOPub subscription arrived; the kernel now holds
    // shell requests until a client has subscribed: transport.ts, IOPUB_JOIN_BOUND_MS.)
    const timer = setTimeout(() => child.kill('SIGKILL'), SESSION_BOUND_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

const available = hasPythonModule('jupyter_console');

describe.skipIf(!available && !pythonTestsMustRun())('jupyter console', { retry: 1 }, () => {
  let dir: string;
  let jupyterPath: string;

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `CI is set but ${SYSTEM_PYTHON} cannot import jupyter_console; install Debian's jupyter-console.`,
      );
    dir = mkdtempSync(join(tmpdir(), 'mmulab-console-'));
    // Build the bundles now: a kernel that finds them older than a source (another test
    // may have touched one) would rebuild them, for seconds, while jupyter console waits.
    execFileSync(process.execPath, [join(import.meta.dirname, '../../../scripts/build.mjs')], {
      stdio: 'ignore',
    });
    jupyterPath = await installKernelForTest(dir);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ends the session on exit, before the lines after it', async () => {
    const out = await consoleSession(jupyterPath, dir, ['%echo before', 'exit', '%echo after']);
    expect(out).toContain('before');
    expect(out).toContain('Shutting down kernel');
    expect(out).not.toContain('after');
  }, 120_000);

  it('runs every line when none is exit', async () => {
    const out = await consoleSession(jupyterPath, dir, ['%echo before', '%echo after']);
    expect(out).toContain('before');
    expect(out).toContain('after');
  }, 120_000);

  it("shows a run's progress ending on its final state", async () => {
    const out = await consoleSession(jupyterPath, dir, [
      ...RUN_LINE.split('; '),
      'run tiny with bm, fast seed 1',
      'exit',
    ]);
    const progress = out.split('\n').filter((l) => /\d+\/1 plan/.test(l));
    expect(progress.pop()).toMatch(/finished: 1\/1 plan/);
  }, 120_000);
});
