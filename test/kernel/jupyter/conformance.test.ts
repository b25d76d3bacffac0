import { spawn } from 'node:child_process';
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
 * Jupyter's own conformance suite, jupyter_kernel_test (Debian's
 * python3-jupyter-kernel-test), run against the installed kernelspec exactly as
 * Jupyter starts it: mmulab_kernel_test.py enables every one of its 12 tests.
 * Skipped only on a machine without the package and outside CI.
 */

/** jupyter_kernel_test 0.4.5 (= upstream 0.5.0) has 12 tests; all are enabled. */
const SUITE_TESTS = 12;
const HERE = import.meta.dirname;
const available = hasPythonModule('jupyter_kernel_test');

interface UnittestOutcome {
  code: number | null;
  output: string;
}

function runUnittest(env: NodeJS.ProcessEnv, cwd: string): Promise<UnittestOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-m', 'unittest', '-v', 'mmulab_kernel_test'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * unittest's failure blocks ("FAIL: test_x (...)" or "ERROR: ...", a dashed line, the
 * traceback), each shortened to its header and last line (the assertion message).
 */
function failedTests(output: string): string[] {
  const blocks = output.split(/^={20,}$/m).slice(1);
  return blocks.map((block) => {
    const lines = block.trim().split('\n');
    const header = lines[0] ?? '';
    const dashes = (l: string): boolean => /^-{20,}$/.test(l);
    // The last block also holds the "Ran N tests" summary after a second dashed line.
    const start = lines.findIndex(dashes) + 1;
    const end = lines.findIndex((l, i) => i >= start && dashes(l));
    const traceback = lines.slice(start, end < 0 ? undefined : end);
    const message = traceback.filter((l) => l.trim() !== '').at(-1) ?? '';
    return `${header.slice(0, 200)}\n    ${message.slice(0, 400)}`;
  });
}

describe.skipIf(!available && !pythonTestsMustRun())('jupyter_kernel_test', () => {
  let prefix: string;
  let outcome: UnittestOutcome;

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `CI is set but ${SYSTEM_PYTHON} cannot import jupyter_kernel_test; install Debian's python3-jupyter-kernel-test (.ci/run does).`,
      );
    prefix = mkdtempSync(join(tmpdir(), 'mmulab-conformance-'));
    const jupyterPath = await installKernelForTest(prefix);
    outcome = await runUnittest(
      {
        ...process.env,
        JUPYTER_PATH: jupyterPath,
        PYTHONPATH: HERE,
        PYTHONDONTWRITEBYTECODE: '1',
      },
      prefix,
    );
  }, 300_000);

  afterAll(() => {
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  it('passes every test of the suite against the installed mmulab kernel', () => {
    const failed = failedTests(outcome.output);
    expect(failed, `failed jupyter_kernel_test tests:\n${failed.join('\n')}`).toEqual([]);
    expect(outcome.code, outcome.output).toBe(0);
  });

  it('runs all of its tests, none skipped', () => {
    expect(outcome.output).toContain(`Ran ${SUITE_TESTS} tests`);
    expect(outcome.output).not.toMatch(/skipped/);
  });
});
